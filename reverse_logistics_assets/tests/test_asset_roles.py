from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CASES_PER_PALLET, DEPOSIT, AssetsCommon

# Context keys a client may send with any call: none of them lifts a guard or changes what is refunded.
FORGED_CONTEXT = {
    "asset_no_deposit_refund": True, "active_test": False, "force_company": 1, "su": True,
    "default_asset_surplus": True, "default_asset_qty": 1000, "skip_rights_check": True,
    "tracking_disable": True,
}


class AssetRolesCommon(AssetsCommon):
    """Three customers: the salesman's own, a colleague's, and one without a salesperson."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.colleague = new_test_user(cls.env, login="rl_assets_colleague", password="rl_assets_colleague",
                                      groups="sales_team.group_sale_salesman", **company)
        cls.salesman_all = new_test_user(cls.env, login="rl_assets_salesman_all", password="rl_assets_salesman_all",
                                         groups="sales_team.group_sale_salesman_all_leads", **company)
        cls.inventory_user = new_test_user(cls.env, login="rl_assets_inventory", password="rl_assets_inventory",
                                           groups="stock.group_stock_user", **company)
        cls.colleague_customer = cls.env["res.partner"].create({"name": "Colleague's Brewery",
                                                                "user_id": cls.colleague.id})
        cls.free_customer = cls.env["res.partner"].create({"name": "Walk-in Bar"})

    def _sell_to_everyone(self):
        self._sell(2 * CASES_PER_PALLET)
        self._sell(2 * CASES_PER_PALLET, partner=self.colleague_customer, seller=self.colleague)
        self._sell(2 * CASES_PER_PALLET, partner=self.free_customer, seller=self.salesman_all)
        self._count_back(1, partner=self.colleague_customer)  # refunded: a settlement in the ledger
        balances = self.env["returnable.asset.balance"].search([
            ("partner_id", "in", (self.partner | self.colleague_customer | self.free_customer).ids)])
        self.assertEqual(len(balances), 3)
        return {balance.partner_id: balance for balance in balances}


@tagged("post_install", "-at_install")
class TestAssetRoles(AssetRolesCommon):

    def test_salesman_reads_only_his_customers_balances_and_deposits(self):
        balances = self._sell_to_everyone()
        mine = self.partner | self.free_customer
        for model in ("returnable.asset.balance", "returnable.asset.deposit"):
            records = self.env[model].with_user(self.salesman).search([("partner_id", "in", [p.id for p in balances])])
            self.assertEqual(records.partner_id, mine, model)
            theirs = self.env[model].search([("partner_id", "=", self.colleague_customer.id)])
            with self.assertRaises(AccessError):
                theirs.with_user(self.salesman).read(["partner_id"])
            for user in (self.salesman_all, self.clerk, self.accountant, self.assets_manager):
                self.assertEqual(self.env[model].with_user(user).search(
                    [("partner_id", "in", [p.id for p in balances])]).partner_id, mine | self.colleague_customer)
        settlement = balances[self.colleague_customer].deposit_ids.settlement_ids
        self.assertEqual(len(settlement), 1)
        with self.assertRaises(AccessError):
            settlement.with_user(self.salesman).read(["quantity"])
        self.assertEqual(balances[self.colleague_customer].with_user(self.colleague).read(["balance"])[0]["balance"], 1)
        # An inventory user outside the returns team reads no balance at all.
        with self.assertRaises(AccessError):
            self.env["returnable.asset.balance"].with_user(self.inventory_user).search([])

    def test_statement_follows_the_balance_rules(self):
        self._sell_to_everyone()
        report = self.env["ir.actions.report"]
        html = report.with_user(self.salesman)._render_qweb_html(
            "reverse_logistics_assets.report_asset_statement", self.partner.ids)[0]
        self.assertIn(b"We confirm holding", html)
        for user in (self.salesman, self.inventory_user):
            with self.assertRaises(AccessError):
                report.with_user(user)._render_qweb_html(
                    "reverse_logistics_assets.report_asset_statement", self.colleague_customer.ids)
        with self.assertRaises(AccessError):
            report.with_user(self.salesman)._render_qweb_html(
                "reverse_logistics_assets.report_asset_statement", (self.partner | self.colleague_customer).ids)
        html = report.with_user(self.clerk)._render_qweb_html(
            "reverse_logistics_assets.report_asset_statement", self.colleague_customer.ids)[0]
        self.assertIn(b"Colleague", html)

    def test_refund_deposits_is_the_accountants(self):
        self._sell(3 * CASES_PER_PALLET)
        self._count_back(2, refund_at_receipt=False)
        balance = self._balance()
        self.assertFalse(self._deposit_credit_notes())
        for user in (self.clerk, self.salesman, self.salesman_all, self.assets_manager, self.inventory_user):
            with self.assertRaises(AccessError):
                balance.with_user(user).with_context(**FORGED_CONTEXT).action_refund_deposits()
        self.assertFalse(self._deposit_credit_notes(), "nothing refunded by a colleague without Billing")
        # Billing, with every forged key: the 2 pallets back, once.
        self.assertTrue(balance.with_user(self.accountant).with_context(**FORGED_CONTEXT).action_refund_deposits())
        self.assertAlmostEqual(self._deposit_credit_notes().amount_total, 2 * DEPOSIT)
        # A replay refunds nothing more.
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            balance.with_user(self.accountant).action_refund_deposits()
        self.assertEqual(len(self._deposit_credit_notes()), 1)
        self.assertAlmostEqual(self._liability(), DEPOSIT)

    def test_counts_and_whereabouts_are_set_by_the_system(self):
        self._sell(2 * CASES_PER_PALLET)
        source, destination = self.customer_location, self.stock_location
        move_vals = {"name": "pallets", "product_id": self.pallet.id, "product_uom_qty": 5,
                     "location_id": source.id, "location_dest_id": destination.id, "partner_id": self.partner.id}
        # A clerk creating a receipt that says "surplus already accepted", or writing what a move counted.
        for vals in ({"asset_surplus": True}, {"asset_qty": 5, "asset_kind": "back"},
                     {"asset_partner_id": self.partner_b.id}, {"asset_refund_deferred": True}):
            with self.assertRaisesRegex(UserError, "set by the system"):
                self.env["stock.move"].with_user(self.clerk).create(dict(move_vals, **vals))
        delivered = self.env["stock.move"].search([
            ("asset_kind", "=", "out"), ("asset_partner_id", "=", self.partner.id)])
        with self.assertRaisesRegex(UserError, "set by the system"):
            delivered.with_user(self.clerk).write({"asset_qty": 0})
        self.assertEqual(delivered.asset_qty, 2)
        # A clerk moving a keg to another customer's name so that he may return it.
        keg = self._create_rl_product("Keg", cost=70.0, price=0.0, tracking="serial", taxes_id=False)
        lot = self._stock_in(keg, 1, "K-FORGED")
        with self.assertRaisesRegex(UserError, "set by its moves"):
            lot.with_user(self.clerk).write({"asset_state": "at_customer", "asset_last_partner_id": self.partner.id})
        self.assertFalse(lot.asset_last_partner_id)
        # An accountant pointing a credit note line at another customer's deposit.
        credit_note = self.env["account.move"].with_user(self.accountant).create({
            "move_type": "out_refund", "partner_id": self.partner_b.id,
            "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 1.0})]})
        with self.assertRaisesRegex(UserError, "set by the system"):
            credit_note.invoice_line_ids.write({"asset_deposit_id": self._balance().deposit_ids.id})
        self.assertEqual(self._balance().balance, 2)
        self.assertEqual(self._balance().deposit_qty_refunded, 0)

    def test_asset_buttons_check_the_group_the_view_only_hides(self):
        self._sell(2 * CASES_PER_PALLET)
        keg = self._create_rl_product("Keg", cost=70.0, price=0.0, tracking="serial", taxes_id=False)
        self.env["returnable.asset.type"].create({"name": "Keg", "product_id": keg.id,
                                                  "company_id": self.company.id})
        lot = self._stock_in(keg, 1, "K-CLEANING")
        lot.sudo().asset_state = "cleaning"
        # An inventory user outside the returns team: none of the assets buttons.
        with self.assertRaises(AccessError):
            lot.with_user(self.inventory_user).action_asset_available()
        self.assertEqual(lot.asset_state, "cleaning")
        for method in ("action_view_asset_balances", "action_return_assets"):
            with self.assertRaises(AccessError):
                getattr(self.partner.with_user(self.inventory_user), method)()
        with self.assertRaises(AccessError):
            self.partner.with_user(self.salesman).action_return_assets()
        # The clerk's: he makes the cleaned keg available and opens the balances and the dock wizard.
        lot.with_user(self.clerk).action_asset_available()
        self.assertEqual(lot.asset_state, "available")
        action = self.partner.with_user(self.clerk).action_view_asset_balances()
        self.assertEqual(action["domain"], [("partner_id", "=", self.partner.id)])
        self.assertEqual(self.partner.with_user(self.clerk).action_return_assets()["res_model"],
                         "returnable.asset.return")
