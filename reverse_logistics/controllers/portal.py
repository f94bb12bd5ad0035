from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class ReturnPortal(CustomerPortal):
    """Customers follow their returns on the portal: list and detail, read-only."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "return_count" in counters:
            values["return_count"] = request.env["return.order"].search_count([]) \
                if request.env["return.order"].has_access("read") else 0
        return values

    @http.route(["/my/returns", "/my/returns/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_returns(self, page=1, **kw):
        return_orders = request.env["return.order"]
        count = return_orders.search_count([])
        pager = portal_pager(url="/my/returns", total=count, page=page, step=self._items_per_page)
        returns = return_orders.search([], order="date_request desc", limit=self._items_per_page,
                                     offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update({"returns": returns, "pager": pager, "page_name": "returns", "default_url": "/my/returns"})
        return request.render("reverse_logistics.portal_my_returns", values)

    @http.route(["/my/returns/<int:return_id>"], type="http", auth="public", website=True)
    def portal_return_page(self, return_id, access_token=None, **kw):
        try:
            order = self._document_check_access("return.order", return_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update({"return_order": order, "page_name": "return", "access_token": access_token})
        return request.render("reverse_logistics.portal_return_page", values)
