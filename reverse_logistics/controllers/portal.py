import math

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request


class ReturnPortal(CustomerPortal):
    """Customers follow their returns on the portal and ask for new ones from their orders."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "return_count" in counters:
            values["return_count"] = request.env["return.order"].search_count([]) \
                if request.env["return.order"].has_access("read") else 0
        return values

    @staticmethod
    def _use_customer_lang(partner):
        """A visitor who is not logged in opens a customer's link (the token link of a customer mail):
        the page speaks the customer's language, as the mail did, unless the visitor chose a language on
        the site (Odoo's frontend_lang cookie). A logged-in user reads their own language."""
        if not request.env.user._is_public() or request.httprequest.cookies.get("frontend_lang"):
            return
        lang = partner.sudo().lang
        if lang and lang in dict(request.env["res.lang"].get_installed()):
            request.update_context(lang=lang)

    @http.route(["/my/returns", "/my/returns/page/<int:page>"], type="http", auth="user", website=True, readonly=True)
    def portal_my_returns(self, page=1, **kw):
        return_orders = request.env["return.order"]
        count = return_orders.search_count([])
        pager = portal_pager(url="/my/returns", total=count, page=page, step=self._items_per_page)
        returns = return_orders.search([], order="date_request desc", limit=self._items_per_page,
                                     offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update({"returns": returns, "pager": pager, "page_name": "returns", "default_url": "/my/returns"})
        return request.render("reverse_logistics.portal_my_returns", values)

    @http.route(["/my/returns/<int:return_id>"], type="http", auth="public", website=True, readonly=True)
    def portal_return_page(self, return_id, access_token=None, **kw):
        try:
            order = self._document_check_access("return.order", return_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        self._use_customer_lang(order.partner_id)
        values = self._prepare_portal_layout_values()
        values.update({"return_order": order, "page_name": "return", "access_token": access_token})
        return request.render("reverse_logistics.portal_return_page", values)

    @http.route(["/my/orders/<int:order_id>/return"], type="http", auth="public", methods=["GET", "POST"],
                website=True)
    def portal_return_request(self, order_id, access_token=None, **post):
        try:
            sale_order = self._document_check_access("sale.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        self._use_customer_lang(sale_order.partner_id)
        return self._return_request_page(sale_order, post, access_token=access_token)

    @staticmethod
    def _parse_return_request(post):
        """(quantities by candidate key, reason) from the request form; ValueError on a quantity that is no
        number, UserError on a reason that is none of the list."""
        quantities = {name[4:]: float(value or 0.0) for name, value in post.items() if name.startswith("qty_")}
        if not all(math.isfinite(qty) for qty in quantities.values()):
            raise ValueError
        reason_id = post.get("reason_id") or "0"
        reason = request.env["return.reason"].sudo()
        if isinstance(reason_id, str) and reason_id.isascii() and reason_id.isdigit() and len(reason_id) < 10:
            reason = reason.browse(int(reason_id)).exists()
        if not reason and reason_id != "0":
            raise UserError(request.env._("Choose the reason for the return from the list."))
        return quantities, reason

    def _return_request_page(self, sale_order, post, **values):
        """The request form of `sale_order`, which the caller checked the visitor may ask a return of,
        and its submission: the return is created and the visitor goes to its page (with its token)."""
        # The customer has no rights on returns: the model checks quantities and the policy decides.
        returns = request.env["return.order"].sudo()
        error = None
        if request.httprequest.method == "POST":
            try:
                quantities, reason = self._parse_return_request(post)
                photos = [(photo.filename or "photo", photo.read())
                          for photo in request.httprequest.files.getlist("photos") if photo.filename]
                with request.env.cr.savepoint():
                    return_order = returns._create_from_portal_with_photos(
                        sale_order, quantities, reason, post.get("note"), post.get("resolution") or "refund",
                        photos=photos)
                return request.redirect(return_order.get_portal_url())
            except ValueError:
                error = request.env._("Quantities must be numbers.")
            except (UserError, ValidationError) as exc:
                error = exc.args[0]
        values = {**self._prepare_portal_layout_values(), "access_token": None, **values}
        values.update({
            "sale_order": sale_order, "candidates": returns._get_portal_candidates(sale_order), "error": error,
            "post": post, "page_name": "return_request",
            "reasons": request.env["return.reason"].sudo().search([]),
            "resolutions": returns._get_portal_resolutions(),
        })
        return request.render("reverse_logistics.portal_return_request", values)

    @http.route(["/my/returns/<int:return_id>/slip"], type="http", auth="public", website=True, readonly=True)
    def portal_return_slip(self, return_id, access_token=None, download=False, **kw):
        """The return slip PDF of the customer's own return (or of the holder of its access token)."""
        try:
            order = self._document_check_access("return.order", return_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if order.state not in order._get_slip_states():
            # Not get_portal_url(): it may write a token, and this route runs on the read-only cursor.
            return request.redirect(order.access_url + (f"?access_token={access_token}" if access_token else ""))
        return self._show_report(model=order, report_type="pdf",
                                 report_ref="reverse_logistics.action_report_return_slip", download=download)

    @http.route(["/my/returns/<int:return_id>/cancel"], type="http", auth="public", methods=["POST"], website=True)
    def portal_return_cancel(self, return_id, access_token=None, **kw):
        """The customer withdraws a request before anything was received or credited."""
        try:
            order = self._document_check_access("return.order", return_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        self._use_customer_lang(order.partner_id)
        try:
            with request.env.cr.savepoint():
                order._action_cancel_by_customer()
        except UserError as exc:
            values = self._prepare_portal_layout_values()
            values.update({"return_order": order, "page_name": "return", "access_token": access_token,
                           "error": exc.args[0]})
            return request.render("reverse_logistics.portal_return_page", values)
        return request.redirect(order.get_portal_url())
