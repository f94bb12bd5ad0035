"""The attacks over JSON-RPC and HTTP, as a logged-in colleague's browser or script sends them."""
import json
import threading

from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import JsonRpcException, tagged

from .common import CASES_PER_PALLET, DEPOSIT
from .test_asset_roles import FORGED_CONTEXT, AssetRolesCommon

STATEMENT = "/report/pdf/reverse_logistics_assets.report_asset_statement/%s"


@tagged("post_install", "-at_install")
class TestAssetRpc(AssetRolesCommon, ReverseLogisticsHttpCase):

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    def _refused(self, model, method, args, kwargs=None, error="odoo.exceptions.AccessError"):
        with self.assertRaises(JsonRpcException) as caught:
            self._call(model, method, args, kwargs)
        self.assertEqual(caught.exception.args[0], error, f"{model}.{method}")

    def test_salesman_reads_another_customers_balance_deposits_and_statement(self):
        balances = self._sell_to_everyone()
        theirs = balances[self.colleague_customer]
        self.authenticate("rl_assets_salesman", "rl_assets_salesman")
        rows = self._call("returnable.asset.balance", "search_read", [[]], {"fields": ["partner_id", "deposit_held"]})
        self.assertEqual({row["partner_id"][0] for row in rows}, {self.partner.id, self.free_customer.id})
        rows = self._call("returnable.asset.deposit", "search_read", [[]], {"fields": ["partner_id", "quantity"]})
        self.assertEqual({row["partner_id"][0] for row in rows}, {self.partner.id, self.free_customer.id})
        # By id, by name search, by grouping: the colleague's customer stays out of reach.
        self._refused("returnable.asset.balance", "read", [theirs.ids, ["balance", "deposit_held"]])
        self._refused("returnable.asset.balance", "web_read", [theirs.ids], {"specification": {"balance": {}}})
        self._refused("returnable.asset.deposit", "read", [theirs.deposit_ids.ids, ["quantity"]])
        self._refused("returnable.asset.deposit.settlement", "read",
                      [theirs.deposit_ids.settlement_ids.ids, ["quantity"]])
        groups = self._call("returnable.asset.balance", "read_group",
                            [[], ["balance:sum"], ["partner_id"]], {"lazy": False})
        self.assertNotIn(self.colleague_customer.id, [group["partner_id"][0] for group in groups])
        # Forged context keys change nothing.
        rows = self._call("returnable.asset.balance", "search_read", [[]],
                          {"fields": ["partner_id"], "context": {"active_test": False, "su": True}})
        self.assertNotIn(self.colleague_customer.id, {row["partner_id"][0] for row in rows})
        # The statement PDF route: his customer's, not the colleague's (403, no 500, no empty statement).
        response = self.url_open(STATEMENT % self.partner.id)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"We confirm holding", response.content)
        for docids in (str(self.colleague_customer.id), f"{self.partner.id},{self.colleague_customer.id}"):
            response = self.url_open(STATEMENT % docids)
            self.assertEqual(response.status_code, 403, docids)
            self.assertNotIn(b"Colleague", response.content)
            self.assertNotIn(b"We confirm holding", response.content)
        # Bad ids: no stack trace either.
        self.assertIn(self.url_open(STATEMENT % "999999999").status_code, (400, 403, 404))

    def test_clerk_and_salesman_cannot_move_deposit_money(self):
        self._sell(3 * CASES_PER_PALLET)
        self._count_back(2, refund_at_receipt=False)
        balance = self._balance()
        for login in ("rl_assets_clerk", "rl_assets_salesman", "rl_assets_manager"):
            self.authenticate(login, login)
            self._refused("returnable.asset.balance", "action_refund_deposits", [balance.ids],
                          {"context": FORGED_CONTEXT})
        self.authenticate("rl_assets_clerk", "rl_assets_clerk")
        self._refused("returnable.asset.balance", "action_accept_surplus", [balance.ids])
        self._refused("returnable.asset.loss", "create", [{
            "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": 1, "mode": "deposit"}])
        self._refused("returnable.asset.balance", "write", [balance.ids, {"deposit_held": 0, "qty_back": 3}],
                      error="odoo.exceptions.UserError")
        # A clerk ticking "Accept Counted Surplus" through RPC: the wizard is his, the surplus is not.
        wizard_id = self._call("returnable.asset.return", "create", [{
            "partner_id": self.partner.id, "warehouse_id": self.warehouse.id, "confirm_surplus": True,
            "line_ids": [[0, 0, {"asset_type_id": self.pallet_type.id, "quantity": 5}]]}])
        self._refused("returnable.asset.return", "action_confirm", [[wizard_id]])
        self.assertFalse(self._deposit_credit_notes(), "nothing refunded")
        self.assertEqual(self._balance().qty_back, 2)
        self.assertEqual(self._balance().qty_surplus, 0)

    def test_bad_quantities_get_a_message_and_change_nothing(self):
        self._sell(2 * CASES_PER_PALLET)
        pickings_before = self.env["stock.picking"].search_count([])
        for login, model, vals in (
                ("rl_assets_clerk", "returnable.asset.return", lambda qty: {
                    "partner_id": self.partner.id, "warehouse_id": self.warehouse.id,
                    "line_ids": [[0, 0, {"asset_type_id": self.pallet_type.id, "quantity": qty}]]}),
                ("rl_assets_manager", "returnable.asset.loss", lambda qty: {
                    "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": qty})):
            self.authenticate(login, login)
            # No number at all is refused as it comes in (the ORM would round it first); a negative or
            # zero quantity when the wizard is confirmed.
            for qty in (float("nan"), float("inf"), 1e308):
                self._refused(model, "create", [vals(qty)], error="odoo.exceptions.UserError")
            for qty in (-1.0, 0.0):
                wizard_id = self._call(model, "create", [vals(qty)])
                self._refused(model, "action_confirm", [[wizard_id]], error="odoo.exceptions.UserError")
        self.assertEqual(self.env["stock.picking"].search_count([]), pickings_before)
        balance = self._balance()
        self.assertEqual((balance.balance, balance.qty_back, balance.qty_lost), (2, 0, 0))
        self.assertFalse(self._deposit_credit_notes())

    def test_accountant_refunds_once_whatever_the_replays_and_parallel_calls(self):
        self._sell(3 * CASES_PER_PALLET)
        self._count_back(2, refund_at_receipt=False)
        balance = self._balance()
        self.authenticate("rl_assets_accountant", "rl_assets_accountant")

        # Four clicks at once (the test server serves them one by one in the test's transaction).
        results = []

        def click():
            response = self.url_open("/web/dataset/call_kw", data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                    "model": "returnable.asset.balance", "method": "action_refund_deposits",
                    "args": [balance.ids], "kwargs": {"context": FORGED_CONTEXT}}}),
                headers={"Content-Type": "application/json"})
            results.append(response.json())

        threads = [threading.Thread(target=click) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sum(1 for result in results if result.get("result") is True), 1, results)
        refused = [result["error"]["data"]["name"] for result in results if "error" in result]
        self.assertEqual(refused, ["odoo.exceptions.UserError"] * 3)
        self.assertAlmostEqual(self._deposit_credit_notes().amount_total, 2 * DEPOSIT)
        # A replay later refunds nothing more.
        self._refused("returnable.asset.balance", "action_refund_deposits", [balance.ids],
                      error="odoo.exceptions.UserError")
        self.assertEqual(len(self._deposit_credit_notes()), 1)
        self.assertAlmostEqual(self._liability(), DEPOSIT)

    def _raw_error(self, model, method, args, kwargs=None):
        """The error a browser gets back for a call: (exception name, message)."""
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200, "an error answer, never a 500")
        error = response.json()["error"]["data"]
        return error["name"], error["message"]

    def test_protected_fields_and_the_refund_queue_over_rpc(self):
        self._sell(3 * CASES_PER_PALLET)
        self._count_back(2, refund_at_receipt=False)
        balance = self._balance()
        # The clerk and the manager may write balances (chatter, activities): counts and the queue are
        # refused with the fields named, not dropped with a success.
        for login in ("rl_assets_clerk", "rl_assets_manager"):
            self.authenticate(login, login)
            name, message = self._raw_error("returnable.asset.balance", "write", [
                balance.ids, {"deposit_held": 0, "qty_back": 3}], {"context": FORGED_CONTEXT})
            self.assertEqual(name, "odoo.exceptions.UserError")
            self.assertIn("Back, Deposit Held cannot be set by hand", message)
            name, message = self._raw_error("returnable.asset.balance", "web_save", [
                balance.ids, {"deposit_refund_queued": True, "deposit_refund_user_id": self.accountant.id}],
                {"specification": {"deposit_refund_queued": {}}})
            self.assertEqual(name, "odoo.exceptions.UserError")
            self.assertIn("Refund Queued, Refund Asked By cannot be set by hand", message)
        # The accountant: the queue's inner methods are not callable from outside.
        self.authenticate("rl_assets_accountant", "rl_assets_accountant")
        for method in ("_cron_refund_deposits", "_refund_queued_deposits", "_queue_deposit_refunds",
                       "_create_deposit_refunds", "_settle_deposits"):
            self._refused("returnable.asset.balance", method, [balance.ids])
        self.assertFalse(self._balance().deposit_refund_queued)
        self.assertFalse(self._deposit_credit_notes())
        self.assertEqual(self._balance().qty_back, 2)
        # Above the limit, with every forged key: queued on the balance, nothing refunded in the request.
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.deposit_refund", 0.5)
        name, message = self._raw_error("returnable.asset.balance", "action_refund_deposits", [balance.ids])
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("reverse_logistics.batch_limit.deposit_refund must be a whole number", message)
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.deposit_refund", "")
        other = self.env["res.partner"].create({"name": "Second Brewery", "user_id": self.salesman.id})
        self._sell(2 * CASES_PER_PALLET, partner=other)
        self._count_back(2, partner=other, refund_at_receipt=False)
        balances = balance | self._balance(other)
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.deposit_refund", 1)
        action = self._call("returnable.asset.balance", "action_refund_deposits", [balances.ids],
                            {"context": FORGED_CONTEXT})
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(balances.mapped("deposit_refund_queued"), [True, True])
        self.assertFalse(self._deposit_credit_notes())
        rows = self._call("returnable.asset.balance", "search_read", [[("deposit_refund_queued", "=", True)]],
                          {"fields": ["partner_id", "deposit_refund_user_id"]})
        self.assertEqual({row["deposit_refund_user_id"][0] for row in rows}, {self.accountant.id})
        self._refused("returnable.asset.balance", "action_refund_deposits", [balances.ids],
                      error="odoo.exceptions.UserError")
