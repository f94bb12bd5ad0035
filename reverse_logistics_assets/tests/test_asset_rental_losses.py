from datetime import date, datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CASE_PRICE, CASES_PER_PALLET, DEPOSIT, GRACE_DAYS, RENTAL, REPLACEMENT, TAX, AssetsCommon


@tagged("post_install", "-at_install")
class TestAssetRental(AssetsCommon):
    """Rental by unit-days actually out beyond the grace days, returned units included, per period."""

    def _dated(self, picking, when):
        picking.move_ids.write({"date": when})
        picking.move_ids.move_line_ids.write({"date": when})

    def test_rental_counts_every_unit_day_out_and_runs_once_per_period(self):
        # 3 pallets out from 1 October, 2 back on 20 November.
        _order, delivery, _invoice = self._sell(3 * CASES_PER_PALLET)
        self._dated(delivery, datetime(2025, 10, 1, 9, 0))
        self._dated(self._count_back(2), datetime(2025, 11, 20, 16, 0))
        # Another customer: 3 out from 1 October, all back on 25 November, before the cron runs.
        other = self.env["res.partner"].create({"name": "Second brewery", "user_id": self.salesman.id})
        _order, delivery, _invoice = self._sell(3 * CASES_PER_PALLET, partner=other)
        self._dated(delivery, datetime(2025, 10, 1, 9, 0))
        self._dated(self._count_back(3, partner=other), datetime(2025, 11, 25, 8, 0))
        self.assertEqual(self._balance(other).balance, 0)
        rental = self.env["returnable.asset.rental"]

        # October: free up to 30 October (30 grace days from 1 October), charged from 31 October.
        october = rental._cron_invoice_rental(today=date(2025, 11, 3))
        self.assertEqual(sorted(october.mapped("unit_days")), [3 * 1, 3 * 1])

        # November: the pallet still out all 30 days; the two back on 20 November out 1-19 November.
        november = rental._cron_invoice_rental(today=date(2025, 12, 5))
        by_partner = {r.partner_id: r for r in november}
        self.assertEqual(by_partner[self.partner].unit_days, 30 + 2 * 19)
        self.assertAlmostEqual(by_partner[self.partner].invoice_id.amount_total, (30 + 2 * 19) * RENTAL)
        self.assertEqual(by_partner[self.partner].invoice_id.state, "posted")
        # All back on 25 November: out 1-24 November, charged though nothing is held when the cron runs.
        self.assertEqual(by_partner[other].unit_days, 3 * 24)
        self.assertAlmostEqual(by_partner[other].invoice_id.amount_total, 3 * 24 * RENTAL)

        # Running a period again invoices nothing twice.
        self.assertFalse(rental._cron_invoice_rental(today=date(2025, 12, 5)))
        self.assertFalse(rental._cron_invoice_rental(today=date(2025, 11, 30)))
        invoices = self.env["account.move"].search([("invoice_line_ids.product_id", "=", self.rental_product.id)])
        self.assertEqual(len(invoices), 4)
        self.assertAlmostEqual(sum(invoices.mapped("amount_total")), (3 + 3 + 30 + 2 * 19 + 3 * 24) * RENTAL)
        self.assertEqual(GRACE_DAYS, 30)


