from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    quarantine_location_id = fields.Many2one(
        "stock.location", string="Quarantine Location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Recalled stock is held here; nothing leaves it while its recall is active.",
    )

    def _get_reverse_logistics_locations(self):
        return super()._get_reverse_logistics_locations() + [
            ("quarantine_location_id", self.env._("Quarantine"), "QUARANTINE"),
        ]
