from odoo import fields, models


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _update_asset_lifecycle(self):
        """Follow each serialized asset: out to a customer, back (cleaning, repair), retired."""
        now = fields.Datetime.now()
        for line in self.filtered(lambda ml: ml.lot_id and ml.state == "done"):
            lot = line.lot_id
            partner = (line.picking_id.partner_id or line.move_id.partner_id).commercial_partner_id
            src, dst = line.location_id.usage, line.location_dest_id.usage
            if dst == "customer" and src != "customer":
                lot.write({"asset_state": "at_customer", "asset_trip_count": lot.asset_trip_count + 1,
                           "asset_last_partner_id": partner.id, "asset_last_seen_date": now})
            elif src == "customer" and dst in ("internal", "transit"):
                condition = line.move_id.asset_condition or "good"
                state = {"good": "cleaning", "repair": "repair", "scrap": "retired"}[condition]
                lot.write({"asset_state": state, "asset_last_seen_date": now})
            elif src == "customer" or dst == "inventory":
                lot.write({"asset_state": "retired", "asset_last_seen_date": now})
            elif not lot.asset_state:
                lot.asset_state = "available"