@tagged("post_install", "-at_install")
class TestAssetLosses(AssetsCommon):
    """A loss charges the replacement value less the deposit actually held, whenever it was invoiced;
    the kept deposit leaves the ledger."""

    def _declare_lost(self, qty, mode="invoice", user=None, partner=None):
        form = Form(self.env["returnable.asset.loss"].with_user(user or self.assets_manager))
        form.partner_id = partner or self.partner
        form.asset_type_id = self.pallet_type
        form.quantity = qty
        form.mode = mode
        action = form.save().action_confirm()
        return self.env["account.move"].browse(action["res_id"])

    def test_keep_the_deposit_as_the_assets_manager(self):
        self._sell(3 * CASES_PER_PALLET)
        self.assertFalse(self.assets_manager.has_group("account.group_account_invoice"))
        entry = self._declare_lost(1, mode="deposit")
        self.assertEqual((entry.move_type, entry.state), ("entry", "posted"))
        liability_line = entry.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account)
        self.assertAlmostEqual(liability_line.debit, DEPOSIT)
        income_line = entry.line_ids - liability_line
        self.assertAlmostEqual(income_line.credit, DEPOSIT)
        self.assertIn(income_line.account_id.account_type, ("income", "income_other"))
        balance = self._balance()
        self.assertEqual((balance.qty_lost, balance.balance, balance.deposit_qty_forfeited), (1, 2, 1))
        self.assertAlmostEqual(balance.deposit_held, 2 * DEPOSIT)
        self.assertAlmostEqual(self._liability(), 2 * DEPOSIT)
        self.assertEqual(balance.deposit_ids.settlement_ids.mapped("kind"), ["kept"])
        # Keeping more deposits than are held is refused, nothing done.
        self._count_back(2)
        self.assertAlmostEqual(self._liability(), 0.0)
        with self.assertRaisesRegex(UserError, "holds only 0"):
            self._declare_lost(1, mode="deposit")
        # Nobody else declares losses.
        for user in (self.clerk, self.accountant, self.salesman):
            with self.assertRaises(AccessError):
                self.env["returnable.asset.loss"].with_user(user).create({
                    "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": 1,
                }).action_confirm()
        self.assertEqual(self._balance().qty_lost, 1)

    def test_loss_before_the_deposit_is_invoiced(self):
        order = self._order_water(2 * CASES_PER_PALLET)
        self._ship(order)
        # Two pallets lost before their deposit was invoiced: nothing held, the replacement in full.
        loss_invoice = self._declare_lost(2)
        self.assertAlmostEqual(loss_invoice.amount_total, 2 * REPLACEMENT)
        self.assertFalse(loss_invoice.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account))
        # The order is invoiced afterwards, deposits included: they are set off against the replacement
        # at once, so the customer pays 40.00 for two lost pallets, not 65.00.
        invoice = self._invoice(order)
        self.assertAlmostEqual(invoice.amount_total, 2 * CASES_PER_PALLET * CASE_PRICE * (1 + TAX) + 2 * DEPOSIT)
        set_off = self._deposit_credit_notes()
        self.assertAlmostEqual(set_off.amount_total, 2 * DEPOSIT)
        self.assertFalse(set_off.reversed_entry_id, "a set-off, not a refund of the invoice")
        self.assertAlmostEqual(self._receivable(), 2 * CASES_PER_PALLET * CASE_PRICE * (1 + TAX) + 2 * REPLACEMENT)
        self.assertAlmostEqual(self._liability(), 0.0)
        balance = self._balance()
        self.assertEqual((balance.balance, balance.qty_lost, balance.deposit_qty_forfeited,
                          balance.deposit_qty_refunded), (0, 2, 2, 0))
        self.assertAlmostEqual(balance.deposit_held, 0.0)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()

    def test_loss_after_the_deposit_is_invoiced(self):
        self._sell(2 * CASES_PER_PALLET)
        loss_invoice = self._declare_lost(2)
        # The replacement less the deposits held, set off on the same invoice.
        self.assertAlmostEqual(loss_invoice.amount_total, 2 * REPLACEMENT - 2 * DEPOSIT)
        self.assertAlmostEqual(
            loss_invoice.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account).debit, 2 * DEPOSIT)
        self.assertAlmostEqual(self._receivable(), 2 * CASES_PER_PALLET * CASE_PRICE * (1 + TAX) + 2 * REPLACEMENT)
        self.assertAlmostEqual(self._liability(), 0.0)
        balance = self._balance()
        self.assertEqual((balance.balance, balance.deposit_qty_forfeited), (0, 2))
        self.assertAlmostEqual(balance.deposit_held, 0.0)
        self.assertFalse(self._deposit_credit_notes())
