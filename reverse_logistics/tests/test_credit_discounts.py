from odoo import Command, fields
from odoo.tests import Form, tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditDiscounts(CreditCommon):
    """What changed what the customer paid beside the unit price is credited in proportion: global
    discount and promotion lines, cash rounding, early payment discounts taken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 0.0
        cls._stock_in(cls.product, 40)
        cls.lot = cls._stock_in(cls.product_lot, 40, "LOT-DISC")
        # Copies of the company's sale tax: same tax accounts, other rates.
        cls.tax_5 = cls.tax.copy({"name": "VAT 5% (discounts)", "amount": 5.0})
        cls.tax_21 = cls.tax.copy({"name": "VAT 21% (discounts)", "amount": 21.0})
        cls.receivable = cls.partner.with_company(cls.company).property_account_receivable_id

    def _return_quantities(self, user, order, qty_by_product):
        """The user's return of these quantities of the sale's delivered products."""
        ret = self._return_as(user, order)
        for line in ret.line_ids:
            qty = qty_by_product.get(line.product_id, 0)
            if qty:
                line.product_uom_qty = qty
            else:
                line.unlink()
        return ret

    def _global_discount(self, order, percent):
        """The sale order's Discount button, Global Discount: one discount line per set of taxes."""
        wizard = self.env["sale.order.discount"].with_context(active_id=order.id).create({
            "sale_order_id": order.id, "discount_type": "so_discount", "discount_percentage": percent / 100.0,
        })
        wizard.action_apply_discount()
        return order.order_line.filtered(lambda sol: sol.product_id == self.company.sale_discount_product_id)

    def test_global_discount_credited_in_proportion_per_tax_group(self):
        """The issue's case, with two sets of taxes: 10 at 100.00 (15%) and 10 at 12.00 (5%) less a
        global 10%, returned in two returns: the two returns credit what the invoice charged, exactly."""
        order = self._order([(self.product, 10, 100.0, 0.0, self.tax), (self.product_lot, 10, 12.0, 0.0, self.tax_5)])
        discount_lines = self._global_discount(order, 10.0)
        self.assertEqual(len(discount_lines), 2, "one discount line per set of taxes")
        self._deliver(order)
        invoice = self._invoice(order)
        # 1,000.00 + 120.00, less 100.00 and 12.00; 15% of 900.00, 5% of 108.00.
        self.assertAlmostEqual(invoice.amount_total, r2(900 * 1.15) + r2(108 * 1.05))
        discount_15 = invoice.invoice_line_ids.filtered(lambda aml: aml.price_unit < 0 and aml.tax_ids == self.tax)
        discount_5 = invoice.invoice_line_ids.filtered(lambda aml: aml.price_unit < 0 and aml.tax_ids == self.tax_5)
        unit_line = invoice.invoice_line_ids.filtered(lambda aml: aml.product_id == self.product)

        first = self._return_quantities(self.clerk, order, {self.product: 4, self.product_lot: 3})
        first.action_submit()
        self._receive(first.receipt_ids.with_user(self.clerk))
        note = first.sudo().credit_note_ids
        # Shares: 100.00 x 400/1,000 and 12.00 x 36/120; taxes rounded per line, as the company does.
        share_15, share_5 = r2(100.0 * 400 / 1000), r2(12.0 * 36 / 120)
        tax_15 = r2(400 * 0.15) - r2(share_15 * 0.15)
        tax_5 = r2(36 * 0.05) - r2(share_5 * 0.05)
        self.assertAlmostEqual(note.amount_untaxed, 400 + 36 - share_15 - share_5)
        self.assertAlmostEqual(note.amount_tax, tax_15 + tax_5)
        self.assertAlmostEqual(note.amount_total, 400 + 36 - share_15 - share_5 + tax_15 + tax_5)
        shares = note.invoice_line_ids.filtered(lambda aml: aml.return_credit_share == "discount")
        self.assertEqual(shares.refunded_invoice_line_id, discount_15 | discount_5)
        self.assertEqual(shares.account_id, discount_15.account_id | discount_5.account_id)
        self.assertFalse(shares.sale_line_ids, "the discount line stays invoiced on the sale")
        self.assertEqual(first.line_ids.mapped("qty_refunded"), [4.0, 3.0])
        tax_account_15 = self.tax.invoice_repartition_line_ids.account_id
        tax_account_5 = self.tax_5.invoice_repartition_line_ids.account_id
        accounts = self._product_accounts(self.product)
        cost = r2(4 * 60.0) + r2(3 * 5.0)
        self._assert_balances(note, [
            (unit_line.account_id, 436.0), (discount_15.account_id, -share_15 - share_5),
            (tax_account_15, tax_15), (tax_account_5, tax_5),
            (self.receivable, -(436 - share_15 - share_5 + tax_15 + tax_5)),
            # Cost of goods reversed at the delivered cost (60.00 and 5.00), on the interim account.
            (accounts["stock_output"], cost), (accounts["expense"], -cost),
        ])
        receipt_entries = self._stock_entries(first.receipt_ids.move_ids)
        self._assert_balances(receipt_entries, [(accounts["stock_valuation"], cost), (accounts["stock_output"], -cost)])

        second = self._return_quantities(self.clerk, order, {self.product: 6, self.product_lot: 7})
        second.action_submit()
        self._receive(second.receipt_ids.with_user(self.clerk))
        last = second.sudo().credit_note_ids
        # The rest of each discount: its rounded share of all units less what the first return took.
        rest_15, rest_5 = r2(100.0 - share_15), r2(12.0 - share_5)
        self.assertAlmostEqual(last.amount_total, 600 + 84 - rest_15 - rest_5
                               + r2(600 * 0.15) - r2(rest_15 * 0.15) + r2(84 * 0.05) - r2(rest_5 * 0.05))
        self.assertAlmostEqual(note.amount_total + last.amount_total, invoice.amount_total,
                               msg="everything back: what the customer paid, not a cent more")
        self.assertAlmostEqual(invoice.amount_residual, 0.0)
        self.assertEqual(first.state, "done")
        self.assertEqual(second.state, "done")

    def test_promotion_line_credited_in_proportion(self):
        """A promotion (a negative service line, as loyalty rewards are) on the 15% lines only."""
        promotion = self.env["product.product"].create({
            "name": "Spring promotion", "type": "service", "invoice_policy": "order", "list_price": 0.0,
            "taxes_id": [Command.set(self.tax.ids)],
        })
        order = self._order([
            (self.product, 3, 100.0, 0.0, self.tax), (self.product_lot, 5, 12.0, 0.0, self.tax_5),
            (promotion, 1, -30.0, 0.0, self.tax),
        ])
        self._deliver(order)
        invoice = self._invoice(order)
        self.assertAlmostEqual(invoice.amount_total, r2(270 * 1.15) + r2(60 * 1.05))
        ret = self._return_quantities(self.clerk, order, {self.product: 1, self.product_lot: 5})
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        # The promotion was computed on the 15% lines: 30.00 x 100/300; the 5% lines had none.
        share = r2(30.0 * 100 / 300)
        self.assertAlmostEqual(note.amount_total, 100 - share + r2(100 * 0.15) - r2(share * 0.15) + r2(60 * 1.05))
        promo_share = note.invoice_line_ids.filtered("return_credit_share")
        self.assertEqual(promo_share.product_id, promotion)
        self.assertEqual(promo_share.return_line_id.product_id, self.product)
        self.assertEqual(order.order_line.filtered(lambda sol: sol.product_id == promotion).qty_invoiced, 1)

    def test_cash_rounding_as_the_invoice(self):
        """Cash rounding 0.05: 2 x 9.99 + 15% = 22.98 rounds to 23.00; each unit back credits 11.50."""
        rounding = self.env["account.cash.rounding"].create({
            "name": "0.05", "rounding": 0.05, "strategy": "add_invoice_line", "rounding_method": "HALF-UP",
            "profit_account_id": self.company_data["default_account_revenue"].id,
            "loss_account_id": self.company_data["default_account_expense"].id,
        })
        order = self._order([(self.product, 2, 9.99, 0.0, self.tax)])
        self._deliver(order)
        invoice = order._create_invoices()
        invoice.with_user(self.accountant).invoice_cash_rounding_id = rounding
        invoice.action_post()
        unrounded = r2(2 * 9.99) + r2(2 * 9.99 * 0.15)
        self.assertAlmostEqual(invoice.amount_total, float_round(unrounded, precision_rounding=0.05))

        ret = self._return_as(self.clerk, order, qty=1)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.invoice_cash_rounding_id, rounding)
        one = r2(9.99) + r2(9.99 * 0.15)  # 11.49
        self.assertAlmostEqual(note.amount_total, float_round(one, precision_rounding=0.05))
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - note.amount_total)

        rest = self._return_as(self.clerk, order, qty=1)
        rest.action_submit()
        self._receive(rest.receipt_ids.with_user(self.clerk))
        self.assertAlmostEqual(rest.sudo().credit_note_ids.amount_total, float_round(one, precision_rounding=0.05))
        self.assertAlmostEqual(invoice.amount_residual, 0.0, msg="nothing left open on the invoice")

    # Early payment discounts ------------------------------------------------------------------------
    def _early_term(self, computation):
        return self.env["account.payment.term"].create({
            "name": f"2/10 net 30 ({computation})", "company_id": self.company.id,
            "early_discount": True, "discount_percentage": 2.0, "discount_days": 10,
            "early_pay_discount_computation": computation,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })

    def _sold_and_paid(self, computation, early=True):
        """2 units at 100.00 + 21% on a 2% early payment term, paid by the accountant in time (or not)."""
        term = self._early_term(computation)
        order = self._order([(self.product, 2, 100.0, 0.0, self.tax_21)], payment_term_id=term.id)
        self._deliver(order)
        invoice = self._invoice(order)
        self.assertEqual(invoice.invoice_payment_term_id, term)
        date = invoice.invoice_date if early else fields.Date.add(invoice.invoice_date, days=20)
        register = Form(self.env["account.payment.register"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=invoice.ids))
        register.payment_date = date
        register.save().action_create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        return order, invoice

    def _return_one(self, order):
        ret = self._return_as(self.clerk, order, qty=1)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        return ret.sudo().credit_note_ids

    def test_early_payment_discount_included(self):
        """The issue's case: 242.00 paid 237.16 in time (tax reduced on payment); one unit back credits
        what was paid for it, 121.00 less 2%, the discount's tax given back as the payment reduced it."""
        order, invoice = self._sold_and_paid("included")
        self.assertAlmostEqual(invoice.amount_total, r2(200 * 1.21))
        self.assertAlmostEqual(invoice._get_reconciled_payments().amount, r2(242 * 0.98), msg="paid 237.16")
        note = self._return_one(order)
        discount = r2(100 * 0.02)
        self.assertAlmostEqual(note.amount_untaxed, 100 - discount)
        self.assertAlmostEqual(note.amount_tax, r2(100 * 0.21) - r2(discount * 0.21))
        self.assertAlmostEqual(note.amount_total, r2(121 * 0.98))
        loss = self.company.account_journal_early_pay_discount_loss_account_id
        tax_account = self.tax_21.refund_repartition_line_ids.account_id
        income = invoice.invoice_line_ids.account_id
        self._assert_balances(note.line_ids.filtered(lambda aml: aml.display_type != "cogs"), [
            (income, 100.0), (loss, -discount), (tax_account, r2(100 * 0.21) - r2(discount * 0.21)),
            (self.receivable, -r2(121 * 0.98)),
        ])
        self.assertAlmostEqual(note.amount_residual, r2(121 * 0.98), msg="open: the invoice is paid, refund it")
        rest = self._return_one(order)
        self.assertAlmostEqual(note.amount_total + rest.amount_total, r2(242 * 0.98), msg="what was paid")

    def test_early_payment_discount_excluded(self):
        """Tax never reduced: 242.00 paid 238.00 (2% of the untaxed 200.00); one unit credits 121.00 less
        2% of 100.00, without tax."""
        order, invoice = self._sold_and_paid("excluded")
        note = self._return_one(order)
        self.assertAlmostEqual(note.amount_tax, r2(100 * 0.21))
        self.assertAlmostEqual(note.amount_total, r2(121) - r2(100 * 0.02))
        share = note.invoice_line_ids.filtered(lambda aml: aml.return_credit_share == "early_payment")
        self.assertFalse(share.tax_ids)
        self.assertEqual(share.account_id, self.company.account_journal_early_pay_discount_loss_account_id)

    def test_early_payment_discount_mixed(self):
        """Tax reduced on the invoice: 200.00 + 21% of 196.00 = 241.16, paid 237.16; one unit credits
        100.00 + 21% of 98.00 less 2.00."""
        order, invoice = self._sold_and_paid("mixed")
        self.assertAlmostEqual(invoice.amount_total, 200 + r2(196 * 0.21))
        note = self._return_one(order)
        self.assertAlmostEqual(note.amount_tax, r2(98 * 0.21))
        self.assertAlmostEqual(note.amount_total, 100 + r2(98 * 0.21) - r2(100 * 0.02))

    def test_early_payment_discount_not_taken(self):
        """Paid after the discount date: the full price was paid and is credited."""
        order, invoice = self._sold_and_paid("included", early=False)
        note = self._return_one(order)
        self.assertAlmostEqual(note.amount_total, r2(121))
        self.assertFalse(note.invoice_line_ids.filtered("return_credit_share"))
