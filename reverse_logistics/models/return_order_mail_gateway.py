import re

from odoo import api, models
from odoo.tools import html2plaintext


class ReturnOrder(models.Model):
    """Returns asked for by e-mail, through a return policy's alias: a draft for the returns team."""

    _inherit = "return.order"

    _MAIL_ORDER_TOKENS_MAX = 200

    @api.model
    def _find_mail_sale_order(self, partner, company, text):
        """A confirmed order of this customer (never another's) whose reference appears in the mail."""
        tokens = list(dict.fromkeys(re.findall(r"[\w/-]{3,40}", text or "")))[: self._MAIL_ORDER_TOKENS_MAX]
        if not tokens or not partner:
            return self.env["sale.order"]
        return self.env["sale.order"].sudo().search([
            ("name", "in", tokens), ("state", "=", "sale"), ("company_id", "=", company.id),
            ("partner_id.commercial_partner_id", "=", partner.commercial_partner_id.id),
        ], order="id desc", limit=1)

    @api.model
    def _prepare_mail_return_vals(self, msg_dict, custom_values):
        company = self.env["res.company"].browse(custom_values.get("company_id")) or self.env.company
        partner = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not partner and msg_dict.get("email_from"):
            # The return needs a customer: an unknown sender becomes a contact the team can merge later.
            partner = self.env["res.partner"].sudo().find_or_create(msg_dict["email_from"])
        body = html2plaintext(msg_dict.get("body") or "").strip()
        sale_order = self._find_mail_sale_order(partner, company, f"{msg_dict.get('subject') or ''}\n{body}")
        vals = {
            # The sequence names it, not the mail's subject.
            "name": "New",
            "partner_id": partner.id,
            "company_id": company.id,
            "return_type": "customer",
            # Plain text, never HTML: shown to the returns team as the customer wrote it.
            "customer_note": body[: self._CUSTOMER_NOTE_MAX_LENGTH] or False,
        }
        if sale_order:
            vals.update(sale_order_id=sale_order.id, warehouse_id=sale_order.warehouse_id.id)
        return vals

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        values.update(self._prepare_mail_return_vals(msg_dict, values))
        # Created by the system on the alias's behalf: whoever wrote has no say on the policy or state.
        return super(ReturnOrder, self.sudo()).message_new(msg_dict, custom_values=values)
