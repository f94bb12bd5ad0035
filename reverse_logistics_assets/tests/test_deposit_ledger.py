from odoo import Command, fields
from odoo.tests import Form, tagged

from .common import CASE_PRICE, CASES_PER_PALLET, DEPOSIT, TAX, AssetsCommon


@tagged("post_install", "-at_install")
class TestDepositLedger(AssetsCommon):
    """Refunds give back what was charged, first charged first, in the currency it was charged in."""

    def test_refund_gives_back_the_prices_charged_first_in_first_out(self):
        # 3 pallets at 12.50, the deposit raised to 15.00, 2 more pallets at 15.00.
        _order_a, _picking, invoice_a = self._sell(3 * CASES_PER_PALLET)
        self.pallet_type.with_user(self.assets_manager).deposit_price = 15.00
        _order_b, _picking, invoice_b = self._sell(2 * CASES_PER_PALLET)
        charged = 3 * DEPOSIT + 2 * 15.00
        self.assertAlmostEqual(self._liability(), charged)
        balance = self._balance()
        self.assertEqual(balance.deposit_ids.mapped("price_unit"), [DEPOSIT, 15.00])
        self.assertAlmostEqual(balance.deposit_held, charged)

        # 4 back: the 3 charged first at 12.50, then 1 at 15.00, each against the invoice that charged it.
        self._count_back(4)
        refunds = self._deposit_credit_notes()
        self.assertEqual(refunds.reversed_entry_id, invoice_a | invoice_b)
        by_invoice = {refund.reversed_entry_id: refund.amount_total for refund in refunds}
        self.assertAlmostEqual(by_invoice[invoice_a], 3 * DEPOSIT)
        self.assertAlmostEqual(by_invoice[invoice_b], 1 * 15.00)
        self.assertAlmostEqual(self._liability(), 15.00)
        balance = self._balance()
        self.assertAlmostEqual(balance.deposit_held, 15.00)
        self.assertEqual((balance.balance, balance.deposit_qty_charged, balance.deposit_qty_refunded), (1, 5, 4))
        self.assertEqual(balance.deposit_ids.mapped("qty_held"), [0, 1])

        # The last one back: all 5 refunded for exactly what was charged; nothing stays on the account.
        self._count_back(1)
        self.assertAlmostEqual(sum(self._deposit_credit_notes().mapped("amount_total")), charged)
        self.assertAlmostEqual(self._liability(), 0.0)
        self.assertAlmostEqual(self._balance().deposit_held, 0.0)
        # The customer owes the water and its tax, nothing for pallets he gave back.
        self.assertAlmostEqual(self._receivable(), 5 * CASES_PER_PALLET * CASE_PRICE * (1 + TAX))
        self.assertEqual(self._pallets_in_stock(), 100)
        with self.assertRaisesRegex(Exception, "No deposit is left to refund"):
            self._refund_deposits()

    def test_deposit_in_the_order_currency_refunded_in_it_at_its_rate(self):
        company_currency = self.company.currency_id
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        eur_pricelist = self.env["product.pricelist"].create({
            "name": "EUR customers", "currency_id": eur.id, "company_id": self.company.id})
        # 12.50 in the company's currency is 25.00 EUR at the order's date (2 EUR for 1).
        order, _picking, invoice = self._sell(3 * CASES_PER_PALLET, pricelist_id=eur_pricelist.id)
        deposit_line = order.order_line.filtered("is_returnable_asset")
        self.assertEqual(order.currency_id, eur)
        self.assertAlmostEqual(deposit_line.price_unit, DEPOSIT * 2.0)
        self.assertEqual(invoice.currency_id, eur)
        self.assertAlmostEqual(self._liability(currency=True), 3 * DEPOSIT * 2.0)
        self.assertAlmostEqual(self._liability(), 3 * DEPOSIT)
        charge = self._balance().deposit_ids
        self.assertEqual((charge.currency_id, charge.price_unit, charge.quantity), (eur, DEPOSIT * 2.0, 3))

        # The euro weakens to 2.5 for 1 before the pallets come back.
        self.env["res.currency.rate"].create({
            "name": fields.Date.today(), "rate": 2.5, "currency_id": eur.id, "company_id": self.company.id})
        self._count_back(3)
        refund = self._deposit_credit_notes()
        self.assertEqual((refund.currency_id, refund.reversed_entry_id), (eur, invoice))
        self.assertAlmostEqual(refund.amount_total, 3 * DEPOSIT * 2.0, msg="75.00 EUR, as charged")
        # At the invoice's rate, so the deposit account is cleared in both currencies (at today's rate
        # the refund would take only 30.00 off the 37.50 it holds).
        self.assertAlmostEqual(refund.amount_total_signed, -3 * DEPOSIT)
        self.assertAlmostEqual(self._liability(currency=True), 0.0)
        self.assertAlmostEqual(self._liability(), 0.0)
        self.assertAlmostEqual(self._balance().deposit_held, 0.0)
        goods = 3 * CASES_PER_PALLET * CASE_PRICE * 2.0 * (1 + TAX)
        self.assertAlmostEqual(self._receivable(currency=True), goods)
        self.assertEqual(company_currency, self._balance().currency_id)

    def test_pricelist_rule_for_the_deposit_product_wins(self):
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({
            "name": "EUR, deposit fixed", "currency_id": eur.id, "company_id": self.company.id,
            "item_ids": [Command.create({"applied_on": "0_product_variant", "product_id": self.pallet.id,
                                         "compute_price": "fixed", "fixed_price": 20.00})],
        })
        order = self._order_water(2 * CASES_PER_PALLET, pricelist_id=pricelist.id)
        self.assertAlmostEqual(order.order_line.filtered("is_returnable_asset").price_unit, 20.00)
        self._ship(order)
        self._invoice(order)
        self.assertAlmostEqual(self._liability(currency=True), 2 * 20.00)
        self.assertAlmostEqual(self._liability(), 2 * 20.00 / 2.0)

    def test_refund_deposits_refunds_the_balances_selected_only(self):
        """Two customers, pallets and crates back without refund at receipt: the accountant selects the
        first one's pallets and the second one's crates; those two are refunded, not every pair of these
        customers and types."""
        crate = self._create_rl_product("Crate", cost=2.0, price=0.0, taxes_id=False)
        crate_type = self.env["returnable.asset.type"].create({
            "name": "Crate", "product_id": crate.id, "company_id": self.company.id, "deposit_price": 3.0,
            "deposit_account_id": self.deposit_account.id})
        juice = self._create_rl_product("Juice (case)", cost=1.0, price=4.0)
        juice.returnable_asset_ids = [Command.create({"asset_type_id": crate_type.id, "units_per_asset": 1})]
        self._stock_in(crate, 20)
        self._stock_in(juice, 20)
        other = self.env["res.partner"].create({"name": "Second Brewery", "user_id": self.salesman.id})
        for partner in (self.partner, other):
            order = self._order_water(CASES_PER_PALLET, partner=partner, order_line=[
                Command.create({"product_id": self.water.id, "product_uom_qty": CASES_PER_PALLET}),
                Command.create({"product_id": juice.id, "product_uom_qty": 2})])
            self._ship(order)
            self._invoice(order)
            self._count_back(1, partner=partner, refund_at_receipt=False)
            self._count_back(2, partner=partner, asset_type=crate_type, refund_at_receipt=False)
        selected = self._balance() | self._balance(other, crate_type)
        form = Form(selected[0].with_user(self.accountant))
        self.assertEqual((form.balance, form.deposit_refund_queued), (0, False), "the accountant opens the form")
        self.assertTrue(selected.with_user(self.accountant).action_refund_deposits())
        refunds = self._deposit_credit_notes() | self._deposit_credit_notes(other)
        self.assertEqual(sorted(refunds.mapped("amount_total")), [2 * 3.0, DEPOSIT])
        self.assertAlmostEqual(self._balance(self.partner, crate_type).deposit_held, 2 * 3.0, msg="not selected")
        self.assertAlmostEqual(self._balance(other).deposit_held, DEPOSIT, msg="not selected")
        self.assertAlmostEqual(self._liability() + self._liability(other), 2 * 3.0 + DEPOSIT)
