"""Return types are configuration: a manager adds a type and sets its flags, the flow reads them when the
event happens (never the type's name), clerks cannot change them, and a flag changed later rewrites nothing
that already happened."""
import json
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestReturnType(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.clerk = new_test_user(
            cls.env, login="rl_type_clerk",
            groups="reverse_logistics.group_return_user,sales_team.group_sale_salesman_all_leads",
            company_id=company.id, company_ids=[Command.set(company.ids)])
        cls.manager = new_test_user(
            cls.env, login="rl_type_manager",
            groups="reverse_logistics.group_return_manager,sales_team.group_sale_salesman_all_leads",
            company_id=company.id, company_ids=[Command.set(company.ids)])
        cls.customer_type = cls.env.ref("reverse_logistics.return_type_customer")
        cls.policy.write({"auto_approve": True, "restocking_fee_percent": 10.0})
        cls._stock_in(cls.product, 20)

    def _goodwill(self, **flags):
        """The manager's own type: goodwill returns of what the window no longer covers, free of fees and
        always decided by a manager."""
        return self.env["return.type"].with_user(self.manager).create({
            "name": "Goodwill", "code": "goodwill", "sequence": 60, "window_applies": False,
            "auto_approvable": False, "restocking_fee_applies": False, **flags,
        })

    def _clerk_return(self, sale, return_type=None, date_request=None):
        """The clerk opens the return from the sale order (Return All), sets the type and submits it."""
        action = self._click_return_all(sale.with_user(self.clerk))
        ret = self.env["return.order"].with_user(self.clerk).browse(action["res_id"])
        if return_type:
            ret.return_type_id = return_type
        if date_request:
            ret.sudo().date_request = date_request  # setup: the request came late
        ret.line_ids.reason_id = self.reason_unwanted
        return ret

    def test_default_type_is_the_companys_customer_return(self):
        ret = self.env["return.order"].with_user(self.clerk).create({"partner_id": self.partner.id})
        self.assertEqual(ret.return_type_id, self.customer_type)
        form = Form(self.env["return.order"].with_user(self.clerk))
        self.assertEqual(form.return_type_id, self.customer_type)

    def test_manager_type_reads_its_flags(self):
        goodwill = self._goodwill()
        late = fields.Datetime.now() + timedelta(days=45)
        sale_1, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        sale_2, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])

        # A late customer return: the window applies, the fee is charged.
        customer = self._clerk_return(sale_1, date_request=late)
        self.assertIn("return window closed", customer.policy_problems)
        self.assertEqual(customer.line_ids.restocking_fee_percent, 10.0)
        self.assertAlmostEqual(customer.amount_restocking_fee, 2 * 100.0 * 10.0 / 100.0)
        customer.action_submit()
        self.assertEqual(customer.state, "draft", "out of the window: a manager decides")

        # The same late return as goodwill: no window, no fee, and never approved by the policy alone.
        ret = self._clerk_return(sale_2, return_type=goodwill, date_request=late)
        self.assertFalse(ret.policy_problems)
        self.assertEqual(ret.line_ids.restocking_fee_percent, 0.0)
        self.assertEqual(ret.amount_restocking_fee, 0.0)
        ret.action_submit()
        self.assertEqual(ret.state, "draft")
        self.assertTrue(ret.date_submitted, "submitted: waiting for a manager")
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")
        self.assertTrue(ret.receipt_ids)

        # In the window, the customer return is approved by the policy alone.
        sale_3, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        in_window = self._clerk_return(sale_3)
        in_window.action_submit()
        self.assertEqual(in_window.state, "approved")

    def test_analysis_groups_by_type(self):
        goodwill = self._goodwill()
        sale_1, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        sale_2, _delivery, _invoice = self._sell([(self.product, 3, 100.0, 0.0)])
        self._clerk_return(sale_1).action_submit()
        self._clerk_return(sale_2, return_type=goodwill).action_submit()  # submitted: a return of the report
        self.env.flush_all()
        groups = self.env["return.analysis"].with_user(self.manager).read_group(
            [("company_id", "=", self.company.id), ("product_id", "=", self.product.id)],
            ["qty_requested:sum"], ["return_type_id"])
        by_type = {group["return_type_id"][0]: group["qty_requested"] for group in groups}
        self.assertEqual(by_type, {self.customer_type.id: 2.0, goodwill.id: 3.0})

    def test_type_without_refund_resolves_nothing(self):
        collection = self.env["return.type"].with_user(self.manager).create({
            "name": "Collection", "code": "collection", "refund_allowed": False, "auto_approvable": True,
        })
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        ret = self._clerk_return(sale, return_type=collection)
        with self.assertRaisesRegex(ValidationError, "nothing is refunded or replaced"):
            ret.resolution = "refund"
            ret.flush_recordset()
        created = self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.partner.id, "return_type_id": collection.id, "resolution": "refund"})
        self.assertEqual(created.resolution, "none", "a type that pays nothing has nothing to resolve")
        form = Form(self.env["return.order"].with_user(self.clerk))
        form.partner_id = self.partner
        form.return_type_id = collection
        self.assertEqual(form.resolution, "none")

    def test_clerk_cannot_configure_types(self):
        clerk_type = self.customer_type.with_user(self.clerk)
        self.assertTrue(clerk_type.auto_approvable, "a clerk reads the types")
        for vals in ({"auto_approvable": False}, {"window_applies": False}, {"refund_allowed": False},
                     {"restocking_fee_applies": False}, {"name": "Anything"}, {"active": False}):
            with self.assertRaises(AccessError):
                clerk_type.write(vals)
        with self.assertRaises(AccessError):
            self.env["return.type"].with_user(self.clerk).create({"name": "Mine", "code": "mine"})
        with self.assertRaises(AccessError):
            self.customer_type.with_user(self.manager).unlink()
        self.assertTrue(self.customer_type.window_applies)
        self.assertTrue(self.customer_type.active)

    def test_changed_flags_rewrite_no_history(self):
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        ret = self._clerk_return(sale)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self._receive(ret.receipt_ids)
        fee = 2 * 100.0 * 10.0 / 100.0
        self.assertAlmostEqual(ret.amount_restocking_fee, fee)

        # The manager stops charging fees on customer returns and no longer refunds them.
        self.customer_type.with_user(self.manager).write({"restocking_fee_applies": False, "refund_allowed": False})
        self.assertEqual(ret.line_ids.restocking_fee_percent, 10.0)
        self.assertAlmostEqual(ret.amount_restocking_fee, fee)
        self.assertEqual(ret.resolution, "refund")
        credit = ret.sudo().credit_note_ids
        self.assertAlmostEqual(sum(credit.mapped("amount_total")), (2 * 100.0 - fee) * 1.15)

        # What comes next follows the new flags.
        sale_2, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        nxt = self._clerk_return(sale_2)
        self.assertEqual(nxt.line_ids.restocking_fee_percent, 0.0)

    def test_archived_and_other_company_types_are_not_offered(self):
        other_company = self.env["res.company"].create({"name": "Other Returns Co"})
        theirs = self.env["return.type"].create({"name": "Theirs", "code": "theirs", "company_id": other_company.id})
        archived = self._goodwill(active=False)
        offered = self.env["return.type"].with_user(self.clerk).search([])
        self.assertIn(self.customer_type, offered)
        self.assertNotIn(theirs, offered)
        self.assertNotIn(archived, offered)
        with self.assertRaises(UserError):  # AccessError (the company rule) or check_company
            self.env["return.order"].with_user(self.clerk).create({
                "partner_id": self.partner.id, "return_type_id": theirs.id})
        ours = self.env["return.type"].create({"name": "Ours", "code": "ours", "company_id": self.company.id})
        self.assertEqual(self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.partner.id, "return_type_id": ours.id}).return_type_id, ours)

    def test_code_is_unique(self):
        with self.assertRaisesRegex(ValidationError, "technical name"):
            self._goodwill(code="Good Will")
        self._goodwill()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._goodwill()


