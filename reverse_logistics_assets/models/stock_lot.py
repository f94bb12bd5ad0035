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
        self.check_access("write")
        not_back = self.filtered(lambda lot: lot.asset_state not in ("cleaning", "repair"))
        if not_back:
            raise UserError(self.env._(
                "Only assets back in the warehouse for cleaning or repair can be made available: %(lots)s.",
                lots=", ".join(not_back.mapped("display_name"))))
        self.sudo().asset_state = "available"
        return True

    def _get_asset_protected_fields(self):
        """Who holds a serialized asset decides who may bring it back: its moves write these, never a user
        (refused with the fields' names)."""
        return ["asset_state", "asset_trip_count", "asset_last_partner_id", "asset_last_seen_date"]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_asset_protected_fields(
                {name for vals in vals_list for name in self._get_asset_protected_fields() if vals.get(name)})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_asset_protected_fields(vals)
        return super().write(vals)

    def _check_asset_protected_fields(self, names):
        forbidden = [name for name in self._get_asset_protected_fields() if name in names]
        if forbidden:
            raise UserError(self.env._(
                "An asset's whereabouts (%(fields)s) are set by its moves, not by hand.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in forbidden)))
