import re
from datetime import timedelta

from odoo import api, fields, models


class ReturnGuestAttempt(models.Model):
    """Failed look-ups of the public guest-return page, per client IP, to rate-limit guessing.

    Kept in the database rather than in memory so that every worker sees the same count. It holds no
    company data (an IP and a time), so it has no company; only the system reads and writes it.
    """

    _name = "return.guest.attempt"
    _description = "Guest Return Look-up Attempt"
    _order = "id desc"

    ip_address = fields.Char(required=True, index=True)

    _MAX_FAILURES = 10
    _WINDOW = timedelta(hours=1)

    @api.model
    def _is_blocked(self, ip_address):
        since = fields.Datetime.now() - self._WINDOW
        return self.sudo().search_count(
            [("ip_address", "=", ip_address), ("create_date", ">=", since)]) >= self._MAX_FAILURES

    @api.model
    def _log_failure(self, ip_address):
        self.sudo().create({"ip_address": ip_address})

    @api.autovacuum
    def _gc_old_attempts(self):
        self.sudo().search([("create_date", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()

    # ------------------------------------------------------------------
    # Matching an order
    # ------------------------------------------------------------------
    @api.model
    def _normalize_zip(self, value):
        return re.sub(r"[\s-]", "", value or "").upper()

    @api.model
    def _find_guest_order(self, reference, contact):
        """The confirmed sale order named `reference` whose customer's e-mail or postal code is `contact`;
        an empty recordset on any mismatch, so the caller cannot tell what was wrong."""
        orders = self.env["sale.order"]
        reference, contact = (reference or "").strip(), (contact or "").strip()
        if not reference or not contact or len(reference) > 64 or len(contact) > 254:
            return orders
        # Exact (case-insensitive) reference only: no wildcard may widen the match.
        candidates = orders.sudo().search([("name", "=ilike", reference.replace("%", "").replace("_", r"\_")),
                                           ("state", "=", "sale")])
        for order in candidates:
            partners = order.partner_id | order.partner_invoice_id | order.partner_shipping_id
            emails = {(p.email or "").strip().lower() for p in partners} - {""}
            zips = {self._normalize_zip(p.zip) for p in partners} - {""}
            if contact.lower() in emails or self._normalize_zip(contact) in zips:
                return order
        return orders
