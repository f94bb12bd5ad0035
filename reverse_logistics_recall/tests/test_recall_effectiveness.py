"""The trace tells units sent back for the recall (after activation, by any path) from units sent back
before it; effectiveness stays true through every re-trace; consignees who had sent everything back are
not consignees."""
from odoo import Command
from odoo.tests import tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallEffectiveness(RecallRolesCommon):

    def _rows(self, campaign):
        self.env.invalidate_all()
        return {r.partner_id: (r.qty_shipped, r.qty_returned_before, r.qty_exposed, r.qty_retrieved, r.qty_destroyed)
                for r in campaign.consignee_exposure_ids}

    def test_retrace_keeps_returns_made_for_the_recall(self):
        """The issue's case: a re-trace after a recall return counted it as returned before the recall
        (units shipped 12 -> 7, effectiveness 100 % instead of 58.33 %)."""
        alpha, beta, gamma = self.customers
        # Before the recall, Beta sends 5 of its 8 back with Odoo's Return wizard.
        self._return_with_odoo_wizard(self.clerk, self.sales[1].picking_ids, 5, self.lot_bad)
        campaign = self._active_campaign()
        shipped = 5 + (8 - 5) + 4
        self.assertEqual(campaign.units_shipped, shipped)
        # For the recall: Beta's 3 back on a recall return, Gamma's 4 destroyed on site.
        beta_c, gamma_c = self._consignee(campaign, beta), self._consignee(campaign, gamma)
        self._as(self.recall_manager, beta_c)._register_response(
            3, self.env.ref("reverse_logistics_recall.remedy_refund"), method="phone")
        recall_return = self._as(self.recall_manager, beta_c).action_create_return()
        self._receive_as(self.clerk, recall_return.receipt_ids)
        self._as(self.recall_manager, gamma_c)._confirm_destroyed({gamma_c.exposure_ids: 4})
        expected_rows = {alpha: (5, 0, 5, 0, 0), beta: (8, 5, 3, 3, 0), gamma: (4, 0, 4, 0, 4)}
        self.assertEqual(self._rows(campaign), expected_rows)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * (3 + 4) / shipped)
        self.assertAlmostEqual(round(campaign.effectiveness, 2), 58.33)
        for _run in range(2):
            campaign.action_trace()
            self.assertEqual(self._rows(campaign), expected_rows)
            self.assertEqual((campaign.units_shipped, campaign.units_retrieved, campaign.units_destroyed),
                             (shipped, 3, 4))
            self.assertAlmostEqual(campaign.effectiveness, 100.0 * (3 + 4) / shipped)
        self.assertEqual(campaign.trace_run_ids[0].changes, "No change since the previous trace.")
        # After activation Alpha sends 2 back with Odoo's wizard (into quarantine, the only way in): the recall
        # retrieved them too, and a re-trace says the same.
        self._return_with_odoo_wizard(self.clerk, self.sales[0].picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"), 2, self.lot_bad, destination=self.quarantine)
        expected_rows[alpha] = (5, 0, 5, 2, 0)
        self.assertEqual(self._rows(campaign), expected_rows)
        campaign.action_trace()
        self.assertEqual(self._rows(campaign), expected_rows)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * (3 + 4 + 2) / shipped)
        self.assertAlmostEqual(self._consignee(campaign, alpha).effectiveness, 100.0 * 2 / 5)

    def test_return_pending_at_activation_counts_when_it_arrives(self):
        """A return transfer prepared before activation and validated after it is retrieved by the recall."""
        env = self.env(user=self.clerk)
        wizard = env["stock.return.picking"].with_context(
            active_id=self.sales[2].picking_ids.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = 4
        pending = env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        campaign = self._active_campaign()
        pending.location_dest_id = self.quarantine
        pending.move_ids.location_dest_id = self.quarantine
        pending.move_ids.move_line_ids.unlink()
        pending.move_ids.write({"move_line_ids": [Command.create({
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 4, "picking_id": pending.id,
            "location_id": pending.location_id.id, "location_dest_id": self.quarantine.id,
        })], "picked": True})
        pending.button_validate()
        self.assertEqual(self._rows(campaign)[self.customers[2]], (4, 0, 4, 4, 0))
        campaign.action_trace()
        self.assertEqual(self._rows(campaign)[self.customers[2]], (4, 0, 4, 4, 0))
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * 4 / (5 + 8 + 4))

    def test_consignees_who_sent_everything_back_are_not_told(self):
        alpha, beta, gamma = self.customers
        # Gamma sent all 4 back before the first trace; Alpha its 5 between the trace and the activation.
        self._return_with_odoo_wizard(self.clerk, self.sales[2].picking_ids, 4, self.lot_bad)
        campaign = self._as(self.recall_manager, self._campaign())
        campaign.action_trace()
        self.assertEqual(campaign.consignee_ids.partner_id, alpha | beta, "no consignee for Gamma")
        gamma_row = campaign.consignee_exposure_ids.filtered(lambda r: r.partner_id == gamma)
        self.assertEqual((gamma_row.qty_shipped, gamma_row.qty_returned_before, gamma_row.qty_exposed), (4, 4, 0))
        self._return_with_odoo_wizard(self.clerk, self.sales[0].picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"), 5, self.lot_bad)
        campaign.action_activate()
        self.assertEqual(campaign.consignee_ids.partner_id, beta, "Alpha is no consignee any more")
        self.assertEqual(campaign.consignee_ids.state, "notified")
        mails = self.env["mail.mail"].search([("model", "=", "recall.consignee"),
                                              ("res_id", "in", campaign.consignee_ids.ids)])
        self.assertEqual(len(mails), 1)
        self.assertEqual(campaign.units_shipped, 8)
        self.assertEqual(campaign.check_required_count, 1)
