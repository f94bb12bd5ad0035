from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditCurrencyTaxUom(CreditCommon):
    """Credit notes compute as the invoice did: taxes included, fiscal positions, currencies, units."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 0.0
        cls._stock_in(cls.product, 40)
        cls.tax_included = cls.env["account.tax"].create({
            "name": "VAT 15% incl.", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": cls.company.id,
        })
        cls.tax_export = cls.env["account.tax"].create({
            "name": "Export 0%", "amount": 0.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": cls.company.id,
        })
        # 1 company currency unit = 2.0 EUR from 2016 on.
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        cls.eur_pricelist = cls.env["product.pricelist"].create({
            "name": "EUR", "currency_id": cls.eur.id, "company_id": cls.company.id,
        })

    def _sold_and_invoiced(self, lines, **vals):
        order = self._order(lines, **vals)
        self._deliver(order)
        invoice = self._invoice(order)
        return order, invoice

    def test_tax_included_price(self):
        order, invoice = self._sold_and_invoiced([(self.product, 10, 115.0, 0.0, self.tax_included)])
        ret = self._return_as(self.clerk, order, qty=7, reason=self.reason_defect)
        # 7 x 115.00 taxes included: 805.00, of which 805 / 1.15 = 700.00 untaxed.
        self.assertAlmostEqual(ret.line_ids.price_subtotal, r2(7 * 115.0 / 1.15))
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_total, r2(7 * 115.0))
        self.assertAlmostEqual(note.amount_untaxed, r2(7 * 115.0 / 1.15))
        self.assertEqual(note.reversed_entry_id, invoice)

    def test_fiscal_position_and_discount(self):
        fiscal_position = self.env["account.fiscal.position"].create({
            "name": "Export", "company_id": self.company.id,
            "tax_ids": [Command.create({"tax_src_id": self.tax.id, "tax_dest_id": self.tax_export.id})],
        })
        order, invoice = self._sold_and_invoiced(
            [(self.product, 10, 99.99, 7.0, None)], fiscal_position_id=fiscal_position.id)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_export)
        ret = self._return_as(self.clerk, order, qty=3, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.fiscal_position_id, fiscal_position)
        self.assertEqual(note.invoice_line_ids.tax_ids, self.tax_export)
        self.assertAlmostEqual(note.amount_total, r2(3 * 99.99 * 0.93))

    def test_foreign_currency_limit_values_and_exchange(self):
        self.policy.auto_approve_max_amount = 200.0  # company currency
        order, invoice = self._sold_and_invoiced(
            [(self.product, 5, 100.0, 0.0, self.tax)], pricelist_id=self.eur_pricelist.id)
        self.assertEqual(invoice.currency_id, self.eur)
        ret = self._return_as(self.clerk, order, qty=3, reason=self.reason_defect)
        self.assertEqual(ret.currency_id, self.eur)
        # 300.00 EUR = 150.00 in company currency: under the 200.00 limit.
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.currency_id, self.eur)
        self.assertAlmostEqual(note.amount_total, r2(3 * 115.0))
        self.assertAlmostEqual(-note.amount_total_signed, r2(3 * 115.0 / 2.0))

        # Graded units are valued in company currency at the invoice's rate: 100 EUR = 50.00.
        grade = self.env.ref("reverse_logistics.grade_a")
        self.env["return.grading.station"].with_user(self.returns_manager).grade(ret.line_ids.id, grade.id, 1)
        self.assertAlmostEqual(ret.grading_ids.unit_value, 50.0)

        # 4 units: 400.00 EUR = 200.00, at the limit; 5 would not be.
        self.policy.auto_approve_max_amount = 99.0
        second = self._return_as(self.clerk, order, qty=2, reason=self.reason_defect)
        second.action_submit()
        self.assertEqual(second.state, "draft", "200.00 EUR = 100.00 is above a 99.00 limit")

    def test_exchange_difference_in_replacement_currency(self):
        better = self._create_rl_product("Espresso Machine Pro", cost=90.0, price=130.0)
        self._stock_in(better, 2)
        self.partner.property_product_pricelist = self.eur_pricelist
        order, _invoice = self._sold_and_invoiced(
            [(self.product, 2, 100.0, 0.0, self.tax)], pricelist_id=self.eur_pricelist.id)
        ret = self._return_as(self.clerk, order, qty=1, reason=self.reason_defect, resolution="exchange")
        ret.line_ids.exchange_product_id = better
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        replacement = ret.sudo().exchange_order_ids
        self.assertEqual(replacement.currency_id, self.eur)
        # 130.00 list price = 260.00 EUR, less the 100.00 EUR paid.
        self.assertAlmostEqual(replacement.order_line.price_unit, 130.0 * 2.0 - 100.0)

    def test_sold_in_dozens_returned_in_units(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        order, invoice = self._sold_and_invoiced([(self.product, 2, 1200.0, 0.0, self.tax, dozen)])
        ret = self._return_as(self.clerk, order, qty=18, reason=self.reason_defect)
        self.assertEqual(ret.line_ids.product_uom_id, self.product.uom_id)
        self.assertAlmostEqual(ret.line_ids.price_unit, 100.0, msg="1200.00 a dozen is 100.00 a unit")
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        note = ret.sudo().credit_note_ids
        # 18 units = 1.5 dozens of 1200.00, + 15% tax.
        self.assertAlmostEqual(note.amount_total, r2(1.5 * 1200.0 * 1.15))
        self.assertEqual(note.invoice_line_ids.product_uom_id, dozen)
        self.assertAlmostEqual(order.order_line.qty_delivered, 0.5)
        self.assertAlmostEqual(order.order_line.qty_invoiced, 0.5)

        # 5 of the 6 units left: not whole dozens, credited per unit at the exact 100.00.
        rest = self._return_as(self.clerk, order, qty=5, reason=self.reason_defect)
        rest.action_submit()
        self._receive(rest.receipt_ids.with_user(self.clerk))
        self.assertAlmostEqual(rest.sudo().credit_note_ids.amount_total, r2(5 * 100.0 * 1.15))

    def test_unit_price_not_exact_is_refused(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self.policy.refund_step = "approval"
        order, invoice = self._sold_and_invoiced([(self.product, 1, 1000.0, 0.0, self.tax, dozen)])
        ret = self._return_as(self.returns_manager, order, qty=5, reason=self.reason_defect)
        with self.assertRaisesRegex(UserError, f"cannot be credited exactly against {invoice.name}"):
            ret.action_submit()
        self.assertFalse(ret.sudo().credit_note_ids)
        self.assertEqual(ret.state, "draft")
