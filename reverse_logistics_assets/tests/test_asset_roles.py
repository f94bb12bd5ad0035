import re

from odoo import Command
from odoo.api import call_kw
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
        # Second round: any lot (no asset at all, or one available already) was made an available asset.
        plain = self._stock_in(keg, 1, "K-PLAIN")
        plain.sudo().asset_state = False
        for target in (plain, lot):
            with self.subTest(lot=target.name), self.assertRaisesRegex(UserError, "cleaning or repair"):
                target.with_user(self.clerk).action_asset_available()
        self.assertEqual((plain.asset_state, lot.asset_state), (False, "available"))
        action = self.partner.with_user(self.clerk).action_view_asset_balances()
        self.assertEqual(action["domain"], [("partner_id", "=", self.partner.id)])
        self.assertEqual(self.partner.with_user(self.clerk).action_return_assets()["res_model"],
                         "returnable.asset.return")

    def test_balance_fields_are_refused_by_name_never_dropped(self):
        """Every field the system sets on a balance is refused with its name, for the clerk and the
        Returnable Assets Manager alike (both may write balances for their chatter and activities), the
        computed ones included (the flow mixin dropped those silently); mail stays theirs."""
        self._sell(2 * CASES_PER_PALLET)
        balance = self._balance()
        before = balance.read(balance._get_protected_fields())[0]
        other = self.env["res.partner"].create({"name": "Someone else"})
        forged = {
            "partner_id": other.id, "asset_type_id": self.pallet_type.id, "company_id": self.company.id,
            "currency_id": self.company.currency_id.id, "qty_out": 0, "qty_back": 2, "qty_lost": 0,
            "qty_damaged": 1, "qty_surplus": 5, "qty_surplus_pending": 0, "balance": 0,
            "oldest_date": False, "days_out": 0, "average_days_out": 1.0, "aging": "current",
            "deposit_qty_charged": 0, "deposit_qty_refunded": 2, "deposit_qty_forfeited": 1, "deposit_held": 0.0,
            "deposit_ids": [Command.clear()], "last_followup_aging": "90+", "date_last_followup": False,
            "deposit_refund_queued": True, "deposit_refund_user_id": self.accountant.id,
        }
        self.assertEqual(set(forged), set(balance._get_protected_fields()), "every protected field tried")
        for user in (self.clerk, self.assets_manager):
            for name, value in forged.items():
                label = balance._fields[name]._description_string(self.env)
                with self.assertRaisesRegex(UserError, f"^{re.escape(label)} cannot be set by hand"):
                    balance.with_user(user).with_context(**FORGED_CONTEXT).write({name: value})
            # Several at once: all named.
            with self.assertRaisesRegex(UserError, "Back, Deposits Refunded cannot be set by hand"):
                balance.with_user(user).write({"qty_back": 2, "deposit_qty_refunded": 2})
            # Creating one by hand: refused too (the manager's access rights would allow it).
            with self.assertRaisesRegex(UserError, "cannot be set by hand"):
                self.env["returnable.asset.balance"].with_user(user).create({
                    "partner_id": other.id, "asset_type_id": self.pallet_type.id})
        balance.invalidate_recordset()
        self.assertEqual(balance.read(balance._get_protected_fields())[0], before)
        self.assertFalse(self.env["returnable.asset.balance"].search([("partner_id", "=", other.id)]))
        # What is not the system's stays the user's: his note in the chatter, an activity.
        balance.with_user(self.clerk).message_post(body="Pallets seen at the customer's back door.")
        balance.with_user(self.clerk).activity_schedule("mail.mail_activity_data_todo", summary="Collect")
        self.assertEqual(len(balance.activity_ids), 1)
        # A colleague without write access is refused too (the same message: the fields are nobody's).
        for user in (self.salesman, self.accountant):
            with self.assertRaisesRegex(UserError, "Back cannot be set by hand"):
                balance.with_user(user).write({"qty_back": 2})
        self.assertEqual(balance.qty_back, 0)

    def test_rental_records_are_the_crons(self):
        """What the rental cron invoiced is frozen: the manager cannot rewrite or forge a rental (a forged
        one would keep the cron from invoicing its period), nor delete an invoiced one."""
        rental_model = self.env["returnable.asset.rental"]
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.partner.id,
            "invoice_line_ids": [Command.create({"product_id": self.rental_product.id, "quantity": 3,
                                                 "price_unit": 0.10})]})
        invoice.action_post()
        rental = rental_model.sudo().create({
            "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "period_start": "2025-10-01",
            "period_end": "2025-10-31", "unit_days": 3, "amount": 0.30, "invoice_id": invoice.id})
        manager = rental_model.with_user(self.assets_manager)
        with self.assertRaisesRegex(UserError, "Unit Days, Amount of a rental cannot be set by hand"):
            manager.browse(rental.id).write({"unit_days": 0, "amount": 0})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            manager.create({"partner_id": self.partner.id, "asset_type_id": self.pallet_type.id,
                            "period_start": "2025-11-01", "period_end": "2025-11-30"})
        with self.assertRaisesRegex(UserError, "cancel its invoice"):
            manager.browse(rental.id).unlink()
        self.assertEqual((rental.unit_days, rental.amount), (3, 0.30))
        self.assertEqual(rental_model.search_count([("partner_id", "=", self.partner.id)]), 1)
        # Its invoice cancelled, the period may be invoiced again: the manager may delete the record.
        invoice.button_draft()
        invoice.button_cancel()
        manager.browse(rental.id).unlink()
        self.assertFalse(rental.exists())

    def test_move_lot_and_journal_item_refusals_name_the_fields(self):
        self._sell(2 * CASES_PER_PALLET)
        delivered = self.env["stock.move"].search([
            ("asset_kind", "=", "out"), ("asset_partner_id", "=", self.partner.id)])
        with self.assertRaisesRegex(UserError, r"\(Asset Holder, Counted\) is set by the system"):
            delivered.with_user(self.clerk).write({"asset_qty": 0, "asset_partner_id": self.partner_b.id})
        # The condition is the clerk's until the move is done; then it is what was counted.
        with self.assertRaisesRegex(UserError, r"\(Asset Condition\) is set by the system"):
            delivered.with_user(self.clerk).write({"asset_condition": "repair"})
        receipt = self.env["stock.move"].with_user(self.clerk).create({
            "name": "pallets", "product_id": self.pallet.id, "product_uom_qty": 1, "partner_id": self.partner.id,
            "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id})
        receipt.write({"asset_condition": "repair"})
        self.assertEqual((delivered.asset_condition, receipt.asset_condition), (False, "repair"))
        keg = self._create_rl_product("Keg", cost=70.0, price=0.0, tracking="serial", taxes_id=False)
        lot = self._stock_in(keg, 1, "K-NAMED")
        with self.assertRaisesRegex(UserError, r"\(Last Seen At\) are set by its moves"):
            lot.with_user(self.clerk).write({"asset_last_partner_id": self.partner.id})
        credit_note = self.env["account.move"].with_user(self.accountant).create({
            "move_type": "out_refund", "partner_id": self.partner_b.id,
            "invoice_line_ids": [Command.create({"name": "x", "quantity": 1, "price_unit": 1.0})]})
        with self.assertRaisesRegex(UserError, r"\(Deposit Settled\) is set by the system"):
            credit_note.invoice_line_ids.write({"asset_deposit_id": self._balance().deposit_ids.id})
        self.assertEqual((delivered.asset_qty, delivered.asset_partner_id), (2, self.partner))
        self.assertFalse(lot.asset_last_partner_id)
        self.assertFalse(credit_note.invoice_line_ids.asset_deposit_id)

    def test_no_balance_or_asset_type_by_email(self):
        """An outside tester created a balance for another customer through Odoo's public message_process,
        whose fallback route creates the record as the system with the caller's values."""
        raw = ("From: Walk-in Bar <bar@example.com>\nTo: nobody@nowhere.example\nSubject: pallets\n"
               "Message-ID: <rl-assets-{n}@relay.example>\nContent-Type: text/plain\n\nx\n")
        for n, (model, values) in enumerate((
                ("returnable.asset.balance", {"partner_id": self.free_customer.id, "balance": 99}),
                ("returnable.asset.type", {"name": "Forged type"}))):
            before = self.env[model].search_count([])
            with self.subTest(model=model), self.assertRaises(AccessError):
                call_kw(self.env["mail.thread"].with_user(self.inventory_user), "message_process",
                        [model, raw.format(n=n), values], {})
            self.assertEqual(self.env[model].search_count([]), before)
