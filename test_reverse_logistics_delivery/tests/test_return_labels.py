import json

from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnLabels(ReverseLogisticsCommon, ReverseLogisticsHttpCase):
    """The policy's carrier makes the return label at approval: on the receipt, in the approval mail and on
    the customer's portal page; a carrier that is down blocks nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(cls.env, "rl_lbl_clerk", password="rl_lbl_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_lbl_manager", password="rl_lbl_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                    **company)
        cls.stock_only = new_test_user(cls.env, "rl_lbl_stock", groups="stock.group_stock_user", **company)
        cls.partner.write({"email": "customer.a@example.com", "lang": "en_US"})
        cls.portal_user = new_test_user(cls.env, "rl_lbl_portal", password="rl_lbl_portal",
                                        groups="base.group_portal", partner_id=cls.partner.id)
        cls.other_customer = cls.env["res.partner"].create({"name": "Other Customer", "email": "o@example.com"})
        cls.other_portal = new_test_user(cls.env, "rl_lbl_other", password="rl_lbl_other",
                                         groups="base.group_portal", partner_id=cls.other_customer.id)
        shipping = cls.env["product.product"].create({
            "name": "Return shipping", "type": "service", "taxes_id": [], "list_price": 0.0})
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Test Returns Carrier", "delivery_type": "rl_test", "product_id": shipping.id,
            "rl_test_price_per_unit": 7.5,
        })
        cls.policy.return_carrier_id = cls.carrier
        cls._stock_in(cls.product, 10)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 4, 100.0, 0.0)])

    def _approved_return(self, qty=2):
        ret = self._new_return(self.sale, qty=qty).with_user(self.clerk)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        return ret

    def _approval_mail(self, ret):
        self._write_customer_mails()
        messages = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id), ("message_type", "=", "comment"),
            ("subject", "=", f"Your return {ret.name} is approved")])
        return messages, self.env["mail.mail"].search([("mail_message_id", "in", messages.ids)])

    def _label_url(self, ret, label, token=None):
        return f"/my/returns/{ret.id}/label/{label.id}" + (f"?access_token={token}" if token else "")

    def test_label_on_receipt_mail_and_portal(self):
        ret = self._approved_return()
        receipt = ret.sudo()._get_return_label_picking()
        self.assertEqual(receipt.location_id, self.customer_location)
        self.assertEqual(receipt.carrier_id, self.carrier)
        self.assertEqual(ret.return_carrier_id, self.carrier)
        tracking = f"RLT-RET-{receipt.id:06d}"
        self.assertEqual(receipt.carrier_tracking_ref, tracking)
        self.assertEqual(ret.return_tracking_ref, tracking)
        label = ret.sudo().return_label_ids
        self.assertEqual(label.mapped("name"), [f"LabelReturn-rl_test-{tracking}.pdf"])
        # Kept where Odoo keeps return labels: on the receipt (the picking's return_label_ids).
        self.assertEqual((label.res_model, label.res_id), ("stock.picking", receipt.id))
        self.assertEqual(receipt.return_label_ids, label)
        self.assertTrue(label.raw.startswith(b"%PDF"))
        self.assertFalse(ret.return_label_error)

        # The approval mail carries the label beside the slip, in the chatter and in the queued mail.
        messages, mails = self._approval_mail(ret)
        self.assertEqual(len(messages), 1)
        self.assertIn(label, messages.attachment_ids)
        self.assertIn(label, mails.attachment_ids)
        self.assertEqual(len(messages.attachment_ids), 2, "the slip and the label")
        self.assertIn(self.partner, mails.recipient_ids)

        # The customer downloads it from their return's page.
        self.authenticate("rl_lbl_portal", "rl_lbl_portal")
        page = self.url_open(f"/my/returns/{ret.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self._label_url(ret, label), page.text)
        self.assertIn(tracking, page.text)
        download = self.url_open(self._label_url(ret, label))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, label.raw)
        self.assertIn("attachment", download.headers.get("Content-Disposition", ""))

        # Another customer, and a guest without the token, get nothing.
        self.authenticate("rl_lbl_other", "rl_lbl_other")
        refused = self.url_open(self._label_url(ret, label))
        self.assertNotEqual(refused.content, label.raw)
        self.assertNotIn(label.name, refused.headers.get("Content-Disposition", ""))
        self.authenticate(None, None)
        refused = self.url_open(self._label_url(ret, label))
        self.assertNotEqual(refused.content, label.raw)
        forged = self.url_open(self._label_url(ret, label, token="not-the-token"))
        self.assertNotEqual(forged.content, label.raw)
        # The holder of the return's token (the link in the mail) gets it.
        token = ret.sudo()._portal_ensure_token()
        with_token = self.url_open(self._label_url(ret, label, token=token))
        self.assertEqual(with_token.content, label.raw)
        # The token of this return opens no other attachment (the slip on the approval mail, say).
        slip = messages.attachment_ids - label
        other = self.url_open(self._label_url(ret, slip, token=token))
        self.assertNotEqual(other.content, slip.raw)
        self.assertNotIn(slip.name, other.headers.get("Content-Disposition", ""))

    def test_carrier_down_approval_then_retry(self):
        self.carrier.rl_test_fail = True
        ret = self._approved_return()
        receipt = ret.sudo()._get_return_label_picking()
        # Approved all the same, the receipt waits for the goods with its carrier but no label.
        self.assertEqual(receipt.state, "assigned")
        self.assertEqual(receipt.carrier_id, self.carrier)
        self.assertFalse(receipt.carrier_tracking_ref)
        self.assertFalse(ret.return_label_ids)
        self.assertIn("the service is unavailable", ret.return_label_error)
        note = ret.message_ids.filtered(lambda m: "made no return label" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Test Returns Carrier", note.body)
        messages, _mails = self._approval_mail(ret)
        self.assertEqual(len(messages), 1, "the approval mail goes, without the label")
        self.assertFalse(messages.attachment_ids.filtered(lambda a: a.name.startswith("LabelReturn-")))

        # Still down: the clerk's retry notes it again and raises nothing.
        ret.action_retry_return_label()
        self.assertFalse(ret.return_label_ids)
        self.assertEqual(len(ret.message_ids.filtered(lambda m: "made no return label" in (m.body or ""))), 2)

        # Back up: the label is made, and goes to the customer in a mail of its own.
        self.carrier.rl_test_fail = False
        ret.action_retry_return_label()
        label = ret.sudo().return_label_ids
        self.assertEqual(len(label), 1)
        self.assertEqual(receipt.carrier_tracking_ref, f"RLT-RET-{receipt.id:06d}")
        self.assertFalse(ret.return_label_error)
        late = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id),
            ("subject", "=", f"Return label for {ret.name}")])
        self.assertEqual(late.attachment_ids, label)
        self.assertEqual(late.partner_ids, self.partner)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", late.id)])
        self.assertIn(self.partner, mail.recipient_ids)
        self.assertEqual(mail.attachment_ids, label)

        # Nothing to retry once the label is there.
        with self.assertRaisesRegex(UserError, "whose carrier made no label yet"):
            ret.action_retry_return_label()

    def test_retry_rights_and_protected_fields(self):
        self.carrier.rl_test_fail = True
        ret = self._approved_return()
        for user in (self.stock_only, self.portal_user, self.other_portal):
            with self.assertRaises(AccessError):
                ret.with_user(user).action_retry_return_label()
        # A forged context lifts nothing.
        with self.assertRaises(AccessError):
            ret.with_user(self.stock_only).with_context(active_test=False, sudo=True).action_retry_return_label()
        # The flow's fields are the flow's: no clerk writes a label or a carrier.
        foreign = self.env["ir.attachment"].create({"name": "LabelReturn-fake.pdf", "raw": b"%PDF fake"})
        for vals, label in (({"return_label_ids": [(6, 0, foreign.ids)]}, "Return Labels"),
                            ({"return_carrier_id": False}, "Return Carrier"),
                            ({"return_label_error": False}, "Label Error")):
            with self.assertRaisesRegex(UserError, label):
                ret.with_user(self.clerk).write(vals)
        # A draft return is not retried.
        draft = self._new_return(self.sale, qty=1).with_user(self.clerk)
        with self.assertRaisesRegex(UserError, "only an approved return"):
            draft.action_retry_return_label()

    def test_return_shipping_cost_from_carrier_rate(self):
        ret = self._new_return(self.sale, qty=3).with_user(self.clerk)
        # The carrier rates the returned units only: 3 x 7.50, its product untaxed.
        self.assertAlmostEqual(ret._get_return_shipping_cost(), 3 * 7.5)
        ret.line_ids.product_uom_qty = 1
        self.assertAlmostEqual(ret._get_return_shipping_cost(), 1 * 7.5)
        # A carrier without a rate (down) leaves the estimate at the core's figure.
        self.carrier.rl_test_fail = True
        self.assertEqual(ret._get_return_shipping_cost(), 0.0)
        self.carrier.rl_test_fail = False
        self.policy.return_carrier_id = False
        self.assertEqual(ret._get_return_shipping_cost(), 0.0)
        # A Returns Manager names the carrier on the policy (it makes return labels).
        self.policy.with_user(self.manager).return_carrier_id = self.carrier
        self.assertAlmostEqual(ret._get_return_shipping_cost(), 1 * 7.5)

    def _rpc_error(self, model, method, args, context=None):
        """The error name of a JSON-RPC call as the browser sends it (None when it went through)."""
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 0,
            "params": {"model": model, "method": method, "args": args,
                       "kwargs": {"context": context or {}}}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        error = response.json().get("error")
        return error and error["data"]["name"]

    def test_retry_over_rpc_as_clerk_refused_to_customer(self):
        self.carrier.rl_test_fail = True
        ret = self._approved_return()
        self.carrier.rl_test_fail = False
        # The customer presses nothing of the returns team's, whatever context he forges.
        self.authenticate("rl_lbl_portal", "rl_lbl_portal")
        self.assertEqual(self._rpc_error("return.order", "action_retry_return_label", [ret.ids],
                                         context={"active_test": False, "sudo": True}),
                         "odoo.exceptions.AccessError")
        self.assertFalse(ret.return_label_ids)
        # The clerk's Retry Label, as the form's button sends it.
        self.authenticate("rl_lbl_clerk", "rl_lbl_clerk")
        self.assertIsNone(self._rpc_error("return.order", "action_retry_return_label", [ret.ids]))
        ret.invalidate_recordset()
        receipt = ret.sudo()._get_return_label_picking()
        self.assertEqual(len(ret.sudo().return_label_ids), 1)
        self.assertEqual(receipt.carrier_tracking_ref, f"RLT-RET-{receipt.id:06d}")
        # The clerk reads the label and the tracking on the return's form.
        values = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": "return.order", "method": "read", "args": [ret.ids, ["return_label_ids", "return_tracking_ref"]],
            "kwargs": {}})
        self.assertEqual(values[0]["return_label_ids"], ret.sudo().return_label_ids.ids)
        self.assertEqual(values[0]["return_tracking_ref"], receipt.carrier_tracking_ref)

    def test_cancelled_return_voids_its_label(self):
        ret = self._approved_return()
        receipt = ret.sudo()._get_return_label_picking()
        tracking = receipt.carrier_tracking_ref
        self.assertTrue(tracking)
        label = ret.sudo().return_label_ids
        ret.action_cancel()
        self.assertEqual(ret.state, "cancel")
        self.assertEqual(receipt.state, "cancel")
        # Cancelled with the carrier (the test carrier clears the reference), no longer offered.
        self.assertFalse(receipt.carrier_tracking_ref)
        self.assertFalse(ret.return_label_ids)
        self.assertTrue(label.exists(), "kept in the receipt's history")
        self.assertTrue(ret.message_ids.filtered(lambda m: f"Return label {tracking} cancelled" in (m.body or "")))

    def test_carrier_down_at_cancel_blocks_nothing(self):
        ret = self._approved_return()
        receipt = ret.sudo()._get_return_label_picking()
        tracking = receipt.carrier_tracking_ref
        self.carrier.rl_test_fail = True
        ret.action_cancel()
        self.assertEqual(ret.state, "cancel")
        self.assertEqual(receipt.carrier_tracking_ref, tracking)
        note = ret.message_ids.filtered(lambda m: "did not cancel the return label" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn(tracking, note.body)

    def test_manager_approval_gets_the_label(self):
        # Above the auto-approval ceiling: the clerk submits, the manager approves over JSON-RPC.
        self.policy.auto_approve_max_amount = 50.0
        ret = self._new_return(self.sale, qty=2).with_user(self.clerk)
        ret.action_submit()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.return_carrier_id, "no label before approval")
        self.authenticate("rl_lbl_manager", "rl_lbl_manager")
        self.assertIsNone(self._rpc_error("return.order", "action_approve", [ret.ids]))
        ret.invalidate_recordset()
        self.assertEqual(ret.state, "approved")
        receipt = ret.sudo()._get_return_label_picking()
        self.assertEqual(receipt.carrier_id, self.carrier)
        self.assertEqual(receipt.carrier_tracking_ref, f"RLT-RET-{receipt.id:06d}")
        messages, mails = self._approval_mail(ret)
        self.assertIn(ret.sudo().return_label_ids, messages.attachment_ids)
        self.assertIn(ret.sudo().return_label_ids, mails.attachment_ids)
