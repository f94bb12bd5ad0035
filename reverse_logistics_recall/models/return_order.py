from odoo import fields, models


class ReturnOrder(models.Model):
    _inherit = "return.order"

    return_type = fields.Selection(selection_add=[("recall", "Recall")], ondelete={"recall": "set default"})
    recall_campaign_id = fields.Many2one("recall.campaign", string="Recall", index="btree_not_null", readonly=True)
    recall_consignee_id = fields.Many2one("recall.consignee", index="btree_not_null", readonly=True)

    def _get_receipt_location(self):
        # Recalled units go straight to quarantine, never to the triage of resellable returns.
        if self.return_type == "recall":
            warehouse = self.warehouse_id
            if not warehouse.quarantine_location_id:
                warehouse._create_missing_locations({})
            return warehouse.quarantine_location_id
        return super()._get_receipt_location()
