from odoo import models


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    def _get_triage_location(self):
        # A recall return is graded in quarantine; once its recall released the quarantine with its retrieved
        # units to grading, they wait in the warehouse's triage with the other returns.
        order = self.order_id
        campaign = order.recall_campaign_id
        if order.return_type_id.is_recall and campaign.date_released and campaign.retrieved_disposition == "grade":
            return order.warehouse_id.return_location_id
        return super()._get_triage_location()
