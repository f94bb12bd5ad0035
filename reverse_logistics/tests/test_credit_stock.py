from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditStock(CreditCommon):
    """What comes back is valued as what left: consignment stock keeps its owner and is valued neither
    way, and the cost of goods a credit reverses is what the delivered units cost."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 0.0
        # Settings > Inventory > Consignment.
        cls.env.ref("base.group_user").implied_ids += cls.env.ref("stock.group_tracking_owner")
        cls.consignor = cls.env["res.partner"].create({"name": "Consignor Ltd"})

    def _stock_in_owned(self, product, qty, owner):
        """Goods on hand that `owner` owns (consignment): Odoo values none of them."""
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id, "location_id": self.stock_location.id, "owner_id": owner.id,
            "inventory_quantity": qty,
        }).action_apply_inventory()

    def _layers(self, moves):
        return self.env["stock.valuation.layer"].search([("stock_move_id", "in", moves.ids)])

    def _interim_balance(self, product):
        """What the product left on the stock interim (output) account, all entries together."""
        account = self._product_accounts(product)["stock_output"]
        lines = self.env["account.move.line"].search([
            ("product_id", "=", product.id), ("account_id", "=", account.id), ("parent_state", "=", "posted")])
        return r2(sum(lines.mapped("balance")))

    def test_consignment_stock_comes_back_its_owners(self):
        grinder = self._create_rl_product("Consigned Grinder", cost=70.0, price=100.0)
        self._stock_in_owned(grinder, 3, self.consignor)
        order = self._order([(grinder, 2, 100.0, 0.0, self.tax)])
        self._deliver(order)
        delivery = order.picking_ids
        self.assertEqual(delivery.move_line_ids.owner_id, self.consignor)
        self.assertFalse(self._layers(delivery.move_ids), "Odoo values no stock the company never owned")
        invoice = self._invoice(order)
        self.assertFalse(invoice.line_ids.filtered(lambda aml: aml.display_type == "cogs"))

        ret = self._return_as(self.clerk, order, qty=1)
        ret.action_submit()
        receipt = ret.receipt_ids
        # The clerk assigns the whole receipt to another owner: refused, nothing received.
        receipt.with_user(self.clerk).owner_id = self.partner_b
        with self.assertRaisesRegex(UserError, "keep the owner of the units delivered"):
            self._receive(receipt.with_user(self.clerk))
        self.assertEqual(receipt.state, "assigned")
        self.assertFalse(ret.sudo().credit_note_ids)
        receipt.with_user(self.clerk).owner_id = False
        # The clerk types another owner on the receipt's line: the delivered owner is what counts.
        receipt.with_user(self.clerk).move_line_ids.owner_id = self.partner_b
        self._receive(receipt.with_user(self.clerk))
        self.assertEqual(receipt.move_line_ids.owner_id, self.consignor, "the unit keeps its owner")
        triage = self.env["stock.quant"].search([
            ("product_id", "=", grinder.id), ("location_id", "=", self.triage_location.id)])
        self.assertEqual(triage.owner_id, self.consignor)
        self.assertEqual(triage.quantity, 1)
        self.assertFalse(self._layers(receipt.move_ids), "no valuation layer")
        self.assertFalse(self._stock_entries(receipt.move_ids), "no stock journal entry")
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_total, r2(100 * 1.15))
        self.assertFalse(note.line_ids.filtered(lambda aml: aml.display_type == "cogs"),
                         "no cost of goods reversed: none was booked")
        receivable = self.partner.with_company(self.company).property_account_receivable_id
        self._assert_balances(note, [
            (invoice.invoice_line_ids.account_id, 100.0), (self.tax.invoice_repartition_line_ids.account_id, 15.0),
            (receivable, -115.0),
        ])
        self.assertAlmostEqual(invoice.amount_residual, r2(100 * 1.15))
        self.assertEqual(self._interim_balance(grinder), 0.0)

    def test_consignment_and_own_stock_in_one_delivery(self):
        """One unit the company owns (at 60.00), one a consignor owns: each comes back its owner's, the
        company's valued at its cost, and the cost of goods reversed is that unit's only."""
        grinder = self._create_rl_product("Mixed Grinder", cost=60.0, price=100.0)
        self._stock_in(grinder, 1)
        self._stock_in_owned(grinder, 1, self.consignor)
        order = self._order([(grinder, 2, 100.0, 0.0, self.tax)])
        self._deliver(order)
        delivery = order.picking_ids
        self.assertEqual(sorted(delivery.move_line_ids.mapped("owner_id.name")), ["Consignor Ltd"])
        invoice = self._invoice(order)
        accounts = self._product_accounts(grinder)
        self.assertAlmostEqual(sum(invoice.line_ids.filtered(
            lambda aml: aml.display_type == "cogs" and aml.account_id == accounts["expense"]).mapped("balance")), 60.0)

        ret = self._return_as(self.clerk, order, qty=2)
        ret.action_submit()
        receipt = ret.receipt_ids
        # Typed as the consignor's, both: the company's unit still comes back the company's, valued.
        receipt.with_user(self.clerk).move_line_ids.owner_id = self.consignor
        self._receive(receipt.with_user(self.clerk))
        lines = receipt.move_line_ids
        self.assertEqual(sorted((ml.owner_id.name or "", ml.quantity) for ml in lines),
                         [("", 1.0), ("Consignor Ltd", 1.0)])
        layers = self._layers(receipt.move_ids)
        self.assertEqual((layers.quantity, layers.value), (1.0, 60.0), "the company's unit, at its cost")
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_total, r2(200 * 1.15))
        self._assert_balances(note.line_ids.filtered(lambda aml: aml.display_type == "cogs"), [
            (accounts["stock_output"], 60.0), (accounts["expense"], -60.0)])
        self._assert_balances(self._stock_entries(receipt.move_ids), [
            (accounts["stock_valuation"], 60.0), (accounts["stock_output"], -60.0)])
        self.assertEqual(self._interim_balance(grinder), 0.0)

    def test_fifo_credit_before_receipt_reverses_the_delivered_cost(self):
        """Delivered at 50.00; a later purchase at 90.00 makes today's FIFO cost 90.00. Credited at approval,
        before the unit is back: the cost of goods reversed is 50.00, what the unit left and comes back at,
        and nothing stays on the stock interim account."""
        self.policy.refund_step = "approval"
        machine = self._create_rl_product("FIFO Machine", cost=50.0, price=100.0)
        self._stock_in(machine, 1)
        order = self._order([(machine, 1, 100.0, 0.0, self.tax)])
        self._deliver(order)
        invoice = self._invoice(order)
        accounts = self._product_accounts(machine)
        machine.standard_price = 90.0
        self._stock_in(machine, 1)
        self.assertAlmostEqual(machine.standard_price, 90.0)

        ret = self._return_as(self.clerk, order, qty=1)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.state, "posted", "credited at approval, before the receipt")
        self._assert_balances(note.line_ids.filtered(lambda aml: aml.display_type == "cogs"), [
            (accounts["stock_output"], 50.0), (accounts["expense"], -50.0)])
        self.assertAlmostEqual(invoice.amount_residual, 0.0)

        receipt = ret.receipt_ids
        self._receive(receipt.with_user(self.clerk))
        layers = self._layers(receipt.move_ids)
        self.assertEqual((layers.quantity, layers.value), (1.0, 50.0), "back at the value it left with")
        self._assert_balances(self._stock_entries(receipt.move_ids), [
            (accounts["stock_valuation"], 50.0), (accounts["stock_output"], -50.0)])
        self.assertEqual(self._interim_balance(machine), 0.0, "nothing left on the interim account")
        expense = self.env["account.move.line"].search([
            ("product_id", "=", machine.id), ("account_id", "=", accounts["expense"].id),
            ("parent_state", "=", "posted")])
        self.assertAlmostEqual(sum(expense.mapped("balance")), 0.0, msg="the sale's cost of goods fully reversed")
        all_layers = self.env["stock.valuation.layer"].search([("product_id", "=", machine.id)])
        self.assertAlmostEqual(sum(all_layers.mapped("value")), 90.0 + 50.0, msg="on hand: a 90.00 and a 50.00 unit")
