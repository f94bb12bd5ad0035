from odoo import http
from odoo.http import request


class GuestReturn(http.Controller):
    """Customers without a portal account find their order with its reference and their e-mail or postal
    code, then ask for a return through the order's access token, like a portal customer."""

    def _get_guest_neutral_message(self):
        # One message for every mismatch: it must not tell whether the order or the contact was wrong.
        return request.env._("We could not find an order with these details. Check the order reference "
                             "and use the e-mail address or postal code of the order.")

    @http.route("/returns/guest", type="http", auth="public", methods=["GET", "POST"], website=True)
    def guest_return(self, reference=None, contact=None, **kw):
        attempts = request.env["return.guest.attempt"]
        ip_address = request.httprequest.remote_addr or "unknown"
        error = None
        if request.httprequest.method == "POST":
            if attempts._is_blocked(ip_address):
                error = request.env._("Too many attempts. Please try again in an hour.")
            else:
                order = attempts._find_guest_order(reference, contact)
                if order:
                    return request.redirect(f"/my/orders/{order.id}/return?access_token={order._portal_ensure_token()}")
                attempts._log_failure(ip_address)
                error = self._get_guest_neutral_message()
        return request.render("reverse_logistics.guest_return_page", {
            "error": error, "reference": reference or "", "contact": contact or "",
        })
