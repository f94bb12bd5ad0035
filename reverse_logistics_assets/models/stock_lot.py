from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class StockLot(models.Model):
    _inherit = "stock.lot"

    asset_state = fields.Selection(
        [("available", "Available"), ("at_customer", "At Customer"), ("cleaning", "Cleaning"),
         ("repair", "In Repair"), ("retired", "Retired")],
        string="Asset Status", index=True, copy=False,
    )
    asset_trip_count = fields.Integer(string="Trips", copy=False, help="Times this asset went out to a customer.")
    asset_last_partner_id = fields.Many2one("res.partner", string="Last Seen At", copy=False)
    asset_last_seen_date = fields.Datetime(string="Last Seen On", copy=False)

    def action_asset_available(self):
        """Cleaned or repaired: the asset can travel again (Returns User: the warehouse's assets staff)."""
        if not self.env.user.has_group("reverse_logistics.group_return_user"):
            raise AccessError(self.env._("Making an asset available again needs the Returns User group."))
        if self.filtered(lambda lot: lot.asset_state in ("at_customer", "retired")):
            raise UserError(self.env._("Only assets back in the warehouse can be made available."))
        self.sudo().asset_state = "available"
        return True

    # Who holds a serialized asset decides who may bring it back: the moves write it, never a user.
    _ASSET_LIFECYCLE_FIELDS = ("asset_state", "asset_trip_count", "asset_last_partner_id", "asset_last_seen_date")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get(name) for vals in vals_list for name in self._ASSET_LIFECYCLE_FIELDS):
            raise UserError(self.env._("An asset's whereabouts are set by its moves, not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and any(name in vals for name in self._ASSET_LIFECYCLE_FIELDS):
            raise UserError(self.env._("An asset's whereabouts are set by its moves, not by hand."))
        return super().write(vals)
