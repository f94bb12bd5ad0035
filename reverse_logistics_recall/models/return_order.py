from odoo import api, fields, models


class ReturnOrder(models.Model):
    _inherit = "return.order"

    recall_campaign_id = fields.Many2one("recall.campaign", string="Recall", index="btree_not_null", readonly=True)
    recall_consignee_id = fields.Many2one("recall.consignee", index="btree_not_null", readonly=True)

    # ------------------------------------------------------------------
    # The recall's return type: its `is_recall` flag, never its code. Its other flags (no window, no
    # restocking fee, no policy rules, no customer match, no auto-approval) are the core's.
    # ------------------------------------------------------------------
    @api.model
    def _get_recall_return_type(self):
        """The `return.type` record of recall returns (data of this addon)."""
        return self.env.ref("reverse_logistics_recall.return_type_recall")

    @api.model
    def _get_recall_return_type_vals(self):
        """The values that make a new return a recall return."""
        return {"return_type_id": self._get_recall_return_type().id}

    def _is_customer_mail_sent(self, switch):
        # Recall returns have the recall's own notices (to the consignee), never the returns' mails.
        if self.return_type_id.is_recall:
            return False
        return super()._is_customer_mail_sent(switch)

    def _get_receipt_location(self):
        # Recalled units go straight to quarantine, never to the triage of resellable returns.
        if self.return_type_id.is_recall:
            warehouse = self.warehouse_id
            if not warehouse.quarantine_location_id:
                warehouse._create_missing_locations({})
            return warehouse.quarantine_location_id
        return super()._get_receipt_location()
