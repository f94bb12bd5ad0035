from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import tagged

MAIL = """Return-Path: <{email_from}>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: <{msg_id}@example.com>
Content-Type: text/html; charset="utf-8"

<p>Hello,</p><p>{body}</p><script>alert(1)</script>
"""


@tagged("post_install", "-at_install")
class TestReturnMailGateway(ReverseLogisticsCommon):
    """A mail to the policy's alias makes a draft return of the sender, the mail in its chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "rl-returns.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.policy.write({"alias_name": "returns", "alias_domain_id": cls.alias_domain.id})
        cls.partner.email = "customer.a@example.com"
        cls._stock_in(cls.product, 10)
        cls.sale, _delivery, _invoice = cls._sell([(cls.product, 2, 100.0, 0.0)])
        cls.other_sale, _delivery, _invoice = cls._sell([(cls.product, 1, 100.0, 0.0)], partner=cls.partner_b)

    def _receive_mail(self, email_from, subject, body, msg_id):
        raw = MAIL.format(email_from=email_from, to=self.policy.alias_email, subject=subject, body=body,
                          msg_id=msg_id)
        res_id = self.env["mail.thread"].message_process(False, raw)
        return self.env["return.order"].browse(res_id)

    def test_mail_creates_draft_return(self):
        self.assertEqual(self.policy.alias_email, "returns@rl-returns.example.com")
        ret = self._receive_mail(
            "Customer A <customer.a@example.com>", f"Return for {self.sale.name}",
            f"The machine leaks. (Not {self.other_sale.name}, that one is fine.)", "rl-gw-1")
        self.assertEqual(ret.state, "draft")
        self.assertEqual(ret.partner_id, self.partner)
        self.assertEqual(ret.sale_order_id, self.sale, "the sender's order named in the subject")
        self.assertEqual(ret.policy_id, self.policy)
        self.assertEqual(ret.company_id, self.company)
        self.assertTrue(ret.name.startswith("RET/"), "named by the sequence, not by the subject")
        self.assertIn("The machine leaks.", ret.customer_note)
        self.assertNotIn("<", ret.customer_note)
        incoming = ret.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.subject, f"Return for {self.sale.name}")

    def test_mail_other_customer_order_and_unknown_sender(self):
        # Another customer's order reference is never linked to the sender's return.
        ret = self._receive_mail("Customer A <customer.a@example.com>", "A return",
                                 f"About {self.other_sale.name}", "rl-gw-2")
        self.assertEqual(ret.partner_id, self.partner)
        self.assertFalse(ret.sale_order_id)
        stranger = self._receive_mail("New Person <new.person@example.com>", "Broken", "Please help",
                                      "rl-gw-3")
        self.assertEqual(stranger.partner_id.email, "new.person@example.com")
        self.assertEqual(stranger.state, "draft")
