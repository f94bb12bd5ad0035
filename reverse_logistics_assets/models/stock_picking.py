from collections import defaultdict

from odoo import Command, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def action_confirm(self):
        res = super().action_confirm()
        # Deliveries from a sale order get their assets as order lines (deposits invoiced with the goods).
        self.filtered(lambda p: p.picking_type_code == "outgoing" and not p.sale_id)._add_returnable_asset_moves()
        return res

    def _get_required_assets(self):
        """{asset type: quantity} the goods of this picking travel on."""
        self.ensure_one()
        required = defaultdict(int)
        # Which assets a product travels on is configuration: read it whatever the user's rights.
        for move in self.move_ids.filtered(lambda m: m.state != "cancel").sudo():
            for rule in move.product_id.product_tmpl_id.returnable_asset_ids:
                required[rule.asset_type_id] += rule._get_asset_quantity(move.product_uom_qty)
        return required

    def _add_returnable_asset_moves(self):
        for picking in self.filtered(lambda p: p.location_dest_id.usage == "customer"):
            existing = defaultdict(float)
            for move in picking.move_ids.filtered(lambda m: m.state != "cancel"):
                existing[move.product_id] += move.product_uom_qty
            commands = []
            for asset_type, qty in picking._get_required_assets().items():
                missing = qty - existing[asset_type.product_id]
                if missing > 0:
                    commands.append(Command.create({
                        "name": asset_type.name,
                        "product_id": asset_type.product_id.id,
                        "product_uom": asset_type.product_id.uom_id.id,
                        "product_uom_qty": missing,
                        "location_id": picking.location_id.id,
                        "location_dest_id": picking.location_dest_id.id,
                        "asset_auto": True,
                    }))
            if commands:
                picking.move_ids = commands
                picking.move_ids.filtered(lambda m: m.state == "draft")._action_confirm()
