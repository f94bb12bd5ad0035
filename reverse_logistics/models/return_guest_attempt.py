import re
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, consteq
from odoo.tools.misc import hmac
from odoo.tools.sql import escape_psql


class ReturnGuestAttempt(models.Model):
    """Look-ups of the public guest-return page per client IP and hour, to rate-limit guessing, and the
    signed capability a successful look-up hands out.

    One counter row per IP and hour, kept in the database rather than in memory so that every worker
    sees the same count, and updated with one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`
    in a transaction of its own before the look-up is evaluated: parallel requests from one IP each get
    their own count, so no more than `_MAX_FAILURES` of them are ever evaluated in an hour. It holds no
    company data (an IP, an hour, a count), so it has no company; only the system reads and writes it.
    """

    _name = "return.guest.attempt"
    _description = "Guest Return Look-up Attempts"
    _order = "hour desc, id desc"

    ip_address = fields.Char(required=True, index=True)
    hour = fields.Datetime(required=True, help="The hour (UTC) the look-ups were made in.")
    count = fields.Integer(help="Look-ups evaluated or refused in that hour, successful ones excepted.")

    _sql_constraints = [
        ("ip_hour_uniq", "unique(ip_address, hour)", "One counter per client IP and hour."),
    ]

    _MAX_FAILURES = 10
    # The capability of a successful look-up: asking for a return of that order, for a while.
    _GUEST_TOKEN_SCOPE = "reverse_logistics.guest_return_request"
    _GUEST_TOKEN_LIFETIME = timedelta(hours=2)

    # ------------------------------------------------------------------
    # Rate limit
    # ------------------------------------------------------------------
    @api.model
    def _get_current_hour(self):
        return fields.Datetime.now().replace(minute=0, second=0, microsecond=0)

    @api.model
    def _update_count(self, cr, ip_address, hour, delta=1, isolate=True):
        """Add `delta` to the counter of (`ip_address`, `hour`) on `cr` and return the new count.

        `cr` must be a transaction of its own: with `isolate`, it is read committed, so that a concurrent
        update waits for the other transaction and adds to what it committed (Odoo's repeatable read
        would fail with a serialization error instead)."""
        if isolate:
            cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
        cr.execute(SQL(
            """INSERT INTO return_guest_attempt (ip_address, hour, count, create_date, write_date)
               VALUES (%(ip)s, %(hour)s, GREATEST(%(delta)s, 0), %(now)s, %(now)s)
               ON CONFLICT (ip_address, hour) DO UPDATE
               SET count = GREATEST(return_guest_attempt.count + %(delta)s, 0), write_date = %(now)s
               RETURNING count""",
            ip=ip_address, hour=hour, delta=delta, now=fields.Datetime.now(),
        ))
        return cr.fetchone()[0]

    @api.model
    def _count_attempt(self, ip_address, delta=1):
        """Count a look-up of `ip_address` (`delta`=-1: take back a successful one) and return the
        count of the hour; committed at once, whatever the request does next."""
        # In tests every cursor shares the test's transaction: there is nothing to isolate there.
        isolate = not self.env.registry.in_test_mode()
        with self.env.registry.cursor() as cr:
            return self._update_count(cr, ip_address, self._get_current_hour(), delta=delta, isolate=isolate)

    @api.model
    def _register_look_up(self, ip_address):
        """Count one look-up before it is evaluated; False when the IP used its guesses of the hour."""
        return self._count_attempt(ip_address) <= self._MAX_FAILURES

    @api.model
    def _forget_look_up(self, ip_address):
        """A look-up that found the order was no guess: it does not count."""
        self._count_attempt(ip_address, delta=-1)

    @api.autovacuum
    def _gc_old_attempts(self):
        self.sudo().search(["|", ("hour", "=", False),
                            ("hour", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()

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
        if not isinstance(reference, str) or not isinstance(contact, str):
            return orders
        reference, contact = reference.strip(), contact.strip()
        if not reference or not contact or len(reference) > 64 or len(contact) > 254 \
                or "\x00" in reference + contact:
            return orders
        # Exact (case-insensitive) reference only: wildcards and the escape character match themselves.
        candidates = orders.sudo().search([("name", "=ilike", escape_psql(reference)), ("state", "=", "sale")])
        for order in candidates:
            partners = order.partner_id | order.partner_invoice_id | order.partner_shipping_id
            emails = {(p.email or "").strip().lower() for p in partners} - {""}
            zips = {self._normalize_zip(p.zip) for p in partners} - {""}
            if contact.lower() in emails or self._normalize_zip(contact) in zips:
                return order
        return orders

    # ------------------------------------------------------------------
    # The guest's capability: ask for a return of one order, for a while
    # ------------------------------------------------------------------
    @api.model
    def _sign_guest_token(self, order, expiry):
        return hmac(self.env(su=True), self._GUEST_TOKEN_SCOPE, (order.id, expiry))

    @api.model
    def _get_guest_token(self, order):
        """A token that lets its holder ask for a return of `order` (and nothing else of it: not its
        page, invoices or chatter, which the order's own access token opens) until it expires."""
        expiry = int(time.time() + self._GUEST_TOKEN_LIFETIME.total_seconds())
        return f"{expiry}.{self._sign_guest_token(order, expiry)}"

    @api.model
    def _check_guest_token(self, order, token):
        """Whether `token` is a valid, unexpired guest token of `order`."""
        if not order or not isinstance(token, str) or len(token) > 128:
            return False
        expiry, _dot, signature = token.partition(".")
        if not re.fullmatch(r"[0-9]{1,12}", expiry) or int(expiry) < time.time():
            return False
        return consteq(signature, self._sign_guest_token(order, int(expiry)))
