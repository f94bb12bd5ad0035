import re

from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import JsonRpcException, new_test_user, tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestBrandApproval(ReverseLogisticsHttpCase, ThirdPartyLogisticsCommon):
    """Brand A approves its dispositions worth more than 50.00 on its portal; nothing of them moves before,
    a refusal sends them back to the clerk, and nobody but brand A's portal users decides."""

    THRESHOLD = 50.0
    PRICE = 30.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_a = cls.env["return.policy"].with_user(cls.manager).create({
            "name": "Alpine Brews terms", "client_id": cls.brand_a.id, "is_default": True,
            "auto_approve": True, "brand_approval_above": cls.THRESHOLD,
        })
        cls.shopper_user = new_test_user(
            cls.env, "tpl_appr_shopper", groups="base.group_portal", partner_id=cls.shopper_a.id,
            company_id=cls.company.id, company_ids=cls.company.ids)

    def setUp(self):
        super().setUp()
        self.ret_a = self._client_return(self.brand_a, self.shopper_a, 3, price=self.PRICE)
        self.assertEqual(self.ret_a.policy_id, self.policy_a)
        self._receive(self.ret_a.receipt_ids.with_user(self.clerk))
        self.triage = self.ret_a._get_receipt_location()
        # 2 units x 30.00 = 60.00: above the brand's 50.00.
        self.grading = self._grade_as_clerk(self.ret_a, self.grade_a, 2, self.restock)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _decide_url(self, grading, decision):
        return f"/my/returns/{grading.order_id.id}/grading/{grading.id}/{decision}"

    def _csrf(self, return_id):
        page = self.url_open(f"/my/returns/{return_id}")
        self.assertEqual(page.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), page

    def _rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def _brand_units(self, location):
        return self._owned_qty(self.product, location, self.brand_a)

    # ------------------------------------------------------------------
    # The flow
    # ------------------------------------------------------------------
    def test_above_the_value_waits_then_the_brand_approves(self):
        triage_before, stock_before = self._brand_units(self.triage), self._brand_units(self.stock_location)
        self.grading.action_dispose()
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        self.assertEqual(self.grading.state, "graded", "nothing moved")
        self.assertFalse(self.grading.move_ids)
        self.assertEqual(self.grading.brand_approval_value, 2 * self.PRICE)
        self.assertEqual(self.grading.brand_approval_disposition_id, self.restock)
        self.assertEqual(self._brand_units(self.triage), triage_before)
        self.assertIn("Waiting for", self.ret_a.message_ids[0].body)
        # Disposing again while it waits is refused, nothing done.
        with self.assertRaisesRegex(UserError, "wait for the brand's approval"):
            self.grading.action_dispose()

        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, page = self._csrf(self.ret_a.id)
        self.assertIn(f'action="{self._decide_url(self.grading, "approve")}"', page.text)
        self.assertIn("Waiting for your approval", page.text)
        response = self.url_open(self._decide_url(self.grading, "approve"), data={"csrf_token": csrf},
                                 allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "approved")
        self.assertEqual(self.grading.brand_approval_uid.login, "tpl_portal_a")
        self.assertTrue(self.grading.date_brand_approval)
        self.assertEqual(self.grading.state, "done", "the approved restock ran at once")
        self.assertEqual(self._brand_units(self.triage), triage_before - 2)
        self.assertEqual(self._brand_units(self.stock_location), stock_before + 2, "still the brand's units")
        self.assertEqual(set(self.grading.move_ids.move_line_ids.mapped("owner_id")), {self.brand_a})
        self.assertEqual(self.grading.move_ids.mapped("create_uid"), self.clerk,
                         "run as the clerk who disposed of them, not as the portal user")
        self.assertFalse(self.env["stock.valuation.layer"].search([("stock_move_id", "in", self.grading.move_ids.ids)]))

        # Replay: a clear message, nothing moves again.
        moves = self.grading.move_ids
        replay = self.url_open(self._decide_url(self.grading, "approve"), data={"csrf_token": csrf})
        self.assertEqual(replay.status_code, 200)
        self.assertIn("approved already", replay.text)
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.move_ids, moves)
        refuse = self.url_open(self._decide_url(self.grading, "refuse"), data={"csrf_token": csrf, "note": "no"})
        self.assertIn("approved already", refuse.text)
        self.assertEqual(self.grading.brand_approval_state, "approved")

    def test_at_or_below_the_value_moves_at_once(self):
        self.grading.sudo().quantity = 1  # 30.00
        self.grading.action_dispose()
        self.assertFalse(self.grading.brand_approval_state)
        self.assertEqual(self.grading.state, "done")

    def test_company_goods_and_brands_without_a_value_never_wait(self):
        ret_b = self._client_return(self.brand_b, self.shopper_b, 2, price=1000.0)
        self._receive(ret_b.receipt_ids.with_user(self.clerk))
        grading_b = self._grade_as_clerk(ret_b, self.grade_a, 2, self.restock)
        grading_b.action_dispose()
        self.assertFalse(grading_b.brand_approval_state)
        self.assertEqual(grading_b.state, "done")

    def test_refusal_goes_back_to_the_clerk(self):
        self.grading.action_dispose()
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, _page = self._csrf(self.ret_a.id)
        # A refusal needs the brand's reason.
        empty = self.url_open(self._decide_url(self.grading, "refuse"), data={"csrf_token": csrf, "note": "  "})
        self.assertIn("Say why you refuse", empty.text)
        too_long = self.url_open(self._decide_url(self.grading, "refuse"),
                                 data={"csrf_token": csrf, "note": "x" * 5000})
        self.assertIn("too long", too_long.text)
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        response = self.url_open(self._decide_url(self.grading, "refuse"),
                                 data={"csrf_token": csrf, "note": "Sell them as seconds instead"},
                                 allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "refused")
        self.assertEqual(self.grading.brand_approval_note, "Sell them as seconds instead")
        self.assertEqual(self.grading.state, "graded")
        self.assertFalse(self.grading.move_ids)
        activity = self.ret_a.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("reverse_logistics_3pl.mail_activity_brand_refused"))
        self.assertEqual(len(activity), 1)
        self.assertIn("Sell them as seconds instead", activity.note)
        # Approving after the refusal is refused.
        late = self.url_open(self._decide_url(self.grading, "approve"), data={"csrf_token": csrf})
        self.assertIn("refused already", late.text)
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "refused")
        # The clerk cannot send the refused disposition again, but may choose another: asked again.
        with self.assertRaisesRegex(UserError, "refused these dispositions"):
            self.grading.action_dispose()
        self.grading.disposition_id = self.dispose
        self.grading.action_dispose()
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        self.assertEqual(self.grading.brand_approval_disposition_id, self.dispose)
        self.assertFalse(self.grading.brand_approval_note, "a new question, no old answer")

    def test_approved_disposition_that_cannot_run_stays_approved(self):
        self.grading.action_dispose()
        # The brand's units left triage meanwhile (a count correction): the approval stays, the clerk is told.
        quant = self.env["stock.quant"].search([("product_id", "=", self.product.id),
                                                ("location_id", "=", self.triage.id),
                                                ("owner_id", "=", self.brand_a.id)])
        quant.with_context(inventory_mode=True).write({"inventory_quantity": 0})
        quant.action_apply_inventory()
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, _page = self._csrf(self.ret_a.id)
        self.url_open(self._decide_url(self.grading, "approve"), data={"csrf_token": csrf})
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "approved")
        self.assertEqual(self.grading.state, "graded")
        todo = self.ret_a.activity_ids.filtered(lambda a: a.user_id == self.clerk and "could not run" in (a.note or ""))
        self.assertEqual(len(todo), 1)

    # ------------------------------------------------------------------
    # Attackers
    # ------------------------------------------------------------------
    def test_nobody_but_the_brand_decides(self):
        self.grading.action_dispose()
        url = self._decide_url(self.grading, "approve")
        # The other brand's portal user, with a valid token of its own session.
        self.authenticate("tpl_portal_b", "tpl_portal_b")
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.url_open("/my/account").text).group(1)
        self.assertEqual(self.url_open(url, data={"csrf_token": token}).status_code, 404)
        # The shopper of that return: a customer, not the brand.
        self.authenticate("tpl_appr_shopper", "tpl_appr_shopper")
        page = self.url_open(f"/my/returns/{self.ret_a.id}")
        self.assertNotIn("o_rl_brand_decision", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', self.url_open("/my/account").text).group(1)
        self.assertEqual(self.url_open(url, data={"csrf_token": csrf}).status_code, 404)
        # A visitor.
        self.authenticate(None, None)
        anonymous = self.url_open(url, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertIn(anonymous.status_code, (302, 303, 400, 403))
        # The brand itself, without or with a forged CSRF token.
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        self.assertEqual(self.url_open(url, data={"note": ""}).status_code, 400)
        self.assertEqual(self.url_open(url).status_code, 405, "a GET (a link, an image) decides nothing")
        self.assertEqual(self.url_open(url, data={"csrf_token": "0" * 40 + "o9999999999"}).status_code, 400)
        # Its own return's id with a grading of another return swapped in.
        self.assertEqual(self.url_open(
            f"/my/returns/{self.ret_a.id}/grading/{self.grading.id + 999999}/approve",
            data={"csrf_token": self._csrf(self.ret_a.id)[0]}).status_code, 404)
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        self.assertFalse(self.grading.move_ids)

    def test_brand_cannot_decide_over_rpc(self):
        self.grading.action_dispose()
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        for method, args in (("write", [self.grading.ids, {"brand_approval_state": "approved"}]),
                             ("_brand_decide", [self.grading.ids, self.grading.id, True])):
            with self.assertRaises(JsonRpcException, msg=method):
                self._rpc("return.grading", method, *args)
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        # Figures of the 3PL stay the staff's.
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "read", self.grading.ids, ["brand_approval_threshold"])

    def test_clerk_cannot_approve_for_the_brand(self):
        self.grading.action_dispose()
        clerk_grading = self.grading.with_user(self.clerk)
        for vals in ({"brand_approval_state": "approved"}, {"brand_approval_uid": self.clerk.id},
                     {"disposition_id": self.dispose.id}, {"quantity": 1}):
            with self.assertRaises(UserError, msg=vals):
                clerk_grading.write(vals)
        with self.assertRaises(UserError):
            clerk_grading._brand_decide(self.clerk, True)
        # Context keys a client can send lift nothing.
        with self.assertRaisesRegex(UserError, "wait for the brand's approval"):
            clerk_grading.with_context(brand_approval_state="approved", active_test=False,
                                       default_brand_approval_state="approved").action_dispose()
        self.assertEqual(self.grading.brand_approval_state, "waiting")
        self.assertFalse(self.grading.move_ids)
        # Over JSON-RPC, as the clerk.
        self.authenticate("tpl_clerk", "tpl_clerk")
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "write", self.grading.ids, {"brand_approval_state": "approved"})
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "_brand_decide", self.grading.ids, self.portal_a.id, True)
        self.assertEqual(self.grading.brand_approval_state, "waiting")

    def test_the_value_is_checked(self):
        policies = self.env["return.policy"].with_user(self.manager)
        for bad in (-1.0, float("nan"), 1e308, "nan"):
            with self.assertRaises(UserError, msg=bad):  # ValidationError is a UserError
                self.policy_a.with_user(self.manager).brand_approval_above = bad
        with self.assertRaises(ValidationError):
            policies.create({"name": "Company terms", "brand_approval_above": 10.0})
        self.assertEqual(self.policy_a.brand_approval_above, self.THRESHOLD)
        with self.assertRaises(AccessError):
            self.policy_a.with_user(self.clerk).brand_approval_above = 0

    # ------------------------------------------------------------------
    # Found by the sixth attack round
    # ------------------------------------------------------------------
    def test_units_split_into_small_gradings_still_wait(self):
        """1 + 1 unit (30.00 each) to the same disposition: 60.00 for the line, above 50.00."""
        self.grading.sudo().quantity = 1
        other = self._grade_as_clerk(self.ret_a, self.grade_a, 1, self.restock)
        (self.grading | other).action_dispose()
        self.assertEqual((self.grading | other).mapped("brand_approval_state"), ["waiting", "waiting"])
        self.assertFalse((self.grading | other).move_ids)

    def test_units_split_across_dispositions_runs_still_wait(self):
        self.grading.sudo().quantity = 1
        self.grading.action_dispose()
        self.assertEqual(self.grading.state, "done", "30.00 alone is within the brand's value")
        second = self._grade_as_clerk(self.ret_a, self.grade_a, 1, self.restock)
        second.action_dispose()
        self.assertEqual(second.brand_approval_state, "waiting", "30.00 more to the same disposition: 60.00")
        self.assertFalse(second.move_ids)

    def test_what_the_brand_was_asked_stays(self):
        self.grading.action_dispose()
        with self.assertRaisesRegex(UserError, "the brand was asked about these dispositions"):
            self.grading.action_decide()
        self.assertEqual(self.grading.disposition_id, self.restock)
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, _page = self._csrf(self.ret_a.id)
        self.url_open(self._decide_url(self.grading, "refuse"), data={"csrf_token": csrf, "note": "No"})
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "refused")
        # After a refusal only the disposition changes: not fewer units to slip under the brand's value.
        for vals in ({"quantity": 1}, {"grade_id": self.grade_d.id}):
            with self.assertRaises(UserError, msg=vals):
                self.grading.with_user(self.clerk).write(vals)
        self.grading.with_user(self.clerk).disposition_id = self.dispose
        self.assertEqual(self.grading.quantity, 2)

    def test_the_brands_note_is_text(self):
        self.grading.action_dispose()
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, _page = self._csrf(self.ret_a.id)
        nul = self.url_open(self._decide_url(self.grading, "refuse"), data={"csrf_token": csrf, "note": "a\x00b"})
        self.assertEqual(nul.status_code, 200)
        self.assertIn("cannot be stored", nul.text)
        self.url_open(self._decide_url(self.grading, "refuse"), data={
            "csrf_token": csrf, "note": '<a href="https://evil.example.com">see</a><img src=x>'})
        activity = self.ret_a.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("reverse_logistics_3pl.mail_activity_brand_refused"))
        # Shown as the text it is (a bare address becomes a link, as in any plain text Odoo shows).
        self.assertNotIn(">see</a>", str(activity.note))
        self.assertNotIn("<img", str(activity.note))
        self.assertIn("&lt;a href", str(activity.note))
        self.assertIn("&lt;img", str(activity.note))

    def test_a_grading_the_brand_was_asked_about_stays(self):
        self.grading.action_dispose()
        with self.assertRaisesRegex(UserError, "their grading stays"):
            self.grading.with_user(self.clerk).unlink()
        self.assertTrue(self.grading.exists())

    def test_blind_parcel_takes_the_announced_price(self):
        """Found by the sixth attack round: a matched blind parcel kept price 0, its units were valued at the
        3PL's cost and the brand was never asked."""
        self.env["return.client.fee"].create({"client_id": self.brand_a.id, "kind": "received", "amount": 1.0})
        received = self.env["return.order"].with_user(self.clerk).action_receive_blind_parcel({
            "client_id": self.brand_a.id, "client_ref": "BLIND-9", "lines": [{"product": "ESP-100", "qty": 2}]})
        parcel = self.env["return.order"].browse(received["id"])
        self.assertEqual(parcel.line_ids.price_unit, 0.0)
        result = self.env["return.order"].with_user(self.portal_a).action_announce_client_return({
            "client_id": self.brand_a.id, "client_ref": "BLIND-9", "customer": {"name": "Pia"},
            "lines": [{"product": "ESP-100", "qty": 2, "price": self.PRICE}]})
        self.assertEqual((result["id"], result["matched"]), (parcel.id, True))
        self.assertEqual(parcel.line_ids.price_unit, self.PRICE)
        grading = self._grade_as_clerk(parcel, self.grade_a, 2, self.restock)
        grading.action_dispose()
        self.assertEqual(grading.brand_approval_state, "waiting", "2 x 30.00 = 60.00, above 50.00")

    def test_units_split_across_lines_and_dispositions_still_wait(self):
        """Found by round 6b: the value was counted per line and disposition; it is the return's."""
        line = {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": self.PRICE,
                "reason_id": self.reason_unwanted.id}
        ret = self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.shopper_a.id, "client_id": self.brand_a.id, "warehouse_id": self.warehouse.id,
            "line_ids": [(0, 0, line), (0, 0, line)]})
        ret.action_submit()
        if ret.state == "draft":
            ret.with_user(self.manager).action_approve()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        first, second = ret.line_ids
        station = self.station.with_user(self.clerk)
        grading_1 = self.env["return.grading"].browse(station.grade(first.id, self.grade_a.id, 1)["grading_id"])
        grading_1.with_user(self.clerk).disposition_id = self.restock
        grading_1.with_user(self.clerk).action_dispose()
        self.assertEqual(grading_1.state, "done", "30.00 alone")
        grading_2 = self.env["return.grading"].browse(station.grade(second.id, self.grade_a.id, 1)["grading_id"])
        grading_2.with_user(self.clerk).disposition_id = self.repackage
        grading_2.with_user(self.clerk).action_dispose()
        self.assertEqual(grading_2.brand_approval_state, "waiting",
                         "another line and disposition: 60.00 for the return")

    # ------------------------------------------------------------------
    # Found by the review of the change
    # ------------------------------------------------------------------
    def test_waiting_units_are_never_queued(self):
        self.grading.action_dispose()
        other = self._grade_as_clerk(self.ret_a, self.grade_a, 1, self.restock)
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.disposition", "1")
        with self.assertRaisesRegex(UserError, "wait for the brand's approval"):
            (self.grading | other).with_user(self.clerk).action_dispose()
        self.assertFalse((self.grading | other).filtered("disposition_queued"))

    def test_approval_without_the_user_who_disposed_never_runs_as_the_system(self):
        self.grading.action_dispose()
        self.grading.sudo().write({"brand_approval_requested_uid": False})
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        csrf, _page = self._csrf(self.ret_a.id)
        self.url_open(self._decide_url(self.grading, "approve"), data={"csrf_token": csrf})
        self.grading.invalidate_recordset()
        self.assertEqual(self.grading.brand_approval_state, "approved")
        self.assertEqual(self.grading.state, "graded", "nothing moved as the system")
        self.assertFalse(self.grading.move_ids)
        self.assertTrue(self.ret_a.activity_ids.filtered(lambda a: "dispose of them" in (a.note or "")))

    def test_photos_uploaded_before_saving_become_the_gradings(self):
        # Round 6c: a file on the grading the clerk may not read (linked by someone else) blocked his photos.
        cron = self.env["ir.cron"].search([], limit=1)
        self.grading.sudo().attachment_ids = [(4, self.env["ir.attachment"].create({
            "name": "cron.txt", "raw": b"x", "res_model": "ir.cron", "res_id": cron.id}).id)]
        photo = self.env["ir.attachment"].with_user(self.clerk).create({
            "name": "unit.png", "raw": b"\x89PNG\r\n\x1a\n", "res_model": "return.grading", "res_id": 0})
        self.grading.with_user(self.clerk).write({"attachment_ids": [(4, photo.id)]})
        self.assertEqual(photo.res_id, self.grading.id)
