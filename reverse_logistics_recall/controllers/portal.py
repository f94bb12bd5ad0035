from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request


class RecallPortal(CustomerPortal):
    """Consignees answer a recall notice: acknowledge, units held, remedy. Access by token or login."""

    def _recall_consignee(self, consignee_id, access_token):
        return self._document_check_access("recall.consignee", consignee_id, access_token=access_token)

    @http.route("/my/recall/<int:consignee_id>", type="http", auth="public", website=True, methods=["GET"])
    def recall_notice(self, consignee_id, access_token=None, message=None, **kw):
        try:
            consignee = self._recall_consignee(consignee_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return request.render("reverse_logistics_recall.portal_recall_notice", {
            "consignee": consignee,
            "campaign": consignee.campaign_id,
            "access_token": access_token,
            "message": message,
            "page_name": "recall",
        })

    @http.route("/my/recall/<int:consignee_id>/answer", type="http", auth="public", website=True,
                methods=["POST"])
    def recall_answer(self, consignee_id, access_token=None, units_held="0", remedy_id=None, note=None, **kw):
        try:
            consignee = self._recall_consignee(consignee_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            units = float(units_held or 0)
            remedy = consignee.campaign_id.remedy_ids.filtered(lambda r: str(r.id) == str(remedy_id))
            consignee._register_response(units, remedy, note)
            message = "thanks"
        except (ValueError, UserError):
            message = "invalid"
        return request.redirect(f"/my/recall/{consignee.id}?access_token={access_token or ''}&message={message}")
