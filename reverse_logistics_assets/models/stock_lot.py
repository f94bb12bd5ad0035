from odoo import fields, models
from odoo.exceptions import UserError


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
        """Cleaned or repaired: the asset can travel again."""
        if self.filtered(lambda lot: lot.asset_state in ("at_customer", "retired")):
            raise UserError(self.env._("Only assets back in the warehouse can be made available."))
        self.asset_state = "available"
        return True