@tagged("post_install", "-at_install")
class TestReturnTypeRpc(ReverseLogisticsCommon, ReverseLogisticsHttpCase):
    """A clerk's browser or script over JSON-RPC: the flags are refused, as are other companies' types."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_type_rpc_clerk", password="rl_type_rpc_clerk",
            groups="reverse_logistics.group_return_user", company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)])
        cls.customer_type = cls.env.ref("reverse_logistics.return_type_customer")

    def _error(self, model, method, args, kwargs=None):
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 0,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        error = response.json().get("error")
        self.assertTrue(error, f"{model}.{method}{args} was not refused")
        return error["data"]["name"]

    def test_clerk_rpc_cannot_write_flags_nor_use_foreign_types(self):
        self.authenticate("rl_type_rpc_clerk", "rl_type_rpc_clerk")
        access = "odoo.exceptions.AccessError"
        self.assertEqual(self._error("return.type", "write", [self.customer_type.ids, {"auto_approvable": False}],
                                     {"context": {"active_test": False, "su": True}}), access)
        self.assertEqual(self._error("return.type", "create", [{"name": "Mine", "code": "mine"}]), access)
        # Through the return: a related flag is no way around the rights.
        ret = self.env["return.order"].with_user(self.clerk).create({"partner_id": self.partner.id})
        self.assertIn(self._error("return.order", "write", [ret.ids, {"is_weee_takeback": True}]),
                      (access, "odoo.exceptions.UserError"))
        other_company = self.env["res.company"].create({"name": "Other Returns Co"})
        theirs = self.env["return.type"].create({"name": "Theirs", "code": "theirs", "company_id": other_company.id})
        self.assertIn(self._error("return.order", "create", [{"partner_id": self.partner.id,
                                                               "return_type_id": theirs.id}]),
                      (access, "odoo.exceptions.UserError"))
        self.assertTrue(self.customer_type.auto_approvable)
        self.assertFalse(self.customer_type.weee_takeback)
        self.assertFalse(self.env["return.order"].search([("return_type_id", "=", theirs.id)]))
