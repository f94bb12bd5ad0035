import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize, html2plaintext
from odoo.tools.misc import clean_context


class ReturnOrder(models.Model):
    """Returns asked for by e-mail, through a return policy's alias: a draft for the returns team.

    Anybody can write to an alias and put any address in `From:`, so what a mail says is a request, never
    a decision: the return is marked as requested by e-mail and waits for a Returns Manager, it is linked
    to an order only when the sender's address is the order's customer's address, and replies from
    anyone but the customer or the returns team stay internal notes that subscribe and notify no one
    outside the team.
    """

    _inherit = "return.order"

    requested_by_mail = fields.Boolean(
        string="Requested by E-mail", readonly=True, copy=False,
        help="Created from a mail to the policy's alias: the sender is not authenticated, so a Returns "
        "Manager approves it, never the policy alone.",
    )

    _MAIL_ORDER_TOKENS_MAX = 200

    @api.model
    def _find_mail_sale_order(self, sender_email, company, text):
        """The confirmed order named in the mail whose customer's address is exactly the sender's."""
        tokens = list(dict.fromkeys(re.findall(r"[\w/-]{3,40}", text or "")))[: self._MAIL_ORDER_TOKENS_MAX]
        if not tokens or not sender_email:
            return self.env["sale.order"]
        orders = self.env["sale.order"].sudo().search([
            ("name", "in", tokens), ("state", "=", "sale"), ("company_id", "=", company.id),
            ("partner_id.email_normalized", "=", sender_email),
        ], order="id desc")
        # email_normalized is stored lower-cased; compare again on the address itself, not on a relative.
        return orders.filtered(lambda o: email_normalize(o.partner_id.email) == sender_email)[:1]

    @api.model
    def _get_mail_sender_email(self, email_from):
        """The sender's normalized address, or False when `email_from` holds none or several."""
        return email_normalize(email_from or "")

    @api.model
    def _get_mail_sender(self, msg_dict):
        """(normalized address, partner) of who sent the mail: the partner the gateway found for the
        address, else a new contact named after the address (never after the display name, which the
        sender chooses freely: `"a@b.example" <evil@c.example>` is evil@c.example)."""
        sender_email = self._get_mail_sender_email(msg_dict.get("email_from"))
        if not sender_email:
            raise UserError(self.env._("A return asked for by e-mail needs one sender's address."))
        partner = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not partner or partner.email_normalized != sender_email:
            # The return needs a customer: an unknown sender becomes a contact the team can merge later.
            partner = self.env["res.partner"].sudo().find_or_create(sender_email)
        return sender_email, partner

    @api.model
    def _prepare_mail_return_vals(self, msg_dict, custom_values):
        company = self.env["res.company"].browse(custom_values.get("company_id")) or self.env.company
        sender_email, partner = self._get_mail_sender(msg_dict)
        body = html2plaintext(msg_dict.get("body") or "").strip()
        sale_order = self._find_mail_sale_order(sender_email, company, f"{msg_dict.get('subject') or ''}\n{body}")
        vals = {
            # The sequence names it, not the mail's subject.
            "name": "New",
            "partner_id": partner.id,
            "company_id": company.id,
            "return_type": "customer",
            "requested_by_mail": True,
            # Plain text, never HTML: shown to the returns team as the customer wrote it.
            "customer_note": body[: self._CUSTOMER_NOTE_MAX_LENGTH] or False,
        }
        if sale_order:
            vals.update(partner_id=sale_order.partner_id.id, sale_order_id=sale_order.id,
                        warehouse_id=sale_order.warehouse_id.id)
        return vals

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # The mail gateway runs as the superuser; over RPC this would let anyone create a return with any
        # values as the system.
        if not self.env.su:
            raise AccessError(self.env._("Returns by e-mail are created by the mail gateway only."))
        # message_process is public: its caller's context defaults must not fill the return.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        values = dict(custom_values or {})
        values.update(self._prepare_mail_return_vals(msg_dict, values))
        # The mail is posted on the new return with this author (so a new contact follows their return).
        msg_dict["author_id"] = values["partner_id"]
        return super().message_new(msg_dict, custom_values=values)

    def _is_auto_approvable(self):
        # Whoever can write to the alias can put a customer's address in From: a person decides.
        return not self.requested_by_mail and super()._is_auto_approvable()

    # ------------------------------------------------------------------
    # Replies into the return's thread
    # ------------------------------------------------------------------
    def _is_customer_or_team(self, partner):
        """The return's customer (a contact of its commercial partner) or an internal user."""
        self.ensure_one()
        partner = partner.sudo()
        return bool(partner) and (
            partner.commercial_partner_id == self.sudo().commercial_partner_id
            or any(not user.share for user in partner.with_context(active_test=False).user_ids))

    def _is_team_member(self, partner):
        """An internal user's contact (and not the return's customer's)."""
        self.ensure_one()
        partner = partner.sudo()
        return bool(partner) and partner.commercial_partner_id != self.sudo().commercial_partner_id \
            and any(not user.share for user in partner.with_context(active_test=False).user_ids)

    def _prepare_untrusted_post_values(self, kwargs):
        """What a message by someone else becomes: an internal note, notifying the return's responsible
        when it came by mail, and nobody outside the returns team."""
        self.ensure_one()
        values = dict(kwargs, subtype_xmlid="mail.mt_note", subtype_id=False, is_internal=True, partner_ids=[])
        responsible = self.sudo().user_id
        if kwargs.get("message_type") == "email" and responsible and not responsible.share:
            values["partner_ids"] = responsible.partner_id.ids
        return values

    def message_post(self, **kwargs):
        if len(self) == 1:
            author_id, email_from = self._message_compute_author(
                kwargs.get("author_id"), kwargs.get("email_from"), raise_on_email=False)
            author = self.env["res.partner"].browse(author_id)
            if kwargs.get("message_type") == "email" and author \
                    and author.sudo().email_normalized != self._get_mail_sender_email(email_from):
                # A mail counts as its author's only when From: is that address and nothing else.
                author = author.browse()
            if not self._is_customer_or_team(author):
                # Never subscribed (the gateway subscribes a known author), never relayed to the customer.
                kwargs = self._prepare_untrusted_post_values(kwargs)
                self = self.with_context(mail_create_nosubscribe=True)  # noqa: PLW0642
            elif kwargs.get("message_type") == "email" and self._is_team_member(author):
                # Anybody can put an employee's address in From:. A mail in the team's name would reach the
                # customer from the company's own server: it is logged for the team, who write to the
                # customer from the chatter, where Odoo knows who writes.
                kwargs = self._prepare_untrusted_post_values(kwargs)
        return super().message_post(**kwargs)
