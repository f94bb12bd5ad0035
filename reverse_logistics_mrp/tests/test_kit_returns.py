from odoo import Command
from odoo.addons.reverse_logistics.tests.credit_common import CreditCommon
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import float_round


def r2(amount):
    return float_round(amount, precision_digits=2)


class KitCommon(CreditCommon):
    """An espresso kit (2 cups + 1 machine, a kit BoM) sold at 200 with a 15% tax."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cup = cls._create_rl_product("Cup", cost=5.0, price=10.0)
        cls.machine = cls._create_rl_product("Machine", cost=60.0, price=150.0)
        cls.kit = cls._create_rl_product("Espresso Kit", cost=0.0, price=200.0, is_storable=False)
        cls.bom = cls.env["mrp.bom"].create({
            "product_tmpl_id": cls.kit.product_tmpl_id.id, "type": "phantom", "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": cls.cup.id, "product_qty": 2}),
                             Command.create({"product_id": cls.machine.id, "product_qty": 1})],
        })
        cls.cup_line, cls.machine_line = cls.bom.bom_line_ids
        cls._stock_in(cls.cup, 20)
        cls._stock_in(cls.machine, 10)

    def _kit_price(self, kits=1):
        """What the customer paid for `kits` kits, taxes included, as the invoice rounds it."""
        self.assertEqual(self.tax.amount_type, "percent")
        return r2(kits * 200.0 * (1 + self.tax.amount / 100.0))

    def _sell_kits(self, qty, deliver=None):
        order = self._order([(self.kit, qty, 200.0, 0.0, self.tax)])
        self._deliver(order, deliver)
        return order

    def _odoo_return(self, picking, qty_by_product):
        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_model="stock.picking")).save()
        for line in wizard.product_return_moves:
            line.quantity = qty_by_product.get(line.product_id, 0.0)
        reverse = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        self._receive(reverse)
        return reverse


@tagged("post_install", "-at_install")
class TestKitReturns(KitCommon):

    def test_clerk_returns_one_kit(self):
        """The issue's case: one kit returned is credited 230.00, not 690.00, and Odoo's kit
        quantities follow the component moves of the receipt."""
        order = self._sell_kits(1)
        invoice = self._invoice(order)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 1)
        self.assertAlmostEqual(invoice.amount_total, self._kit_price())

        ret = self._return_as(self.clerk, order)
        line = ret.line_ids
        self.assertEqual((line.product_id, line.product_uom_id, line.product_uom_qty, line.sale_line_id),
                         (self.kit, self.kit.uom_id, 1.0, sale_line), "the kit, in kits, is offered")
        self.assertFalse(line.policy_problems)
        ret.action_submit()
        self.assertEqual(ret.state, "approved", "approved by the policy")
        receipt = ret.receipt_ids
        moves = receipt.sudo().move_ids
        self.assertEqual(
            sorted((m.product_id.name, m.product_uom_qty) for m in moves), [("Cup", 2.0), ("Machine", 1.0)])
        delivered = sale_line.move_ids.filtered(lambda m: m.location_dest_id == self.customer_location)
        for move in moves:
            self.assertEqual(move.return_line_id, line)
            self.assertEqual(move.sale_line_id, sale_line)
            self.assertTrue(move.to_refund)
            self.assertEqual(move.origin_returned_move_id,
                             delivered.filtered(lambda m, mv=move: m.bom_line_id == mv.bom_line_id))

        self._receive(receipt.with_user(self.clerk))
        self.assertEqual(line.qty_received, 1)
        credit_note = ret.sudo().credit_note_ids
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertAlmostEqual(credit_note.amount_total, self._kit_price())
        self.assertEqual(credit_note.invoice_line_ids.product_id, self.kit)
        self.assertEqual(credit_note.invoice_line_ids.quantity, 1)
        self.assertEqual(line.qty_refunded, 1)
        self.assertEqual(sale_line.qty_delivered, 0, "sale_mrp counts the kit back")
        self.assertEqual(sale_line.qty_invoiced, 0)
        self.assertEqual(sale_line.qty_to_invoice, 0)
        self.assertEqual(self._quant_qty(self.cup, self.triage_location), 2)
        self.assertEqual(self._quant_qty(self.machine, self.triage_location), 1)
        # The components come back at the cost they left at (their delivered moves' valuation).
        self.assertAlmostEqual(sum(moves.stock_valuation_layer_ids.mapped("value")), 2 * 5.0 + 60.0)
        self.assertEqual(ret.state, "done")
        # Nothing left to return.
        with self.assertRaisesRegex(UserError, "Nothing left to return"):
            self._return_as(self.clerk, order)

    def test_component_on_its_own_is_refused_by_name(self):
        order = self._sell_kits(1)
        self._invoice(order)
        ret = self.env["return.order"].create({
            "partner_id": self.partner.id, "sale_order_id": order.id, "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"product_id": self.cup.id, "product_uom_qty": 2,
                                         "sale_line_id": order.order_line.id,
                                         "reason_id": self.reason_defect.id})],
        })
        self.assertIn("component of the kit", ret.policy_problems)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "not approved by the policy")
        with self.assertRaisesRegex(UserError, "component of the kit Espresso Kit"):
            ret.action_approve()
        self.assertFalse(ret.sudo().credit_note_ids)

    def test_partial_kit_is_credited_only_when_complete(self):
        """Rule: a kit is received and credited only when all its components are back; closed short,
        the incomplete kit is never credited and cannot be returned again."""
        order = self._sell_kits(2)
        invoice = self._invoice(order)
        sale_line = order.order_line
        ret = self._return_as(self.clerk, order)
        self.assertEqual(ret.line_ids.product_uom_qty, 2)
        ret.action_submit()
        # All the cups arrive but one machine only.
        backorder = self._receive(ret.receipt_ids.with_user(self.clerk), {self.machine: 1})
        line = ret.line_ids
        self.assertEqual(backorder.move_ids.product_id, self.machine)
        self.assertEqual(backorder.move_ids.return_line_id, line)
        self.assertEqual(line.qty_received, 1, "one complete kit")
        self.assertEqual(line.qty_refunded, 1)
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, self._kit_price(1))
        self.assertEqual(ret.state, "receiving")

        # The second machine never comes: the receipt is closed short.
        ret.with_user(self.returns_manager).action_close_receipt()
        self.assertEqual(ret.state, "done")
        self.assertEqual(line.qty_received, 1)
        self.assertEqual(line.qty_refunded, 1, "the incomplete kit is not credited")
        self.assertEqual(len(ret.sudo().credit_note_ids), 1)
        self.assertEqual(self._quant_qty(self.cup, self.triage_location), 4)
        self.assertEqual(self._quant_qty(self.machine, self.triage_location), 1)
        # sale_mrp counts a kit delivered only while all its components are at the customer.
        self.assertEqual(sale_line.qty_delivered, 0)
        self.assertEqual(sale_line.qty_invoiced, 1)
        self.assertEqual(self._credited_by_invoice_line(invoice.invoice_line_ids), 1)
        self.assertEqual(line._get_reserved_qty(), 2, "both kits were taken back, one of them in part")
        with self.assertRaisesRegex(UserError, "Nothing left to return"):
            self._return_as(self.clerk, order)

    def test_kits_over_two_invoices(self):
        order = self._sell_kits(3, deliver={self.cup: 4, self.machine: 2})
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 2)
        first = self._invoice(order)
        self._deliver(order)
        self.assertEqual(sale_line.qty_delivered, 3)
        second = self._invoice(order)
        self.assertEqual(first.invoice_line_ids.quantity, 2)
        self.assertEqual(second.invoice_line_ids.quantity, 1)

        ret = self._return_as(self.clerk, order)
        self.assertEqual(ret.line_ids.product_uom_qty, 3, "kits of both deliveries")
        ret.line_ids.product_uom_qty = 2
        ret.action_submit()
        moves = ret.receipt_ids.sudo().move_ids
        self.assertEqual(sorted((m.product_id.name, m.product_uom_qty) for m in moves),
                         [("Cup", 4.0), ("Machine", 2.0)])
        self._receive(ret.receipt_ids.with_user(self.clerk))
        credit_notes = ret.sudo().credit_note_ids
        # The newest invoice first: 1 kit of the second, 1 of the first; one credit note per invoice.
        self.assertEqual(credit_notes.reversed_entry_id, first | second)
        self.assertEqual(self._credited_by_invoice_line(second.invoice_line_ids), 1)
        self.assertEqual(self._credited_by_invoice_line(first.invoice_line_ids), 1)
        self.assertAlmostEqual(sum(credit_notes.mapped("amount_total")), self._kit_price(2))
        self.assertEqual(sale_line.qty_delivered, 1)
        self.assertEqual(sale_line.qty_invoiced, 1)
        again = self._return_as(self.clerk, order)
        self.assertEqual(again.line_ids.product_uom_qty, 1)

    def test_odoo_return_wizard_mixed_in(self):
        order = self._sell_kits(2)
        invoice = self._invoice(order)
        sale_line = order.order_line
        delivery = order.picking_ids
        # The warehouse takes one kit back with Odoo's own Return button on the delivery.
        self._odoo_return(delivery, {self.cup: 2, self.machine: 1})
        self.assertEqual(sale_line.qty_delivered, 1)
        ret = self._return_as(self.clerk, order)
        self.assertEqual(ret.line_ids.product_uom_qty, 1, "one kit left to return")
        ret.action_submit()
        receipt = ret.receipt_ids
        self._receive(receipt.with_user(self.clerk))
        line = ret.line_ids
        self.assertEqual(line.qty_received, 1)
        self.assertEqual(sale_line.qty_delivered, 0)
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, self._kit_price(1))
        self.assertEqual(self._credited_by_invoice_line(invoice.invoice_line_ids), 1)

        # Odoo's Return button on the return receipt sends the kit back to the customer.
        reverse = self._odoo_return(receipt, {self.cup: 2, self.machine: 1})
        self.assertFalse(reverse.move_ids.return_line_id)
        self.assertEqual(line.qty_received, 0, "no longer received")
        self.assertEqual(sale_line.qty_delivered, 1, "delivered again, as Odoo counts it")
        self.assertEqual(len(ret.sudo().credit_note_ids), 1, "sending back credits nothing")
        self.assertEqual(self._quant_qty(self.cup, self.triage_location), 0)
        again = self._return_as(self.clerk, order)
        self.assertEqual(again.line_ids.product_uom_qty, 1)

    def test_wizard_returned_part_of_a_kit_takes_the_whole_kit(self):
        order = self._sell_kits(2)
        self._invoice(order)
        self._odoo_return(order.picking_ids, {self.cup: 1})
        self.assertEqual(order.order_line.qty_delivered, 1)
        ret = self._return_as(self.clerk, order)
        self.assertEqual(ret.line_ids.product_uom_qty, 1)
        with self.assertRaisesRegex(ValidationError, "only 1.0 can still be returned"):
            ret.line_ids.product_uom_qty = 2

    def test_portal_request_of_a_kit(self):
        order = self._sell_kits(2)
        self._invoice(order)
        returns = self.env["return.order"]
        candidates = returns._get_portal_candidates(order)
        self.assertEqual([(c["key"], c["product"], c["qty"]) for c in candidates],
                         [(f"kit{order.order_line.id}-0", self.kit, 2.0)])
        ret = returns._create_from_portal(order, {candidates[0]["key"]: 1}, self.reason_unwanted)
        self.assertEqual(ret.state, "approved")
        self.assertEqual((ret.line_ids.product_id, ret.line_ids.product_uom_qty), (self.kit, 1.0))
        self.assertEqual(returns._get_portal_candidates(order)[0]["qty"], 1.0)

    def test_kits_sold_by_the_dozen(self):
        """Kits sold in dozens are returned in kits and credited in dozens at the dozen's price."""
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock_in(self.cup, 48)
        self._stock_in(self.machine, 24)
        order = self._order([(self.kit, 2, 2400.0, 0.0, self.tax, dozen)])
        self._deliver(order)
        invoice = self._invoice(order)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 2)
        ret = self._return_as(self.clerk, order)
        self.assertEqual((ret.line_ids.product_uom_id, ret.line_ids.product_uom_qty), (self.kit.uom_id, 24.0))
        ret.line_ids.product_uom_qty = 18
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        credit_note = ret.sudo().credit_note_ids
        self.assertEqual((credit_note.invoice_line_ids.product_uom_id, credit_note.invoice_line_ids.quantity),
                         (dozen, 1.5))
        self.assertAlmostEqual(credit_note.amount_total, r2(1.5 * 2400.0 * (1 + self.tax.amount / 100.0)))
        self.assertEqual(self._credited_by_invoice_line(invoice.invoice_line_ids), 1.5)
        self.assertEqual(sale_line.qty_delivered, 0.5)
        self.assertEqual(sale_line.qty_invoiced, 0.5)

    def test_storable_kit_cost_of_goods_at_the_components_delivered_cost(self):
        """A storable kit credited at approval, after the machine's FIFO cost rose: the cost of goods
        reversed is what its components left with (2 x 5.00 + 60.00), nothing stays on the interim
        accounts."""
        self.policy.refund_step = "approval"
        kit = self._create_rl_product("Storable Espresso Kit", cost=0.0, price=200.0)
        self.env["mrp.bom"].create({
            "product_tmpl_id": kit.product_tmpl_id.id, "type": "phantom", "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": self.cup.id, "product_qty": 2}),
                             Command.create({"product_id": self.machine.id, "product_qty": 1})],
        })
        self.machine.standard_price = 60.0
        start = self.env["account.move"].search([], order="id desc", limit=1).id
        order = self._order([(kit, 1, 200.0, 0.0, self.tax)])
        self._deliver(order)
        invoice = self._invoice(order)
        cost = 2 * 5.0 + 60.0
        accounts = self._product_accounts(kit)
        self.assertAlmostEqual(sum(invoice.line_ids.filtered(
            lambda aml: aml.display_type == "cogs" and aml.account_id == accounts["expense"]).mapped("balance")), cost)
        # Bought again dearer: today's cost of the machine is no longer what left.
        self.machine.standard_price = 95.0
        self._stock_in(self.machine, 1)
        ret = self._return_as(self.clerk, order)
        ret.action_submit()
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.state, "posted", "credited at approval")
        self._assert_balances(note.line_ids.filtered(lambda aml: aml.display_type == "cogs"), [
            (accounts["stock_output"], cost), (accounts["expense"], -cost)])
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(order.order_line.qty_delivered, 0)
        receipt_entries = self._stock_entries(ret.receipt_ids.move_ids)
        self._assert_balances(receipt_entries, [(accounts["stock_valuation"], cost), (accounts["stock_output"], -cost)])
        # Delivery, invoice, credit note and receipt together leave nothing on the interim account.
        interim = self.env["account.move.line"].search([
            ("account_id", "=", accounts["stock_output"].id), ("parent_state", "=", "posted"),
            ("move_id", ">", start)])
        self.assertAlmostEqual(sum(interim.mapped("balance")), 0.0)
