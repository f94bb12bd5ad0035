from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class ReturnLabelPortal(CustomerPortal):

    @http.route(["/my/returns/<int:return_id>/label/<int:label_id>"], type="http", auth="public",
                website=True, readonly=True)
    def portal_return_label(self, return_id, label_id, access_token=None, **kw):
        """The carrier's return label of the customer's own return (or of the holder of its access token)."""
        try:
            order = self._document_check_access("return.order", return_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        # The label lives on the receipt, which the customer may not read: served once the return is theirs.
        label = order.sudo().return_label_ids.filtered(lambda a: a.id == label_id)
        if not label:
            return request.redirect(order.access_url + (f"?access_token={access_token}" if access_token else ""))
        return request.env["ir.binary"]._get_stream_from(label).get_response(as_attachment=True)
