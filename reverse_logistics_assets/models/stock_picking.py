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

    def _action_done(self):
        res = super()._action_done()
        self._after_asset_moves_done()
        return res

    def _after_asset_moves_done(self):
        asset_types = self.env["returnable.asset.type"]._get_by_product(self.move_ids.product_id)
        if not asset_types:
            return
        asset_moves = self.move_ids.filtered(lambda m: m.state == "done" and m.product_id in asset_types)
        if not asset_moves:
            return
        # Lifecycles and balances are rebuilt from the moves by the system, whoever validated them.
        asset_moves.move_line_ids.sudo()._update_asset_lifecycle()
        partners = (self.partner_id | asset_moves.partner_id).commercial_partner_id
        types = self.env["returnable.asset.type"].sudo().browse([t.id for t in asset_types.values()])
        balances = self.env["returnable.asset.balance"]._recompute(partners, types)
        # Deposits come back for what came back (never more than was charged).
        returned = asset_moves.filtered(lambda m: m.location_id.usage == "customer" and not m.asset_surplus
                                        and not m.to_refund)
        if returned and not self.env.context.get("asset_no_deposit_refund"):
            returned_types = {asset_types[m.product_id] for m in returned}
            returned_partners = (returned.picking_id.partner_id | returned.partner_id).commercial_partner_id
            balances.filtered(lambda b: b.asset_type_id in returned_types
                              and b.partner_id in returned_partners)._create_deposit_refunds()
