"""Attacks on the return's mail thread and on returns by e-mail, done as they were: raw RFC822 mails
through the mail gateway (`mail.thread.message_process`), forged senders and replies to the thread."""
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

MAIL = """Return-Path: <bounce@relay.example>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: <{msg_id}@relay.example>
{headers}Content-Type: text/plain; charset="utf-8"

{body}
"""


@tagged("post_install", "-at_install")
class TestReturnMailTrust(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "rl-trust.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.policy.write({"alias_name": "returns-trust", "alias_domain_id": cls.alias_domain.id})
        cls.partner.email = "customer.a@example.com"
        cls.colleague = cls.env["res.partner"].create({
            "name": "A's buyer", "email": "buyer.a@example.com", "parent_id": cls.partner.id})
        # A stranger the database knows (say, a customer of another return) and one it does not.
        cls.stranger = cls.env["res.partner"].create({"name": "Mallory", "email": "mallory@evil.example"})
        cls.clerk = new_test_user(
            cls.env, login="rl_mail_clerk", groups="reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=cls.company.ids)
        cls.manager = new_test_user(
            cls.env, login="rl_mail_manager", groups="reverse_logistics.group_return_manager",
            company_id=cls.company.id, company_ids=cls.company.ids, email="manager@company.example")
        cls.policy.user_id = cls.manager
        cls._stock_in(cls.product, 10)
        cls.sale, _delivery, _invoice = cls._sell([(cls.product, 2, 100.0, 0.0)])

    def _mail(self, email_from, subject, body="Please take it back.", msg_id="rl-trust", headers=""):
        raw = MAIL.format(to=self.policy.alias_email, email_from=email_from, subject=subject, body=body,
                          msg_id=msg_id, headers=headers)
        return self.env["mail.thread"].message_process(False, raw)

    def _reply(self, ret, email_from, msg_id, header="In-Reply-To"):
        first = ret.message_ids.filtered(lambda m: m.message_type == "email").sorted("id")[:1]
        return self._mail(email_from, f"Re: {ret.name}", body="Cancel it, I changed my mind.", msg_id=msg_id,
                          headers=f"{header}: {first.message_id}\n")

    def _mailed_partners(self, messages):
        """Partners a message of the thread is mailed to (its e-mail notifications)."""
        return messages.sudo().notification_ids.filtered(lambda n: n.notification_type == "email").res_partner_id

    def _customer_return(self):
        ret = self.env["return.order"].browse(self._mail(
            "Customer A <customer.a@example.com>", f"Return for {self.sale.name}", msg_id="rl-trust-first"))
        ret.line_ids = [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1,
                                "origin_move_id": self.sale.picking_ids.move_ids.id,
                                "sale_line_id": self.sale.order_line.id, "reason_id": self.reason_defect.id})]
        return ret

    def test_stranger_replies_are_internal_notes_never_followed_never_relayed(self):
        ret = self._customer_return()
        self.assertEqual(ret.message_partner_ids, self.partner, "the customer follows their request")
        before = ret.message_ids
        for msg_id, sender, header in (
            ("rl-trust-r1", "Mallory <mallory@evil.example>", "In-Reply-To"),  # known to the database
            ("rl-trust-r2", "Nobody <nobody@unknown.example>", "In-Reply-To"),  # unknown address
            ("rl-trust-r3", "Mallory <mallory@evil.example>", "References"),
            # The customer's address as display name only.
            ("rl-trust-r4", '"customer.a@example.com" <mallory@evil.example>', "In-Reply-To"),
        ):
            self.assertEqual(self._reply(ret, sender, msg_id, header), ret.id, "routed into the thread")
        replies = ret.message_ids - before
        self.assertEqual(len(replies), 4)
        self.assertEqual(ret.message_partner_ids, self.partner, "nobody was subscribed")
        for reply in replies:
            self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_note"), reply.email_from)
            self.assertTrue(reply.is_internal)
        self.assertFalse(self._mailed_partners(replies).filtered("partner_share"), "relayed to nobody outside")
        self.assertFalse(replies.partner_ids - ret.user_id.partner_id)
        self.assertIn(ret.user_id.partner_id, replies.sudo().notification_ids.res_partner_id,
                      "the return's responsible hears of it")
        # The customer's own reply stays a message of the discussion, relayed to the team.
        own = ret.browse(self._reply(ret, "Customer A <customer.a@example.com>", "rl-trust-own")).message_ids[0]
        self.assertEqual(own.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertEqual(ret.message_partner_ids, self.partner)

    def test_mails_with_the_token_go_to_the_customer_only(self):
        ret = self._customer_return()
        # Even a stranger made a follower (by a clerk's mistake, say) never gets the return's mails.
        ret.with_user(self.clerk).message_subscribe(partner_ids=(self.stranger | self.manager.partner_id).ids)
        self.assertIn(self.stranger, ret.message_partner_ids)
        before = ret.message_ids
        ret.action_submit()
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")
        self._write_customer_mails()
        approval = (ret.message_ids - before).filtered(lambda m: "is approved" in (m.subject or ""))
        self.assertEqual(len(approval), 1)
        self.assertIn(ret.access_token, approval.body, "the mail carries the return's access token")
        self.assertEqual(self._mailed_partners(approval).filtered("partner_share"), self.partner)
        outgoing = self.env["mail.mail"].sudo().search([("mail_message_id", "=", approval.id)])
        self.assertEqual(outgoing.recipient_ids.filtered("partner_share"), self.partner)
        self.assertNotIn("mallory", " ".join(filter(None, outgoing.mapped("email_to"))).lower())
        # A clerk's own message: the team and the customer, not the stranger.
        note = ret.with_user(self.clerk).message_post(body="We got it.", message_type="comment",
                                                      subtype_xmlid="mail.mt_comment")
        self.assertNotIn(self.stranger, self._mailed_partners(note))
        self.assertIn(self.partner, self._mailed_partners(note))

    def test_forged_senders(self):
        returns = self.env["return.order"]
        # The customer's address as display name: the sender is mallory, a contact named after her address.
        ret = returns.browse(self._mail('"customer.a@example.com" <mallory2@evil.example>',
                                        f"Return {self.sale.name}", msg_id="rl-trust-f1"))
        self.assertEqual(ret.partner_id.email, "mallory2@evil.example")
        self.assertEqual(ret.partner_id.name, "mallory2@evil.example")
        self.assertFalse(ret.sale_order_id)
        # A colleague of the customer (same company, another address) names the company's order: not
        # the order customer's address, so not linked.
        ret = returns.browse(self._mail("A's buyer <buyer.a@example.com>", f"Return {self.sale.name}",
                                        msg_id="rl-trust-f2"))
        self.assertEqual(ret.partner_id, self.colleague)
        self.assertFalse(ret.sale_order_id)

    def test_mail_returns_need_a_manager(self):
        # From: the customer's exact address (which anybody can forge): linked, but never approved by
        # the policy alone, however small and inside the window.
        ret = self._customer_return()
        self.assertEqual((ret.sale_order_id, ret.partner_id, ret.requested_by_mail), (self.sale, self.partner, True))
        self.assertTrue(ret.line_ids and not ret.policy_problems)
        ret.with_user(self.clerk).action_submit()
        self.assertEqual(ret.state, "draft")
        self.assertTrue(ret.activity_ids, "a manager is asked")
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).action_approve()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.receipt_ids)
        # Nobody marks or unmarks it by hand.
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            ret.with_user(self.clerk).write({"requested_by_mail": False})
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")

    def test_forged_context_defaults_of_the_gateway_caller(self):
        # message_process is public (the mail gateway script calls it over RPC): its caller's context
        # defaults fill nothing of the return.
        raw = MAIL.format(to=self.policy.alias_email, email_from="customer.a@example.com", subject="Broken",
                          body="x", msg_id="rl-trust-ctx", headers="")
        ret = self.env["return.order"].browse(self.env["mail.thread"].with_context(
            default_state="approved", default_policy_override=True, default_requested_by_mail=False,
        ).message_process(False, raw))
        self.assertEqual((ret.state, ret.policy_override, ret.requested_by_mail), ("draft", False, True))

    def test_message_new_is_the_gateways(self):
        count = self.env["return.order"].search_count([])
        msg = {"email_from": "customer.a@example.com", "subject": "x", "body": "x", "author_id": self.partner.id}
        for user in (self.clerk, self.manager):
            with self.assertRaises(AccessError):
                self.env["return.order"].with_user(user).message_new(
                    msg, {"state": "done", "policy_override": True})
        self.assertEqual(self.env["return.order"].search_count([]), count)

    def test_message_process_over_rpc_is_the_gateways(self):
        """Second and third rounds: message_process is public, and its routes run message_new and
        message_update as the system with the values and the thread its caller names. An Inventory user
        without any Returns group got an approved return at his price in one call; then, around the
        addons' own models, a draft credit note of 99,999 on a return, a transfer of a live recall, a
        partner with asset balances, a lot "at the customer"; and a Returns User posted in another
        customer's return as that customer. Only the mail gateway (the superuser, an administrator's
        mailgate script) processes raw mail."""
        stock_user = new_test_user(self.env, login="rl_mail_stock", groups="stock.group_stock_user",
                                   company_id=self.company.id, company_ids=self.company.ids)
        ret = self._customer_return()
        counts = {model: self.env[model].search_count([]) for model in (
            "return.order", "return.policy", "account.move", "stock.picking", "res.partner", "stock.lot")}
        messages = len(ret.message_ids)

        def process(user, model, to, custom_values, msg_id, thread_id=None):
            raw = MAIL.format(to=to, email_from="Customer A <customer.a@example.com>", subject=self.sale.name,
                              body="I withdraw my claim", msg_id=msg_id, headers="")
            # As /web/dataset/call_kw calls it.
            return call_kw(self.env["mail.thread"].with_user(user), "message_process",
                           [model, raw, custom_values], {"thread_id": thread_id})

        forged = {"state": "approved", "policy_override": True, "customer_mail_steps": "none",
                  "line_ids": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": 77777})]}
        alias_values = {"policy_id": self.policy.id, "company_id": self.company.id}
        attempts = [
            ("return.order", forged, None), ("return.order", None, None), ("return.order", alias_values, None),
            ("return.policy", {"name": "FORGED POLICY"}, None),
            ("account.move", {"move_type": "out_refund", "partner_id": self.partner.id,
                              "return_order_id": ret.id}, None),
            ("stock.picking", {"picking_type_id": self.warehouse.in_type_id.id}, None),
            ("res.partner", {"name": "Forged"}, None), ("stock.lot", {"product_id": self.product.id}, None),
            ("return.order", None, ret.id),
        ]
        for user in (stock_user, self.clerk, self.manager):
            for n, (model, custom_values, thread_id) in enumerate(attempts):
                with self.subTest(user=user.login, model=model, custom_values=custom_values, thread_id=thread_id), \
                        self.assertRaisesRegex(AccessError, "processed by the mail gateway only"):
                    process(user, model, "nobody@nowhere.example", custom_values, f"rl-rpc-{user.id}-{n}", thread_id)
        for model, count in counts.items():
            self.assertEqual(self.env[model].search_count([]), count, model)
        self.assertEqual(len(ret.message_ids), messages, "nothing was posted in the customer's thread")
        # The mailgate script's administrator: the alias's own values make the draft the customer's mail
        # would have made; anything else, even the same values in other types, is refused.
        admin = self.env.ref("base.user_admin")
        for n, custom_values in enumerate((forged, None, {"policy_id": float(self.policy.id), "company_id": True})):
            with self.subTest(custom_values=custom_values), self.assertRaises(AccessError):
                process(admin, "return.order", "nobody@nowhere.example", custom_values, f"rl-rpc-admin-{n}")
        created = self.env["return.order"].browse(process(
            admin, "return.order", "nobody@nowhere.example", alias_values, "rl-rpc-alias"))
        self.assertEqual((created.state, created.requested_by_mail, created.partner_id), ("draft", True, self.partner))
        self.assertFalse(created.line_ids)

    def test_a_forged_employee_address_reaches_no_customer(self):
        """Anybody can put an employee's address in From:: such a reply is logged for the team, never
        relayed to the customer from the company's server (found by an outside tester)."""
        ret = self._customer_return()
        before = ret.message_ids
        self.assertEqual(self._reply(ret, "Manager <manager@company.example>", "rl-trust-forged-team"), ret.id)
        reply = ret.message_ids - before
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(reply.is_internal)
        self.assertFalse(self._mailed_partners(reply).filtered("partner_share"), "relayed to no customer")
        outgoing = self.env["mail.mail"].sudo().search([("mail_message_id", "=", reply.id)])
        self.assertNotIn(self.partner, outgoing.recipient_ids)
