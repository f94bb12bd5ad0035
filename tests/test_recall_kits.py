"""Cross-addon scenario (recall, kits bridge): a component lot sold inside kits is recalled; the recall return
gives back the kits it was sold in, is received through the kit's exploded component moves and is credited at
the kit's invoiced price against what was invoiced. Needs mrp installed (reverse_logistics_mrp)."""
from odoo import Command
from odoo.addons.reverse_logistics.tests.credit_common import CreditCommon
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import float_round


@tagged("post_install", "-at_install")
class TestRecallKits(CreditCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recall_manager = new_test_user(
            cls.env, login="rl_kit_recall_manager",
            groups="stock.group_stock_user,reverse_logistics_recall.group_recall_manager",
            company_id=cls.company.id, company_ids=cls.company.ids)
        cls.filter = cls._create_rl_product("Paper Filter", cost=1.0, price=5.0, tracking="lot")
        cls.dripper = cls._create_rl_product("Dripper", cost=20.0, price=60.0)
        cls.kit = cls._create_rl_product("Pour-over Kit", cost=0.0, price=100.0, is_storable=False)
        cls.env["mrp.bom"].create({
            "product_tmpl_id": cls.kit.product_tmpl_id.id, "type": "phantom", "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": cls.filter.id, "product_qty": 2}),
                             Command.create({"product_id": cls.dripper.id, "product_qty": 1})],
        })
        cls.lot_bad = cls._stock_in(cls.filter, 10, "FILTER-BAD")
        cls._stock_in(cls.dripper, 10)
        cls.remedies = cls.env.ref("reverse_logistics_recall.remedy_refund") \
            | cls.env.ref("reverse_logistics_recall.remedy_replace")
        cls.quarantine = cls.warehouse.quarantine_location_id

    def test_recalled_component_is_returned_and_credited_as_its_kits(self):
        """The issue's case: the return line was 6 components at the kit's price, its receipt could never be
        validated, and it would have credited 600.00 against 300.00 invoiced."""
        order = self._order([(self.kit, 3, 100.0, 0.0, self.tax)])
        self._deliver(order)
        invoice = self._invoice(order)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 3)

        campaign = self.env["recall.campaign"].with_user(self.recall_manager).create({
            "title": "Filters shed fibres", "company_id": self.company.id,
            "product_ids": [Command.set(self.filter.ids)], "lot_ids": [Command.set(self.lot_bad.ids)],
            "reason": "Paper fibres in the coffee.", "remedy_ids": [Command.set(self.remedies.ids)],
        })
        campaign.action_trace()
        campaign.action_activate()
        row = campaign.consignee_exposure_ids
        self.assertEqual((row.partner_id, row.product_id, row.qty_exposed), (self.partner, self.filter, 2 * 3))
        consignee = campaign.consignee_ids
        answer = Form(self.env["recall.consignee.answer"].with_user(self.recall_manager).with_context(
            default_consignee_id=consignee.id))
        answer.units_held = 6
        answer.remedy_id = self.remedies[0]
        answer.save().action_confirm()

        recall_return = consignee.with_user(self.recall_manager).action_create_return()
        line = recall_return.line_ids
        self.assertEqual((line.product_id, line.product_uom_qty, line.sale_line_id, line.price_unit),
                         (self.kit, 3.0, sale_line, 100.0), "the kits the filters were sold in, at the kit's price")
        receipt = recall_return.receipt_ids.with_user(self.clerk)
        self.assertEqual(sorted((m.product_id.name, m.product_uom_qty) for m in receipt.move_ids),
                         [("Dripper", 3.0), ("Paper Filter", 6.0)])
        self.assertEqual(receipt.location_dest_id, self.quarantine)
        filter_move = receipt.move_ids.filtered(lambda m: m.product_id == self.filter)
        filter_move.move_line_ids.unlink()
        filter_move.write({"move_line_ids": [Command.create({
            "product_id": self.filter.id, "lot_id": self.lot_bad.id, "quantity": 6, "picking_id": receipt.id,
            "location_id": receipt.location_id.id, "location_dest_id": self.quarantine.id})]})
        self._receive(receipt)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(line.qty_received, 3)
        self.assertEqual(sale_line.qty_delivered, 0)
        credit_note = recall_return.sudo().credit_note_ids
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertEqual((credit_note.invoice_line_ids.product_id, credit_note.invoice_line_ids.quantity),
                         (self.kit, 3.0))
        self.assertAlmostEqual(credit_note.amount_untaxed, 3 * 100.0)
        self.assertAlmostEqual(credit_note.amount_total, float_round(3 * 100.0 * (1 + self.tax.amount / 100.0), 2))
        self.assertAlmostEqual(credit_note.amount_untaxed, invoice.amount_untaxed, msg="never more than invoiced")
        self.assertEqual(consignee.units_retrieved, 6)
        self.assertAlmostEqual(campaign.effectiveness, 100.0)
        quants = self.env["stock.quant"].search([("product_id", "=", self.filter.id), ("lot_id", "=", self.lot_bad.id),
                                                 ("location_id.usage", "=", "internal"), ("quantity", ">", 0)])
        self.assertEqual(quants.location_id, self.quarantine, "every filter of the lot in quarantine")
        self.assertEqual(sum(quants.mapped("quantity")), 10)

    def test_kits_returned_are_those_holding_the_declared_components(self):
        """A consignee that still holds 4 of the 6 recalled filters (one kit used up) returns 2 kits, credited
        as 2 of the 3 kits invoiced."""
        order = self._order([(self.kit, 3, 100.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        campaign = self.env["recall.campaign"].with_user(self.recall_manager).create({
            "title": "Filters shed fibres", "company_id": self.company.id,
            "product_ids": [Command.set(self.filter.ids)], "lot_ids": [Command.set(self.lot_bad.ids)],
            "reason": "Paper fibres in the coffee.", "remedy_ids": [Command.set(self.remedies.ids)],
        })
        campaign.action_trace()
        campaign.action_activate()
        consignee = campaign.consignee_ids
        consignee._register_response(4, self.remedies[0], method="phone")  # the phone answer wizard's call
        recall_return = consignee.action_create_return()
        self.assertEqual((recall_return.line_ids.product_id, recall_return.line_ids.product_uom_qty), (self.kit, 2.0))
        receipt = recall_return.receipt_ids.with_user(self.clerk)
        filter_move = receipt.move_ids.filtered(lambda m: m.product_id == self.filter)
        self.assertEqual(filter_move.product_uom_qty, 4)
        filter_move.move_line_ids.unlink()
        filter_move.write({"move_line_ids": [Command.create({
            "product_id": self.filter.id, "lot_id": self.lot_bad.id, "quantity": 4, "picking_id": receipt.id,
            "location_id": receipt.location_id.id, "location_dest_id": self.quarantine.id})]})
        self._receive(receipt)
        self.assertAlmostEqual(recall_return.sudo().credit_note_ids.amount_untaxed, 2 * 100.0)
        self.assertEqual(consignee.units_retrieved, 4)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * 4 / 6)
