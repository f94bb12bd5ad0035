from collections import defaultdict

from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _get_recall_quarantine_quants(self, lots, company):
        """Stock on hand of these lots that is not yet in its warehouse's quarantine."""
        quants = self.search([
            ("lot_id", "in", lots.ids), ("location_id.usage", "=", "internal"), ("quantity", ">", 0),
            ("company_id", "=", company.id),
        ])
        return quants.filtered(lambda q: q.location_id.warehouse_id
                               and q.location_id != q.location_id.warehouse_id.quarantine_location_id)

    def _recall_move_to_quarantine(self):
        """Move these quants into their warehouse's quarantine for the campaign in the context
        (`recall_campaign_id`). Quants emptied or quarantined meanwhile (by a chunk committed before
        a crash) are skipped, so nothing moves twice."""
        campaign = self.env["recall.campaign"].browse(self.env.context["recall_campaign_id"])
        by_warehouse = defaultdict(lambda: self.browse())
        for quant in self.exists().filtered(lambda q: q.quantity > 0):
            warehouse = quant.location_id.warehouse_id
            if warehouse and quant.location_id != warehouse.quarantine_location_id:
                by_warehouse[warehouse] |= quant
        for warehouse, quants in by_warehouse.items():
            if not warehouse.quarantine_location_id:
                warehouse._create_missing_locations({})
            warehouse._recall_create_quant_transfer(campaign, quants, warehouse.quarantine_location_id)
        return True
