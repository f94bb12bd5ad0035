"""Colleagues and customers over JSON-RPC (`/web/dataset/call_kw`, as their browser or a script sends
it): each attack of issue 20 on the core, done as it was, refused with a message, nothing changed."""
import json
import math

from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import new_test_user, tagged

ACCESS, USER, VALIDATION = "odoo.exceptions.AccessError", "odoo.exceptions.UserError", "odoo.exceptions.ValidationError"


@tagged("post_install", "-at_install")
class TestReturnTrustRpc(ReverseLogisticsCommon, ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        users = {
            "clerk": "reverse_logistics.group_return_user",
            "clerk2": "reverse_logistics.group_return_user",
            "manager": "reverse_logistics.group_return_manager",
            "reporting": "reverse_logistics.group_return_reporting",
            "seller": "sales_team.group_sale_salesman",
            "other_seller": "sales_team.group_sale_salesman",
            "clerk_billing": "reverse_logistics.group_return_user,account.group_account_invoice",
        }
        cls.users = {
            name: new_test_user(cls.env, login=f"rl_trust_{name}", password=f"rl_trust_{name}", groups=groups,
                                company_id=company.id, company_ids=[Command.set(company.ids)])
            for name, groups in users.items()
        }
        cls.portal_user = new_test_user(cls.env, login="rl_trust_portal", password="rl_trust_portal",
                                        groups="base.group_portal", partner_id=cls.partner.id)
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls._stock_in(cls.product, 40)

    def _as(self, name):
        self.authenticate(f"rl_trust_{name}", f"rl_trust_{name}")

    def _call(self, model, method, args, kwargs=None, context=None):
        kwargs = dict(kwargs or {})
        if context:
            kwargs["context"] = context
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs})

    def _refused(self, exception, model, method, args, kwargs=None, context=None):
        """Call and expect `exception`; returns its message. Raw JSON-RPC, to read the message."""
        kwargs = dict(kwargs or {}, **({"context": context} if context else {}))
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 0,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        error = response.json().get("error")
        self.assertTrue(error, f"{model}.{method}{args} was not refused")
        self.assertEqual(error["data"]["name"], exception, f"{model}.{method}{args}: {error['data']['message']}")
        return error["data"]["message"]

    def _received(self, qty=2):
        sale, _delivery, _invoice = self._sell([(self.product, qty, 100.0, 0.0)])
        ret = self._new_return(sale, qty=qty)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        return ret

    # ------------------------------------------------------------------
    # Returnable quantities and the return's customer
    # ------------------------------------------------------------------
    def test_salesman_counts_every_competing_return(self):
        seller, other = self.users["seller"], self.users["other_seller"]
        mine, _delivery, _invoice = self._sell([(self.product, 4, 100.0, 0.0)])
        theirs, _delivery, _invoice = self._sell([(self.product, 4, 100.0, 0.0)])
        mine.user_id, theirs.user_id = seller, other
        move = mine.picking_ids.move_ids
        # A clerk's return of one of those units, outside the order (he cannot see it).
        clerks = self.env["return.order"].with_user(self.users["clerk"]).create({
            "partner_id": self.partner.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "line_ids": [Command.create({"product_id": self.product.id, "product_uom_qty": 1,
                                         "origin_move_id": move.id})]})
        self.assertFalse(self.env["return.order"].with_user(seller).search([("id", "=", clerks.id)]))
        count = self.env["return.order.line"].search_count([])
        self._as("seller")
        line = {"product_id": self.product.id, "product_uom_qty": 4, "origin_move_id": move.id,
                "sale_line_id": mine.order_line.id}
        error = self._refused(VALIDATION, "return.order", "create", [{
            "partner_id": self.partner.id, "sale_order_id": mine.id, "line_ids": [Command.create(line)]}])
        self.assertIn("only 3.0 can still be returned", error)
        # Another salesperson's order he cannot read: refused outright.
        other_line = {"product_id": self.product.id, "product_uom_qty": 1,
                      "origin_move_id": theirs.picking_ids.move_ids.id, "sale_line_id": theirs.order_line.id}
        for vals in ({"partner_id": self.partner.id, "sale_order_id": theirs.id},
                     {"partner_id": self.partner.id, "line_ids": [Command.create(other_line)]}):
            self._refused(ACCESS, "return.order", "create", [vals])
        self._refused(ACCESS, "return.order.create", "create", [{
            "sale_order_id": theirs.id, "partner_id": self.partner.id, "company_id": self.company.id}])
        self.assertEqual(self.env["return.order.line"].search_count([]), count)
        # The 3 left are his.
        created = self._call("return.order", "create", [{
            "partner_id": self.partner.id, "sale_order_id": mine.id,
            "line_ids": [Command.create(dict(line, product_uom_qty=3))]}])
        self.assertEqual(self.env["return.order"].browse(created).line_ids.product_uom_qty, 3)

    def test_the_customer_is_the_orders(self):
        sale, delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        stranger = self.partner_b
        colleague = self.env["res.partner"].create({"name": "A's buyer", "parent_id": self.partner.id})
        count = self.env["return.order"].search_count([])
        self._as("clerk")
        line = {"product_id": self.product.id, "product_uom_qty": 1, "origin_move_id": delivery.move_ids.id,
                "sale_line_id": sale.order_line.id}
        for vals in ({"partner_id": stranger.id, "sale_order_id": sale.id},
                     {"partner_id": stranger.id, "picking_id": delivery.id},
                     {"partner_id": stranger.id, "line_ids": [Command.create(line)]}):
            error = self._refused(VALIDATION, "return.order", "create", [vals])
            self.assertIn("not the customer of", error) if "line_ids" not in vals else \
                self.assertIn("was sold to", error)
        self.assertEqual(self.env["return.order"].search_count([]), count)
        # A contact of the customer is the customer; changing a draft's customer afterwards is refused too.
        created = self._call("return.order", "create", [{
            "partner_id": colleague.id, "sale_order_id": sale.id, "line_ids": [Command.create(line)]}])
        self._refused(VALIDATION, "return.order", "write", [[created], {"partner_id": stranger.id}])
        self.assertEqual(self.env["return.order"].browse(created).partner_id, colleague)

    # ------------------------------------------------------------------
    # Buttons: the rights and states the server checks, not the client
    # ------------------------------------------------------------------
    def test_read_access_never_acts(self):
        draft_sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)], partner=self.partner)
        draft = self._new_return(draft_sale, qty=1)
        received = self._received(2)
        self.env["return.grading.station"].grade(received.line_ids.id, self.grade_a.id, 1)
        grading = received.grading_ids
        before = (draft.state, received.state, grading.state, len(received.grading_ids))
        self._as("reporting")
        self.assertEqual(self._call("return.order", "read", [[draft.id], ["state"]])[0]["state"], "draft")
        for method, record, args in (
            ("action_submit", draft, []), ("action_approve", draft, []), ("action_cancel", draft, []),
            ("action_reject", draft, []), ("action_override_window", draft, []),
            ("action_close_receipt", received, []), ("action_dispose", received, []),
        ):
            self._refused(ACCESS, "return.order", method, [record.ids, *args])
        for method, args in (("action_decide", []), ("action_dispose", []), ("action_regrade", [self.grade_a.id])):
            self._refused(ACCESS, "return.grading", method, [grading.ids, *args])
        self._refused(ACCESS, "return.grading.station", "grade", [received.line_ids.id, self.grade_a.id, 1])
        # The customer reads his draft on the portal, and acts on it only through the portal's own routes.
        self._as("portal")
        for method in ("action_submit", "action_cancel", "action_approve"):
            self._refused(ACCESS, "return.order", method, [draft.ids])
        draft.invalidate_recordset()
        received.invalidate_recordset()
        self.assertEqual((draft.state, received.state, grading.state, len(received.grading_ids)), before)

    def test_states_are_checked(self):
        received = self._received(1)
        self._as("manager")
        for method in ("action_submit", "action_approve", "action_reject", "action_override_window"):
            error = self._refused(USER, "return.order", method, [received.ids])
            self.assertIn("Only draft returns", error)
        self._refused(USER, "return.order", "action_print_slip", [received.ids])
        self.assertEqual(received.state, "done")

    def test_message_new_is_refused_over_rpc(self):
        count = self.env["return.order"].search_count([])
        for user in ("clerk", "manager", "portal"):
            self._as(user)
            self._refused(ACCESS, "return.order", "message_new", [{
                "email_from": "customer@example.com", "subject": "x", "body": "x", "author_id": self.partner.id,
            }, {"state": "done", "policy_override": True, "partner_id": self.partner.id}])
        self.assertEqual(self.env["return.order"].search_count([]), count)

    def test_grading_station(self):
        received = self._received(3)
        line = received.line_ids
        approved_sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        approved = self._new_return(approved_sale, qty=1)
        approved.action_submit()
        lot = self.env["stock.lot"].create({"name": "RLT-LOT", "product_id": self.product_lot.id,
                                            "company_id": self.company.id})
        station = "return.grading.station"
        self._as("seller")
        self._refused(ACCESS, station, "grade", [line.id, self.grade_a.id, 1])
        self._as("clerk")
        # Nothing received yet on that one.
        self.assertIn("nothing of", self._refused(USER, station, "grade", [approved.line_ids.id, self.grade_a.id, 1]))
        for args, kwargs in (
            ([line.id, self.grade_a.id, math.nan], {}), ([line.id, self.grade_a.id, 1e308], {}),
            ([line.id, self.grade_a.id, "1"], {}), ([line.id, 10**20, 1], {}), ([line.id, 0, 1], {}),
            (["abc", self.grade_a.id, 1], {}), ([10**20, self.grade_a.id, 1], {}),
            ([line.id, self.grade_a.id, 1], {"lot_id": lot.id}), ([line.id, self.grade_a.id, 1], {"lot_id": -4}),
            ([line.id, self.grade_a.id, 1], {"passed_question_ids": "all"}),
            ([line.id, self.grade_a.id, 1], {"passed_question_ids": [10**20]}),
            ([line.id, self.grade_a.id, 1], {"note": {"x": 1}}),
        ):
            self._refused(USER, station, "grade", args, kwargs)
        for qty in (-1, 0, 4):  # received: 3
            self._refused(VALIDATION, station, "grade", [line.id, self.grade_a.id, qty])
        self.assertFalse(received.grading_ids)
        # A scan that is no code: a message, as for any unknown code.
        for code in ("RET\\", "%", "x" * 10000, 42, None, ["RET"]):
            self.assertIn("error", self._call(station, "scan", [code]))
        result = self._call(station, "grade", [line.id, self.grade_a.id, 1], {"code": received.name})
        self.assertEqual(result["next"]["qty_pending"], 2)
        self.assertEqual(received.grading_ids.quantity, 1)

    def test_regrade_over_rpc(self):
        received = self._received(1)
        self.env["return.grading.station"].grade(received.line_ids.id, self.grade_a.id, 1)
        grading = received.grading_ids
        grading.action_dispose()
        self.assertEqual(grading.state, "done")
        self._as("clerk")
        for grade in ("b", 10**20, False):
            self._refused(USER, "return.grading", "action_regrade", [grading.ids, grade])
        grade_b = self.env.ref("reverse_logistics.grade_b")
        self._call("return.grading", "action_regrade", [grading.ids, grade_b.id])
        self.assertEqual(received.grading_ids._get_current().grade_id, grade_b)

    # ------------------------------------------------------------------
    # Forged context keys and values
    # ------------------------------------------------------------------
    def test_forged_context_lifts_nothing(self):
        self.policy.refund_step = "receipt"
        sale, _delivery, invoice = self._sell([(self.product, 3, 100.0, 0.0)])
        ret = self._new_return(sale, qty=3)
        ret.action_submit()
        receipt = ret.receipt_ids
        receipt.move_ids.quantity = 1
        receipt.move_ids.picked = True
        self._as("clerk")
        # Validating a partial receipt (no backorder) with the manual button's context key: the policy
        # still credits what was received, not what was requested.
        self._call("stock.picking", "button_validate", [receipt.ids],
                   context={"return_resolution_base_field": "product_uom_qty", "skip_backorder": True,
                            "picking_ids_not_to_backorder": receipt.ids})
        self.assertEqual(ret.line_ids.qty_received, 1)
        credit = ret.sudo().credit_note_ids
        self.assertAlmostEqual(credit.amount_total, 1 * 100.0 * 1.15)
        self.assertEqual(credit.reversed_entry_id, invoice)
        # Context defaults of what users may not give are ignored.
        forged = {"default_state": "approved", "default_policy_override": True, "default_requested_by_mail": True,
                  "default_date_approved": "2020-01-01 00:00:00", "default_name": "RET/FORGED"}
        distributor = self.env.ref("reverse_logistics.return_type_distributor")
        created = self._call("return.order", "create", [{"partner_id": self.partner.id,
                                                          "return_type_id": distributor.id}], context=forged)
        record = self.env["return.order"].browse(created)
        self.assertEqual((record.state, record.policy_override, record.requested_by_mail, record.date_approved),
                         ("draft", False, False, False))
        self.assertNotEqual(record.name, "RET/FORGED")

    def test_forged_defaults_reach_nothing_the_system_creates(self):
        """Context defaults ride along into what the flow then creates as the system: receipts, credit
        notes, gradings, mails. None of them takes one (returns by e-mail: test_return_mail_trust)."""
        self.policy.refund_step = "approval"
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        ret = self._new_return(sale, qty=1)
        forged = {"default_state": "done", "default_picking_type_id": self.warehouse.out_type_id.id,
                  "default_partner_ids": [self.partner_b.id], "default_recovery_value": 1e6,
                  "default_move_type": "in_invoice", "default_quantity": 99}
        self._as("clerk")
        self._call("return.order", "action_submit", [ret.ids], context=forged)
        self.assertEqual(ret.state, "approved")
        self.assertEqual(ret.receipt_ids.mapped("state"), ["assigned"])
        self.assertEqual(ret.receipt_ids.picking_type_id, self.warehouse.return_type_id)
        credit = ret.sudo().credit_note_ids
        self.assertEqual((credit.move_type, credit.state), ("out_refund", "posted"))
        self._write_customer_mails()
        mails = self.env["mail.mail"].sudo().search([("model", "=", "return.order"), ("res_id", "=", ret.id)])
        self.assertTrue(mails)
        self.assertNotIn(self.partner_b, mails.recipient_ids)
        self._receive(ret.receipt_ids)
        result = self._call("return.grading.station", "grade", [ret.line_ids.id, self.grade_a.id, 1],
                            context=forged)
        grading = self.env["return.grading"].browse(result["grading_id"])
        self.assertEqual((grading.state, grading.recovery_value, grading.quantity), ("graded", 0.0, 1.0))

    def test_forged_batch_key_keeps_the_size_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.disposition", 1)
        received = self._received(2)
        for _unit in range(2):
            self.env["return.grading.station"].grade(received.line_ids.id, self.grade_a.id, 1)
        self._as("clerk")
        action = self._call("return.grading", "action_dispose", [received.grading_ids.ids],
                            context={"reverse_logistics_batch_id": 1})
        self.assertEqual(action["tag"], "display_notification", "queued, not run in the request")
        self.assertEqual(set(received.grading_ids.mapped("state")), {"graded"})

    def test_bad_numbers_and_ids(self):
        self._as("clerk")
        count = self.env["return.order"].search_count([])
        for line in ({"product_uom_qty": math.nan}, {"product_uom_qty": 1e308}, {"product_uom_qty": math.inf},
                     {"price_unit": math.nan}, {"product_id": 10**20}, {"discount": -math.inf}):
            vals = {"product_id": self.product.id, "product_uom_qty": 1, **line}
            self._refused(USER, "return.order", "create", [{
                "partner_id": self.partner.id,
                "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
                "line_ids": [Command.create(vals)]}])
        self._refused(USER, "return.order", "create", [{"partner_id": 10**20}])
        self.assertEqual(self.env["return.order"].search_count([]), count)
        for context in ({"active_model": "sale.order", "active_id": 10**20},
                        {"active_model": "stock.picking", "active_id": "x"}):
            self._refused(USER, "return.order.create", "default_get", [["partner_id"]], context=context)

    # ------------------------------------------------------------------
    # Background disposition: the flags are the flow's; the cron runs as who queued
    # ------------------------------------------------------------------
    def test_disposition_queue_is_the_flows(self):
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.disposition", 1)
        received = self._received(2)
        for _unit in range(2):
            self.env["return.grading.station"].grade(received.line_ids.id, self.grade_a.id, 1)
        gradings = received.grading_ids
        self._as("clerk")
        for vals, label in (({"disposition_queued": True}, "Disposition Queued"),
                            ({"disposition_queued_uid": self.users["clerk2"].id}, "Disposition Queued By"),
                            ({"disposition_error": "x"}, "Disposition Refused")):
            message = self._refused(USER, "return.grading", "write", [gradings.ids, vals])
            self.assertIn(label, message, "refused with the field's name")
        self.assertFalse(gradings.filtered("disposition_queued"))
        # Queued as the clerk: the flag names him, whatever the context says.
        self._call("return.grading", "action_dispose", [gradings.ids],
                   context={"default_disposition_queued_uid": self.users["clerk2"].id})
        self.assertEqual(gradings.disposition_queued_uid, self.users["clerk"])

    def test_protected_fields_are_refused_by_name(self):
        """Fields the flow sets are refused with their names, never dropped: the price of an approved
        line, the state of a return; fields nobody protects stay writable."""
        received = self._received(1)
        self._as("clerk")
        message = self._refused(USER, "return.order.line", "write", [received.line_ids.ids, {"price_unit": 1.0}])
        self.assertIn("Price Unit", message)
        message = self._refused(USER, "return.order", "write", [received.ids, {"state": "done"}])
        self.assertRegex(message, "State|Status")
        self._call("return.order", "write", [received.ids, {"note": "<p>Checked</p>"}])
        self.assertIn("Checked", received.note)
