from odoo import Command
from odoo.tests import tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


def r3(amount):
    return float_round(amount, precision_digits=3)


@tagged("post_install", "-at_install")
class TestCreditFee(CreditCommon):
    """The restocking fee: taxes that are a percentage of the price only, the analytic distribution of
    the line it is charged on, and one figure on the return and on the credit note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 10.0
        cls._stock_in(cls.product, 20)
        cls.vat_20 = cls.tax.copy({"name": "VAT 20% (fee)", "amount": 20.0, "sequence": 20})
        cls.ecotax = cls.tax.copy({
            "name": "Ecotax 0.50 (fee)", "amount_type": "fixed", "amount": 0.5, "sequence": 10,
            "include_base_amount": True,
        })
        cls.eco_product = cls._create_rl_product("Kettle", cost=4.0, price=10.0)
        cls._stock_in(cls.eco_product, 10)

    def _returned_and_credited(self, order, qty):
        ret = self._return_as(self.clerk, order, qty=qty)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        return ret, ret.sudo().credit_note_ids

    def _check_ecotax_credit(self, taxes):
        order = self._order([(self.eco_product, 1, 10.0, 0.0, taxes)])
        self._deliver(order)
        invoice = self._invoice(order)
        # 10.00 + 0.50 ecotax, 20% VAT on 10.50.
        self.assertAlmostEqual(invoice.amount_total, 10.0 + 0.5 + r2(10.5 * 0.20))
        ret, note = self._returned_and_credited(order, 1)
        fee = r2(10.0 * 0.10)
        fee_line = note.invoice_line_ids.filtered("is_restocking_fee")
        self.assertEqual(fee_line.tax_ids, self.vat_20, "no ecotax on a fee: it is no unit")
        # The figures: 12.60 back less the fee 1.00 and its VAT 0.20: 11.40 (not 12.00).
        self.assertAlmostEqual(note.amount_total, 10.0 + 0.5 + r2(10.5 * 0.20) - fee - r2(fee * 0.20))
        self.assertAlmostEqual(note.amount_total, 11.40)
        tax_lines = note.line_ids.filtered("tax_line_id")
        ecotax_lines = tax_lines.filtered(lambda aml: aml.tax_line_id == self.ecotax)
        vat_lines = tax_lines.filtered(lambda aml: aml.tax_line_id == self.vat_20)
        self.assertAlmostEqual(sum(ecotax_lines.mapped("balance")), 0.5)
        self.assertAlmostEqual(sum(vat_lines.mapped("balance")), r2(10.5 * 0.20) - r2(fee * 0.20))
        self.assertAlmostEqual(ret.line_ids.restocking_fee_charged, fee)

    def test_fixed_tax_not_on_fee(self):
        self._check_ecotax_credit(self.ecotax | self.vat_20)

    def test_fixed_tax_in_a_group_not_on_fee(self):
        group = self.env["account.tax"].create({
            "name": "Ecotax + VAT 20% (fee)", "amount_type": "group", "type_tax_use": "sale",
            "company_id": self.company.id, "children_tax_ids": [Command.set((self.ecotax | self.vat_20).ids)],
        })
        self._check_ecotax_credit(group)

    def test_fee_takes_the_analytic_distribution(self):
        plan = self.env["account.analytic.plan"].create({"name": "Projects (fee)"})
        project = self.env["account.analytic.account"].create({"name": "Project Alpha", "plan_id": plan.id})
        order = self._order([(self.product, 4, 100.0, 0.0, self.tax)])
        order.order_line.analytic_distribution = {str(project.id): 100}
        self._deliver(order)
        invoice = self._invoice(order)
        self.assertEqual(invoice.invoice_line_ids.analytic_distribution, {str(project.id): 100})
        _ret, note = self._returned_and_credited(order, 2)
        fee = r2(200 * 0.10)
        fee_line = note.invoice_line_ids.filtered("is_restocking_fee")
        self.assertEqual(fee_line.analytic_distribution, {str(project.id): 100})
        analytic = self.env["account.analytic.line"].search([("auto_account_id", "=", project.id)])
        income = analytic.filtered(lambda al: al.move_line_id.display_type == "product")
        # The project earned 400.00, gave 200.00 back and kept the 20.00 fee...
        self.assertAlmostEqual(sum(income.filtered(lambda al: al.move_line_id.move_id == note).mapped("amount")),
                               -(200.0 - fee))
        self.assertAlmostEqual(sum(income.mapped("amount")), 400.0 - 200.0 + fee)
        # ... and bears the cost of the 2 units the customer kept (60.00 each).
        self.assertAlmostEqual(sum(analytic.mapped("amount")), 400.0 - 200.0 + fee - 2 * 60.0)

    def test_fee_on_return_is_the_fee_on_the_credit_note(self):
        """Three-decimal currency (prices kept to 3 decimals, as such a company sets them), taxes included,
        a line discount: the return shows the fee the credit note charges, from the one computation
        (15% of 3 x 7.839 less 12.5%: 3.087)."""
        self.env.ref("product.decimal_price").digits = 3
        kwd = self.setup_other_currency("KWD", rates=[("2016-01-01", 0.5)])
        self.assertEqual(kwd.decimal_places, 3)
        pricelist = self.env["product.pricelist"].create({
            "name": "KWD (fee)", "currency_id": kwd.id, "company_id": self.company.id})
        tax_included = self.tax.copy({"name": "VAT 15% incl. (fee)", "price_include_override": "tax_included"})
        self.policy.restocking_fee_percent = 15.0
        order = self._order([(self.product, 3, 7.839, 12.5, tax_included)], pricelist_id=pricelist.id)
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=3)
        gross = 3 * 7.839 * (1 - 0.125)  # 20.577375, taxes included
        fee = r3(gross * 0.15)  # 3.087
        self.assertEqual(ret.currency_id, kwd)
        self.assertAlmostEqual(ret.line_ids.restocking_fee_amount, fee, places=3)
        self.assertAlmostEqual(ret.amount_restocking_fee, fee, places=3)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        fee_line = note.invoice_line_ids.filtered("is_restocking_fee")
        self.assertAlmostEqual(-fee_line.price_unit, fee, places=3)
        self.assertAlmostEqual(note.amount_total, r3(gross) - fee, places=3)
        self.assertAlmostEqual(-fee_line.price_unit, ret.line_ids.restocking_fee_amount, places=3,
                               msg="one figure on the return and on the credit note")

    def test_fee_on_what_was_paid_after_a_global_discount(self):
        """10 at 100.00 less a global 10%: 2 back pay a 10% fee on the 180.00 paid for them."""
        order = self._order([(self.product, 10, 100.0, 0.0, self.tax)])
        self.env["sale.order.discount"].with_context(active_id=order.id).create({
            "sale_order_id": order.id, "discount_type": "so_discount", "discount_percentage": 0.1,
        }).action_apply_discount()
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, qty=2)
        share = r2(100.0 * 200 / 1000)
        fee = r2((200 - share) * 0.10)
        self.assertAlmostEqual(ret.line_ids.restocking_fee_amount, fee)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_untaxed, 200 - share - fee)
        self.assertAlmostEqual(
            note.amount_total, 200 - share - fee + r2(200 * 0.15) - r2(share * 0.15) - r2(fee * 0.15))
