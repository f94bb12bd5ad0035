from odoo import http
from odoo.http import content_disposition, request

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RecallFsmaExport(http.Controller):
    """The FSMA 204 spreadsheet, built from the database on each download and sent as the response:
    nothing is stored (an attachment per click used to pile up). Read-only: it may run on a replica.
    Under /web/content/ with Odoo's other downloads."""

    @http.route("/web/content/recall_fsma204/<int:campaign_id>", type="http", auth="user", methods=["GET"],
                readonly=True)
    def recall_fsma204(self, campaign_id, **kw):
        # One answer for a recall that does not exist and one the user may not read: the ids of other
        # companies' recalls are not told.
        campaign = request.env["recall.campaign"].search([("id", "=", campaign_id)])
        if not campaign:
            raise request.not_found()
        content = campaign._get_fsma_xlsx()
        return request.make_response(content, headers=[
            ("Content-Type", XLSX),
            ("Content-Length", len(content)),
            ("Content-Disposition", content_disposition(campaign._get_fsma_filename())),
        ])
