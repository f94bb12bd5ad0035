"""The same refusals through JSON-RPC, as a clerk's browser or script sends them (`/web/dataset/call_kw`)."""
from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import JsonRpcException, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRoleMatrixRpc(ReverseLogisticsCommon, ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_rpc_clerk", password="rl_rpc_clerk", groups="reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls._stock_in(cls.product, 5)
        cls.sale, _delivery, _invoice = cls._sell([(cls.product, 1, 115.0, 0.0)])
        cls.ret = cls.env["return.order"].browse(cls._click_return_all(cls.sale)["res_id"])
        cls.ret.line_ids.reason_id = cls.reason_defect
        cls.ret.action_submit()

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    def test_clerk_rpc(self):
        self.assertEqual(self.ret.state, "approved")
        self.authenticate("rl_rpc_clerk", "rl_rpc_clerk")
        line = self.ret.line_ids
        # The price of an approved line: refused by the server, with the field's name.
        for method, args, kwargs in (
                ("write", [line.ids, {"price_unit": 229997.70, "restocking_fee_percent": 0}], {}),
                # The form's own save path does the same.
                ("web_save", [line.ids, {"price_unit": 1.0}], {"specification": {}})):
            with self.assertRaises(JsonRpcException) as caught:
                self._call("return.order.line", method, args, kwargs)
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.UserError", method)
        line.invalidate_recordset()
        self.assertEqual(line.price_unit, 115.0)
        for vals in ({"state": "done"}, {"policy_override": True},
                     {"return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id},
                     {"date_request": "2020-01-01 00:00:00"}):
            with self.assertRaises(JsonRpcException) as caught:
                self._call("return.order", "write", [self.ret.ids, vals])
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.UserError", vals)
        self.ret.invalidate_recordset()
        self.assertEqual(self.ret.state, "approved")
        self.assertFalse(self.ret.policy_override)
        # Reading the return with its counters works without Invoicing rights.
        result = self._call("return.order", "web_read", [self.ret.ids],
                            {"specification": {"name": {}, "credit_note_count": {}, "amount_untaxed": {}}})
        self.assertEqual(result[0]["credit_note_count"], 0)
