from odoo import http
from odoo.addons.reverse_logistics.controllers.portal import ReturnPortal
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request


class BrandReturnPortal(ReturnPortal):
    """The brand's portal user sees the photos of the gradings of its goods, its figures, and decides on
    the dispositions that wait for its approval."""

    @http.route()
    def portal_my_returns(self, page=1, **kw):
        response = super().portal_my_returns(page=page, **kw)
        user = request.env.user
        if user._is_portal() and user.has_group("reverse_logistics_3pl.group_brand_portal") \
                and request.env["return.order"].search_count(
                [("client_id", "!=", False), ("client_id", "child_of", user.partner_id.commercial_partner_id.id)],
                limit=1):
            response.qcontext["brand_report"] = request.env["return.order"]._get_brand_portal_report(user)
        return response

    @http.route(["/my/returns/<int:return_id>/grading-photo/<int:attachment_id>"], type="http", auth="user",
                website=True, readonly=True)
    def portal_return_grading_photo(self, return_id, attachment_id, **kw):
        try:
            order = self._document_check_access("return.order", return_id)
        except (AccessError, MissingError):
            return request.not_found()
        user = request.env.user
        # The photo must be one of this return's gradings, read by the brand itself through its rules:
        # no other attachment is served as the system.
        gradings = order._get_brand_portal_gradings(user)
        # ...and a photo taken of that grading (its own attachment), never another document's file linked to it.
        # A stored image only: a URL attachment would redirect the brand to wherever it points.
        photo = gradings.sudo().attachment_ids.filtered(
            lambda a: a.id == attachment_id and a.res_model == "return.grading" and a.res_id in gradings.ids
            and a.type == "binary" and (a.mimetype or "").startswith("image/"))
        if not photo:
            return request.not_found()
        return request.env["ir.binary"]._get_stream_from(photo).get_response()

    @http.route(["/my/returns/<int:return_id>/grading/<int:grading_id>/<any(approve,refuse):decision>"],
                type="http", auth="user", methods=["POST"], website=True)
    def portal_return_brand_decision(self, return_id, grading_id, decision, note="", **kw):
        """The brand approves or refuses a disposition of its goods (Odoo checks the form's CSRF token)."""
        try:
            order = self._document_check_access("return.order", return_id)
        except (AccessError, MissingError):
            return request.not_found()
        user = request.env.user
        # Found among the visitor's own gradings through his record rules: another brand's id is not found.
        grading = order._get_brand_portal_gradings(user).filtered(lambda g: g.id == grading_id)
        if not grading:
            return request.not_found()
        try:
            with request.env.cr.savepoint():
                grading.sudo()._brand_decide(user, decision == "approve", note=note if isinstance(note, str) else "")
        except (UserError, ValidationError) as exc:
            values = self._prepare_portal_layout_values()
            values.update({"return_order": order, "page_name": "return", "error": exc.args[0]})
            return request.render("reverse_logistics.portal_return_page", values)
        return request.redirect(f"/my/returns/{order.id}")
