from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request


class RecallPortal(CustomerPortal):
    """Consignees answer a recall notice: acknowledge, units held, remedy. Access by token or login."""

    def _recall_consignee(self, consignee_id, access_token):
        consignee = self._document_check_access("recall.consignee", consignee_id, access_token=access_token)
        # The token path reads as the system: the same limit as the portal's record rule.
        campaign = consignee.sudo().campaign_id
        if campaign.is_mock or campaign.state not in ("active", "monitoring", "closed"):
            raise MissingError(request.env._("This recall notice does not exist."))
        return consignee

    @http.route("/my/recall/<int:consignee_id>", type="http", auth="public", website=True, methods=["GET"],
                readonly=True)
    def recall_notice(self, consignee_id, access_token=None, message=None, **kw):
        try:
            consignee = self._recall_consignee(consignee_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        return self._render_notice(consignee, access_token, message=message)

    def _render_notice(self, consignee, access_token, message=None, error=None):
        return request.render("reverse_logistics_recall.portal_recall_notice", {
            "consignee": consignee,
            "campaign": consignee.campaign_id,
            "access_token": access_token,
            "message": message,
            "error": error,
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
            units = consignee._parse_units_held(units_held)
            remedy = consignee._parse_remedy(remedy_id)
            with request.env.cr.savepoint():
                consignee._register_response(units, remedy, note)
        except UserError as exc:
            return self._render_notice(consignee, access_token, error=exc.args[0])
        return request.redirect(f"/my/recall/{consignee.id}?access_token={access_token or ''}&message=thanks")
