"""Cross-addon scenario: units retrieved by a recall are graded and disposed of from quarantine
through the core disposition, while the recall keeps everything else locked in quarantine."""

from odoo.addons.reverse_logistics_recall.tests.test_recall_flow import RecallCommon
from odoo.exceptions import UserError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestRecallDisposition(RecallCommon):

    def test_retrieved_units_are_disposed_from_quarantine(self):
        campaign = self._campaign()
        campaign.action_trace()
        campaign.action_activate()
        beta = campaign.consignee_ids.filtered(lambda c: c.partner_id == self.customers[1])
        beta._register_response(8, self.env.ref("reverse_logistics_recall.remedy_refund"))
        recall_return = beta.action_create_return()
        self._receive(recall_return.receipt_ids)
        station = self.env["return.grading.station"]
        line = recall_return.line_ids
        self.assertEqual(station.scan(recall_return.name)["qty_pending"], 8)
        grade_d, grade_a = self.env.ref("reverse_logistics.grade_d"), self.env.ref("reverse_logistics.grade_a")
        grading = self.env["return.grading"].browse(
            station.grade(line.id, grade_d.id, 6, lot_id=self.lot_bad.id)["grading_id"])
        grading.disposition_id = self.env.ref("reverse_logistics.disposition_dispose")
        grading.action_dispose()
        self.assertEqual(grading.scrap_ids.location_id, self.quarantine, "disposed of straight from quarantine")
        self.assertEqual(grading.scrap_ids.state, "done")
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 8 - 6)
        self.assertEqual(campaign.units_retrieved, 8)

        # Restocking recalled units is a move out of quarantine: refused while the recall is active.
        rest = self.env["return.grading"].browse(
            station.grade(line.id, grade_a.id, 2, lot_id=self.lot_bad.id)["grading_id"])
        rest.disposition_id = self.env.ref("reverse_logistics.disposition_restock")
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            rest.action_dispose()
        self.assertEqual(rest.state, "graded")
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 15)
