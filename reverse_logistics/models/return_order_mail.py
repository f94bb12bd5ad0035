import logging

import psycopg2

from odoo import api, fields, models
from odoo.tools.misc import clean_context

_logger = logging.getLogger(__name__)


class ReturnOrder(models.Model):
    """A mail to the customer at each step of the return, each one switched on or off in the policy.

    The step that calls for a mail only flags the return (`customer_mail_steps`, the policy's switch read
    at the event); the mail cron writes the mails (the approval's slip PDF rendered there), posts them in
    the chatter (the customer reads them on the portal too) and hands them to the mail queue. Approving
    or receiving never waits for a template or a PDF, and a mail that fails to render fails alone.
    """

    _inherit = "return.order"

    customer_mail_steps = fields.Char(
        readonly=True, copy=False, index="btree_not_null",
        help="Customer mails the flow called for and the mail cron has not written yet, oldest first.")

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        """Mail about a return goes to the returns team and to the customer's contacts, nobody else.

        Its customer mails carry the return's access token (the link, the slip's QR code), which opens
        the return and cancels it: a follower outside both (a stranger who managed to follow the thread,
        a contact added by mistake) is never mailed."""
        recipients = super()._notify_get_recipients(message, msg_vals=msg_vals, **kwargs)
        if len(self) != 1:
            return recipients
        customer = self.sudo().commercial_partner_id
        external = self.env["res.partner"].sudo().browse([r["id"] for r in recipients if r.get("share")])
        allowed = set(external.filtered(lambda p: p.commercial_partner_id == customer).ids)
        return [r for r in recipients if not r.get("share") or r["id"] in allowed]

    def _get_customer_mail_steps(self):
        """{step: (policy switch, mail template xmlid)}."""
        return {
            "request_received": ("mail_request_received", "reverse_logistics.mail_template_return_request_received"),
            "approved": ("mail_approved", "reverse_logistics.mail_template_return_approved"),
            "rejected": ("mail_rejected", "reverse_logistics.mail_template_return_rejected"),
            "goods_received": ("mail_goods_received", "reverse_logistics.mail_template_return_goods_received"),
            "resolved": ("mail_resolved", "reverse_logistics.mail_template_return_resolved"),
            "expired": ("mail_expired", "reverse_logistics.mail_template_return_expired"),
        }

    def _is_customer_mail_sent(self, switch):
        """Hook: recall returns have the recall's own notices; a customer without an address gets none."""
        self.ensure_one()
        return bool(self.return_type != "recall" and self.partner_id.email and self.policy_id[switch])

    def _get_customer_mail_author(self):
        """The returns team writes, never the customer (an author is not notified of their own message)."""
        self.ensure_one()
        return (self.user_id or self.policy_id.user_id).partner_id or self.company_id.partner_id

    def _send_customer_mail(self, step):
        """Flag the mail of `step` for the returns whose policy sends it now; the mail cron writes it."""
        switch, _xmlid = self._get_customer_mail_steps()[step]
        orders = self.filtered(lambda o: o._is_customer_mail_sent(switch))
        for order in orders:
            # The flow's bookkeeping, whoever triggered the step (a clerk, the portal, a cron).
            order.sudo().customer_mail_steps = " ".join(filter(None, [order.customer_mail_steps, step]))
        if orders:
            self.env.ref("reverse_logistics.ir_cron_return_customer_mail").sudo()._trigger()

    @api.model
    def _cron_send_customer_mails(self, batch_size=None):
        """Write one batch of flagged customer mails; Odoo's cron runs again at once while some remain.

        Each return's mails and the cleared flag are written together, so a crash writes none of them and
        the next run writes them once. A mail that cannot be rendered is dropped with a note on the return
        for the returns team, instead of holding up every other."""
        batch_size = batch_size or self._CRON_BATCH_SIZE
        orders = self.sudo()
        domain = [("customer_mail_steps", "!=", False)]
        batch = orders.search(domain, order="id", limit=batch_size)
        for order in batch:
            # In the order the customer lives them (a refund at receipt is decided before the receipt's
            # own mail is called for).
            lifecycle = list(self._get_customer_mail_steps())
            steps = sorted(order.customer_mail_steps.split(), key=lifecycle.index)
            try:
                with self.env.cr.savepoint():
                    for step in steps:
                        order._post_customer_mail(step)
                    order.customer_mail_steps = False
            except psycopg2.Error:
                raise  # a concurrent update: the whole run is tried again, nothing lost
            except Exception as error:  # noqa: BLE001 (any rendering error: the note says which)
                _logger.exception("Customer mail of %s could not be written", order.name)
                order.customer_mail_steps = False
                order.message_post(body=self.env._(
                    "The customer mail (%(steps)s) could not be written: %(error)s",
                    steps=", ".join(steps), error=str(error)))
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _post_customer_mail(self, step):
        self.ensure_one()
        _switch, xmlid = self._get_customer_mail_steps()[step]
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if not template:
            return
        # As the system, with no default of any caller's context (a forged default_partner_ids adds no
        # recipient).
        self.sudo().with_context(clean_context(self.env.context)).message_post_with_source(
            template.sudo(), message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self._get_customer_mail_author().id, force_send=False,
            email_layout_xmlid="mail.mail_notification_light",
        )

    # ------------------------------------------------------------------
    # The steps
    # ------------------------------------------------------------------
    def action_submit(self):
        first_time = self.filtered(lambda o: o.state == "draft" and not o.date_submitted)
        res = super().action_submit()
        # Approved at once: the approval mail says it all.
        first_time.filtered(lambda o: o.state == "draft")._send_customer_mail("request_received")
        return res

    def _action_approve(self):
        drafts = self.filtered(lambda o: o.state == "draft")
        res = super()._action_approve()
        drafts.filtered(lambda o: o.state != "draft")._send_customer_mail("approved")
        return res

    def _action_reject(self, reason):
        res = super()._action_reject(reason)
        self._send_customer_mail("rejected")
        return res

    def _on_receipt_done(self):
        waiting = self.filtered(lambda o: not o.date_received)
        res = super()._on_receipt_done()
        waiting.filtered("date_received")._send_customer_mail("goods_received")
        return res

    def _resolve(self, base_field=None):
        before = (self.sudo().credit_note_ids.filtered(lambda m: m.state == "posted"), self.sudo().exchange_order_ids)
        res = super()._resolve(base_field=base_field)
        after = (self.sudo().credit_note_ids.filtered(lambda m: m.state == "posted"), self.sudo().exchange_order_ids)
        # Only what the customer actually gets: a posted credit note or a replacement order.
        if after[0] - before[0] or after[1] - before[1]:
            self._send_customer_mail("resolved")
        return res
