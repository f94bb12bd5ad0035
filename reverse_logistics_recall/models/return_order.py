from odoo import api, fields, models

# The value this addon adds to the return types (its `return.type` record has it as code).
RECALL_RETURN_TYPE = "recall"


class ReturnOrder(models.Model):
    _inherit = "return.order"

    return_type = fields.Selection(selection_add=[(RECALL_RETURN_TYPE, "Recall")],
                                   ondelete={RECALL_RETURN_TYPE: "set default"})
    recall_campaign_id = fields.Many2one("recall.campaign", string="Recall", index="btree_not_null", readonly=True)
    recall_consignee_id = fields.Many2one("recall.consignee", index="btree_not_null", readonly=True)

    # ------------------------------------------------------------------
    # The recall's return type: named here only. The recall creates its returns with
    # `_get_recall_return_type_vals()` and asks `_is_recall_return()`; the core's decisions about a recall
    # return go through the hooks below, so the core need not know the value.
    # ------------------------------------------------------------------
    @api.model
    def _get_recall_return_type(self):
        """The `return.type` record of recall returns (data of this addon)."""
        return self.env.ref("reverse_logistics_recall.return_type_recall")

    @api.model
    def _get_recall_return_type_vals(self):
        """The values that make a new return a recall return (one place to change when the core's type
        becomes a configurable record)."""
        return {"return_type": self._get_recall_return_type().code}

    def _is_recall_return(self):
        # The value, not the record: asked per unit in batches (env.ref costs a query per call).
        self.ensure_one()
        return self.return_type == RECALL_RETURN_TYPE

    def _is_customer_mail_sent(self, switch):
        # Recall returns have the recall's own notices (to the consignee), never the returns' mails.
        if self._is_recall_return():
            return False
        return super()._is_customer_mail_sent(switch)

    def _is_restocking_fee_charged(self):
        # The consignee returns what the company recalls: it never pays for restocking.
        if self._is_recall_return():
            return False
        return super()._is_restocking_fee_charged()

    def _get_receipt_location(self):
        # Recalled units go straight to quarantine, never to the triage of resellable returns.
        if self._is_recall_return():
            warehouse = self.warehouse_id
            if not warehouse.quarantine_location_id:
                warehouse._create_missing_locations({})
            return warehouse.quarantine_location_id
        return super()._get_receipt_location()
