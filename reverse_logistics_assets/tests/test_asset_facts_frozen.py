from datetime import timedelta

from odoo import fields, models
from odoo.tests import tagged

from .common import CASES_PER_PALLET, DEPOSIT, AssetsCommon

# What the balances, the statement and the ledger say, field by field: history, not today's configuration.
BALANCE_FACTS = ["qty_out", "qty_back", "qty_lost", "qty_damaged", "qty_surplus", "qty_surplus_pending", "balance",
                 "oldest_date", "deposit_qty_charged", "deposit_qty_refunded", "deposit_qty_forfeited", "deposit_held"]
DEPOSIT_FACTS = ["quantity", "price_unit", "unit_amount", "unit_amount_company", "qty_refunded", "qty_kept",
                 "qty_held", "amount_held", "amount_held_company", "account_id"]


@tagged("post_install", "-at_install")
class TestAssetFactsFrozen(AssetsCommon):
    """Editing an asset type after the fact (its deposit, replacement value, rental, grace days, product,
    archiving it) changes no past balance, ledger amount, statement or re-use register; and an order
    confirmed at a deposit still charges it as a deposit when it is invoiced after such an edit."""

    def _facts(self, records, names):
        """The values of these fields, relations by id (a renamed type is the same type)."""
        return [{name: record[name].ids if isinstance(record[name], models.BaseModel) else record[name]
                 for name in names} for record in records]

    def _snapshot(self):
        self.env.invalidate_all()
        balance = self._balance()
        register = self.env["packaging.reuse.register"].with_user(self.assets_manager).create({
            "company_id": self.company.id, "date_from": fields.Date.today() - timedelta(days=30),
            "date_to": fields.Date.today()})
        register.action_compute()
        statement = self.env["ir.actions.report"]._render_qweb_html(
            "reverse_logistics_assets.report_asset_statement", self.partner.ids)[0]
        return {
            "balance": self._facts(balance, BALANCE_FACTS)[0],
            "deposits": self._facts(balance.deposit_ids, DEPOSIT_FACTS),
            "settlements": self._facts(balance.deposit_ids.settlement_ids, ["kind", "quantity", "amount", "move_id"]),
            "register": self._facts(register.line_ids, ["asset_type_id", "trips", "first_placed", "reused", "losses",
                                                        "reuse_rate", "average_rotations"]),
            "statement": statement,
            "liability": self._liability(),
        }

    def test_editing_the_type_after_the_fact_changes_no_history(self):
        # 3 pallets out and invoiced, 1 back refunded, 1 lost (deposit kept); 2 more out, not invoiced yet.
        self._sell(3 * CASES_PER_PALLET)
        self._count_back(1)
        self.env["returnable.asset.loss"].with_user(self.assets_manager).create({
            "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": 1,
            "mode": "deposit"}).action_confirm()
        self._ship(self._order_water(2 * CASES_PER_PALLET))
        before = self._snapshot()
        self.assertEqual((before["balance"]["balance"], before["balance"]["deposit_qty_charged"]), (3, 3))
        self.assertAlmostEqual(before["liability"], DEPOSIT)

        # The manager changes everything a type has, then points it at another product and archives it.
        new_pallet = self._create_rl_product("Euro Pallet (2026)", cost=9.0, price=0.0, taxes_id=False)
        self.pallet_type.with_user(self.assets_manager).write({
            "deposit_price": 0.0, "replacement_price": 99.0, "rental_per_day": 1.0, "grace_days": 5,
            "name": "Euro pallet (old)"})
        self.pallet_type.with_user(self.assets_manager).write({"product_id": new_pallet.id})
        self.pallet_type.with_user(self.assets_manager).active = False
        self.env["returnable.asset.balance"]._recompute(self.partner)
        after = self._snapshot()
        for key in ("balance", "deposits", "settlements", "register", "liability"):
            self.assertEqual(after[key], before[key], key)
        self.assertEqual(after["statement"].replace(b"Euro pallet (old)", b"Euro pallet"), before["statement"],
                         "the statement says what happened (only the type's new name shows)")

    def test_an_order_confirmed_at_a_deposit_charges_it_whatever_the_type_became(self):
        """Confirmed at 12.50 a pallet; before it is invoiced the type's deposit is set to 0 (pooled now) and
        the type archived: the order's deposit still goes to the liability account and the ledger."""
        order = self._order_water(2 * CASES_PER_PALLET)
        self._ship(order)
        self.pallet_type.with_user(self.assets_manager).write({"deposit_price": 0.0})
        self.pallet_type.with_user(self.assets_manager).active = False
        invoice = self._invoice(order)
        deposit_lines = invoice.invoice_line_ids.filtered(lambda aml: aml.product_id == self.pallet)
        self.assertEqual(deposit_lines.account_id, self.deposit_account)
        self.assertAlmostEqual(deposit_lines.price_subtotal, 2 * DEPOSIT)
        self.assertAlmostEqual(self._liability(), 2 * DEPOSIT)
        balance = self._balance()
        self.assertEqual((balance.deposit_qty_charged, balance.balance), (2, 2))
        self.assertAlmostEqual(balance.deposit_held, 2 * DEPOSIT)
        # And it comes back as it was charged.
        self._count_back(2)
        self.assertAlmostEqual(self._deposit_credit_notes().amount_total, 2 * DEPOSIT)
        self.assertAlmostEqual(self._liability(), 0.0)
        self.assertAlmostEqual(self._balance().deposit_held, 0.0)
