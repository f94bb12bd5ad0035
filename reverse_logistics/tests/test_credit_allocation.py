from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditAllocation(CreditCommon):
    """Returned units are credited against the invoice lines that billed them, never beyond."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 0.0
        cls._stock_in(cls.product, 20)

    def _two_invoices(self):
        order = self._order([(self.product, 10, 100.0, 0.0, self.tax)])
        self._deliver(order, {self.product: 5})
        first = self._invoice(order)
        self._deliver(order)
        second = self._invoice(order)
        return order, first, second

    def test_two_invoices_credited_newest_first(self):
        order, first, second = self._two_invoices()
        ret = self._return_as(self.clerk, order, qty=7, reason=self.reason_defect)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self._receive(ret.receipt_ids.with_user(self.clerk))

        notes = ret.sudo().credit_note_ids
        self.assertEqual(len(notes), 2, "one credit note per invoice")
        on_second = notes.filtered(lambda m: m.reversed_entry_id == second)
        on_first = notes.filtered(lambda m: m.reversed_entry_id == first)
        # 5 units of 100.00 + 15% tax against the second invoice, the other 2 against the first.
        self.assertAlmostEqual(on_second.amount_total, r2(5 * 100.0 * 1.15))
        self.assertAlmostEqual(on_first.amount_total, r2(2 * 100.0 * 1.15))
        self.assertEqual(set(notes.mapped("state")), {"posted"})
        self.assertAlmostEqual(second.amount_residual, 0.0)
        self.assertAlmostEqual(first.amount_residual, r2(5 * 115.0) - r2(2 * 115.0))
        for invoice in first | second:
            invoice_line = invoice.invoice_line_ids
            self.assertLessEqual(self._credited_by_invoice_line(invoice_line), invoice_line.quantity)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 3)
        self.assertEqual(sale_line.qty_invoiced, 3)
        self.assertEqual(sum(ret.line_ids.mapped("qty_refunded")), 7)
        self.assertEqual(ret.state, "done")
        self.assertIn(self.clerk.name, ret.sudo().message_ids[:3].mapped("body")[0] + " ".join(
            ret.sudo().message_ids.mapped("body")), "the chatter names who triggered the credit")
        for note in notes:
            self.assertTrue(note.line_ids, "balanced entry")
            self.assertAlmostEqual(sum(note.line_ids.mapped("debit")), sum(note.line_ids.mapped("credit")))

    def test_uninvoiced_units_are_not_credited(self):
        order = self._order([(self.product, 10, 100.0, 0.0, self.tax)])
        self._deliver(order, {self.product: 5})
        invoice = self._invoice(order)
        self._deliver(order)  # 5 more delivered, never invoiced
        ret = self._return_as(self.clerk, order, qty=7, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(len(note), 1)
        self.assertEqual(note.reversed_entry_id, invoice)
        self.assertAlmostEqual(note.amount_total, r2(2 * 100.0 * 1.15))
        self.assertEqual(sum(ret.line_ids.mapped("qty_not_invoiced")), 5)
        self.assertEqual(sum(ret.line_ids.mapped("qty_refunded")), 2)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 3)
        self.assertEqual(sale_line.qty_invoiced, 3)
        self.assertEqual(sale_line.qty_to_invoice, 0, "nothing left to invoice for the units kept")
        self.assertEqual(ret.state, "done")

    def test_fee_on_line_total_rounded_once(self):
        self.policy.restocking_fee_percent = 12.5
        self._stock_in(self.product_lot, 3, "LOT-FEE")
        order = self._order([(self.product_lot, 3, 33.33, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=3)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        total = 3 * 33.33  # 99.99
        fee = r2(total * 0.125)  # 12.49875 -> 12.50 (per unit: 4.17 x 3 = 12.51)
        self.assertAlmostEqual(fee, 12.5)
        self.assertAlmostEqual(note.amount_untaxed, r2(total - fee))
        # Taxes rounded per line, as the company rounds them.
        tax = r2(total * 0.15) - r2(fee * 0.15)
        self.assertAlmostEqual(note.amount_tax, tax)
        self.assertAlmostEqual(note.amount_total, r2(total - fee) + tax)
        self.assertAlmostEqual(ret.line_ids.restocking_fee_charged, fee)

    def test_invoice_credited_by_hand_stops_with_its_name(self):
        self.policy.refund_step = "approval"
        order = self._order([(self.product, 4, 100.0, 0.0, self.tax)])
        self._deliver(order)
        invoice = self._invoice(order)
        reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({
                "journal_id": invoice.journal_id.id, "reason": "commercial gesture"})
        reversal.refund_moves()
        hand_credit = invoice.reversal_move_ids
        hand_credit.action_post()
        ret = self._return_as(self.returns_manager, order, qty=2, reason=self.reason_defect)
        with self.assertRaisesRegex(UserError, invoice.name):
            ret.action_submit()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.sudo().credit_note_ids, "nothing created")
        self.assertFalse(ret.sudo().receipt_ids)

    def test_manual_credit_before_receipt(self):
        order = self._order([(self.product, 4, 100.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=3, reason=self.reason_defect)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self.assertFalse(ret.sudo().credit_note_ids, "the policy resolves on receipt")
        with self.assertRaises(AccessError):
            ret.action_create_credit_note()
        ret.with_user(self.accountant).action_create_credit_note()
        note = ret.sudo().credit_note_ids
        self.assertEqual(len(note), 1)
        self.assertAlmostEqual(note.amount_total, r2(3 * 115.0), msg="the requested units, before receipt")
        with self.assertRaisesRegex(UserError, "every requested unit already has a credit note"):
            ret.with_user(self.accountant).action_create_credit_note()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(len(ret.sudo().credit_note_ids), 1, "the receipt credits nothing more")
        self.assertEqual(ret.state, "done")

    def test_salesman_manager_receives_another_salespersons_return(self):
        seller = new_test_user(self.env, login="rl_credit_seller", groups="sales_team.group_sale_salesman",
                               company_id=self.company.id, company_ids=self.company.ids)
        manager = new_test_user(
            self.env, login="rl_credit_sales_manager",
            groups="sales_team.group_sale_salesman,stock.group_stock_user,reverse_logistics.group_return_manager",
            company_id=self.company.id, company_ids=self.company.ids)
        order = self._order([(self.product, 2, 100.0, 0.0, self.tax)], user_id=seller.id)
        self._deliver(order)
        self._invoice(order)
        ret = self._new_return(order, qty=2, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(manager))
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, r2(2 * 115.0))
        self.assertEqual(order.order_line.qty_delivered, 0)

    def test_clerk_receives_in_two_steps(self):
        order = self._order([(self.product, 2, 100.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=2)
        ret.action_submit()
        backorder = self._receive(ret.receipt_ids.with_user(self.clerk), {self.product: 1})
        self._receive(backorder.with_user(self.clerk))
        self.assertEqual(len(ret.sudo().credit_note_ids), 2)
        self.assertAlmostEqual(sum(ret.sudo().credit_note_ids.mapped("amount_total")), r2(2 * 115.0))
        self.assertEqual(ret.state, "done")

    def test_lot_backorder_keeps_the_announced_lot(self):
        lot = self._stock_in(self.product_lot, 4, "LOT-BO")
        order = self._order([(self.product_lot, 4, 12.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=3)
        ret.action_submit()
        backorder = self._receive(ret.receipt_ids.with_user(self.clerk), {self.product_lot: 1})
        self.assertEqual(backorder.move_line_ids.lot_id, lot)
        self._receive(backorder.with_user(self.clerk))
        self.assertEqual(self._quant_qty(self.product_lot, self.triage_location, lot), 3)
        self.assertEqual(ret.line_ids.qty_refunded, 3)

    def test_down_payment_deducted_on_the_final_invoice(self):
        order = self._order([(self.product, 10, 100.0, 0.0, self.tax)])
        wizard = self.env["sale.advance.payment.inv"].with_context(
            active_model="sale.order", active_ids=order.ids).create({
                "advance_payment_method": "percentage", "amount": 50})
        wizard.create_invoices()
        down = order.invoice_ids
        down.action_post()
        self._deliver(order)
        final = order._create_invoices(final=True)
        final.action_post()
        # 10 x 115.00 less the 50% down payment of 575.00.
        self.assertAlmostEqual(final.amount_total, r2(10 * 115.0) - r2(5 * 115.0))
        product_line = order.order_line.filtered(lambda sol: sol.product_id == self.product)
        ret = self._return_as(self.clerk, order, qty=3, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.reversed_entry_id, final)
        self.assertAlmostEqual(note.amount_total, r2(3 * 115.0), msg="the units at their price, as Odoo would")
        self.assertEqual(note.invoice_line_ids.sale_line_ids, product_line)
        self.assertEqual(product_line.qty_invoiced, 7)
        self.assertEqual(product_line.qty_delivered, 7)
        down_line = order.order_line.filtered(lambda sol: sol.is_downpayment and not sol.display_type)
        self.assertEqual(down_line.qty_invoiced, 0, "the down payment stays deducted")

    def test_ordered_quantities_invoiced_before_delivery(self):
        product = self._create_rl_product("Ordered Policy Machine", cost=60.0, price=100.0, invoice_policy="order")
        self._stock_in(product, 10)
        order = self._order([(product, 10, 100.0, 0.0, self.tax)])
        invoice = self._invoice(order)
        self._deliver(order, {product: 6})
        ret = self._return_as(self.clerk, order, qty=4, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.reversed_entry_id, invoice)
        self.assertAlmostEqual(note.amount_total, r2(4 * 115.0))
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 2)
        self.assertEqual(sale_line.qty_invoiced, 6)
        # Odoo invoices ordered quantities: the 4 credited units are to invoice again unless the
        # ordered quantity is lowered, as after any credit note on such a line.
        self.assertEqual(sale_line.qty_to_invoice, 4)
