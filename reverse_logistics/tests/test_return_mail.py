from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnMail(ReverseLogisticsCommon):
    """A mail to the customer at each step, in their language, queued and logged in the chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_mail_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(
            cls.env, login="rl_mail_manager",
            groups="stock.group_stock_user,reverse_logistics.group_return_manager", **company)
        cls.partner.write({"email": "customer.a@example.com", "lang": "en_US"})
        cls._stock_in(cls.product, 10)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 4, 100.0, 0.0)])

    def _customer_mails(self, ret, template_xmlid):
        """The chatter messages of `ret` made from a template, with their queued mails, once the mail cron
        has written what the flow called for."""
        self._write_customer_mails()
        template = self.env.ref(template_xmlid)
        messages = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id), ("message_type", "=", "comment"),
            ("subject", "=", template._render_field("subject", ret.ids, compute_lang=True)[ret.id]),
        ])
        mails = self.env["mail.mail"].search([("mail_message_id", "in", messages.ids)])
        return messages, mails

    def test_approved_received_refunded(self):
        ret = self._new_return(self.sale, qty=2).with_user(self.clerk)
        # The slip drawn for real, as in production (tests otherwise get reports as HTML).
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        # Nothing written inside the approval: the mail cron writes the mail and draws the slip.
        self.assertEqual(ret.sudo().customer_mail_steps, "approved")
        self._write_customer_mails(force_report_rendering=True)
        self.assertFalse(ret.sudo().customer_mail_steps)
        # Approved at once: no "request received" mail, the approval says it all.
        self.assertFalse(self._customer_mails(ret, "reverse_logistics.mail_template_return_request_received")[0])
        messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_approved")
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages.subject, f"Your return {ret.name} is approved")
        self.assertEqual(messages.partner_ids, self.partner)
        self.assertNotEqual(messages.author_id, self.partner)
        # Queued, not sent inside the approval's transaction; the slip travels with it.
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        self.assertIn(self.partner, mails.recipient_ids)
        slip = messages.attachment_ids
        self.assertEqual(slip.mapped("name"), [f"Return slip - {ret.name}.pdf"])
        self.assertTrue(slip.raw.startswith(b"%PDF"))
        self.assertIn(slip, mails.attachment_ids)

        self._receive(ret.sudo().receipt_ids.with_user(self.clerk))
        self.assertEqual(ret.state, "done")
        messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_goods_received")
        self.assertEqual(len(messages), 1)
        self.assertIn("Espresso Machine: 2.0", messages.body)
        messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_resolved")
        self.assertEqual(messages.subject, f"Your return {ret.name}: refund issued")
        # 2 x 100 + the sale tax, as posted on the credit note.
        refunded = -sum(ret.sudo().credit_note_ids.mapped("amount_total_in_currency_signed"))
        self.assertAlmostEqual(refunded, 200 * (1 + self.tax.amount / 100))
        self.assertIn(f"{refunded:.2f}", messages.body)
        self.assertIn(self.partner, mails.recipient_ids)

    def test_review_reject_and_switches(self):
        self.policy.auto_approve_max_amount = 50.0
        ret = self._new_return(self.sale, qty=1).with_user(self.clerk)
        ret.action_submit()
        self.assertEqual(ret.state, "draft")
        messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_request_received")
        self.assertEqual(len(messages), 1)
        self.assertIn(self.partner, mails.recipient_ids)
        ret.action_submit()  # submitted again: no second mail
        again, _mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_request_received")
        self.assertEqual(len(again), 1)
        ret.with_user(self.manager)._action_reject("Opened and used.")
        messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_rejected")
        self.assertEqual(len(messages), 1)
        self.assertIn("Opened and used.", messages.body)
        self.assertIn(self.partner, mails.recipient_ids)

        # Switched off in the policy: no approval mail.
        self.policy.mail_approved = False
        other = self._new_return(self.sale, qty=1).with_user(self.manager)
        other.action_approve()
        self.assertEqual(other.state, "approved")
        self.assertFalse(self._customer_mails(other, "reverse_logistics.mail_template_return_approved")[0])

    def test_mail_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("reverse_logistics.mail_template_return_approved")
        template.with_context(lang="fr_FR").subject = "Votre retour {{ object.name }} est accepté"
        self.partner.lang = "fr_FR"
        ret = self._new_return(self.sale, qty=1).with_user(self.clerk)
        ret.action_submit()
        self._write_customer_mails()
        message = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret.id), ("message_type", "=", "comment")])
        self.assertEqual(message.subject, f"Votre retour {ret.name} est accepté")
        # A customer in a language without a translation gets the English text.
        self.env["res.lang"]._activate_lang("de_DE")
        self.partner.lang = "de_DE"
        ret2 = self._new_return(self.sale, qty=1).with_user(self.clerk)
        ret2.action_submit()
        self._write_customer_mails()
        message = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", ret2.id), ("message_type", "=", "comment")])
        self.assertEqual(message.subject, f"Your return {ret2.name} is approved")

    def test_store_credit_and_exchange_mails(self):
        for resolution, subject in (("store_credit", "store credit issued"), ("exchange", "replacement on its way")):
            ret = self._new_return(self.sale, qty=1, resolution=resolution).with_user(self.clerk)
            ret.action_submit()
            self._receive(ret.sudo().receipt_ids.with_user(self.clerk))
            messages, mails = self._customer_mails(ret, "reverse_logistics.mail_template_return_resolved")
            self.assertEqual(messages.subject, f"Your return {ret.name}: {subject}")
            self.assertIn(self.partner, mails.recipient_ids)

    def test_mail_cron_writes_once_and_fails_alone(self):
        """The mail cron writes each flagged mail once, in the order of the steps, with the policy's switch
        as it was at the step; a mail that cannot be rendered leaves a note and holds up no other."""
        ret = self._new_return(self.sale, qty=1).with_user(self.clerk)
        ret.action_submit()
        self._receive(ret.sudo().receipt_ids.with_user(self.clerk))
        self.assertEqual(set(ret.sudo().customer_mail_steps.split()), {"approved", "goods_received", "resolved"})
        # Switched off after the steps: they called for their mails already.
        self.policy.mail_goods_received = False
        broken = self._new_return(self.sale, qty=1).with_user(self.clerk)
        broken.action_submit()
        template = self.env.ref("reverse_logistics.mail_template_return_approved")
        template.subject = "{{ 1 / 0 }}"
        # The broken template fails for both returns' approval: each gets a note, the cron goes through.
        self._write_customer_mails()
        for order in (ret, broken):
            self.assertFalse(order.sudo().customer_mail_steps)
            self.assertTrue(order.sudo().message_ids.filtered(
                lambda m: "could not be written" in (m.body or "")))
        self.assertFalse(self._customer_mails(ret, "reverse_logistics.mail_template_return_goods_received")[0],
                         "the steps of a return are written together or not at all")
        # Nothing left: a second run writes nothing again.
        count = self.env["mail.message"].search_count([("model", "=", "return.order"), ("res_id", "=", ret.id)])
        self._write_customer_mails()
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "return.order"), ("res_id", "=", ret.id)]), count)

        template.subject = "Your return {{ object.name }} is approved"
        self.policy.mail_goods_received = True
        fine = self._new_return(self.sale, qty=1).with_user(self.clerk)
        fine.action_submit()
        self._receive(fine.sudo().receipt_ids.with_user(self.clerk))
        self._write_customer_mails()
        comments = fine.sudo().message_ids.filtered(lambda m: m.message_type == "comment").sorted("id")
        self.assertEqual(comments.mapped("subject"), [
            f"Your return {fine.name} is approved", f"We received the items of your return {fine.name}",
            f"Your return {fine.name}: refund issued"], "in the order the customer lives them")
        again = self._new_return(self.sale, qty=1).with_user(self.clerk)
        again.action_submit()
        self._write_customer_mails()
        self._write_customer_mails()
        messages, _mails = self._customer_mails(again, "reverse_logistics.mail_template_return_approved")
        self.assertEqual(len(messages), 1, "written once")

    def test_mail_steps_are_the_flows(self):
        """A user cannot queue or clear customer mails by writing the flag."""
        ret = self._new_return(self.sale, qty=1).with_user(self.clerk)
        with self.assertRaises(UserError):
            ret.write({"customer_mail_steps": "approved resolved"})
