from odoo import http
from odoo.addons.reverse_logistics.controllers.portal import ReturnPortal
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class BrandReturnPortal(ReturnPortal):
    """The brand's portal user sees the photos of the gradings of its goods."""

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
        photo = gradings.sudo().attachment_ids.filtered(lambda a: a.id == attachment_id)
        if not photo:
            return request.not_found()
        return request.env["ir.binary"]._get_stream_from(photo).get_response()
