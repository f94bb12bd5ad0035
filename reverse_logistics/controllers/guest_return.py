from odoo import http
from odoo.http import request

from .portal import ReturnPortal


class GuestReturn(ReturnPortal):
    """Customers without a portal account find their order with its reference and their e-mail or postal
    code, then ask for a return of it with a signed, expiring capability: never the order's access token,
    which would open the order's page, invoices and chatter. The return they create is then followed with
    the return's own token, as the customer mails do."""

    def _get_guest_neutral_message(self):
        # One message for every mismatch: it must not tell whether the order or the contact was wrong.
        return request.env._("We could not find an order with these details. Check the order reference "
                             "and use the e-mail address or postal code of the order.")

    def _render_guest_look_up(self, error=None, reference="", contact=""):
        return request.render("reverse_logistics.guest_return_page", {
            "error": error, "reference": reference if isinstance(reference, str) else "",
            "contact": contact if isinstance(contact, str) else "",
        })

    @http.route("/returns/guest", type="http", auth="public", methods=["GET", "POST"], website=True)
    def guest_return(self, reference=None, contact=None, **kw):
        if request.httprequest.method != "POST":
            return self._render_guest_look_up()
        attempts = request.env["return.guest.attempt"]
        ip_address = request.httprequest.remote_addr or "unknown"
        # Counted before it is evaluated, in a transaction of its own: parallel guesses each get a count.
        if not attempts._register_look_up(ip_address):
            return self._render_guest_look_up(
                request.env._("Too many attempts. Please try again in an hour."), reference, contact)
        order = attempts._find_guest_order(reference, contact)
        if not order:
            return self._render_guest_look_up(self._get_guest_neutral_message(), reference, contact)
        attempts._forget_look_up(ip_address)
        return request.redirect(f"/returns/guest/{order.id}?token={attempts._get_guest_token(order)}")

    @http.route("/returns/guest/<int:order_id>", type="http", auth="public", methods=["GET", "POST"],
                website=True)
    def guest_return_request(self, order_id, token=None, **post):
        attempts = request.env["return.guest.attempt"]
        order = request.env["sale.order"].sudo().browse(order_id if 0 < order_id < 2**31 else 0).exists()
        if not attempts._check_guest_token(order, token) or order.state != "sale":
            return self._render_guest_look_up(request.env._(
                "This link is no longer valid: find your order again."))
        self._use_customer_lang(order.partner_id)
        # The form posts back to this URL, token included.
        return self._return_request_page(order, post, guest_token=token)
