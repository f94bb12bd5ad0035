from odoo import fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    quarantine_location_id = fields.Many2one(
        "stock.location", string="Quarantine Location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Recalled stock is held here; nothing leaves it while its recall is active.",
    )

    def _get_locations_values(self, vals, code=False):
        values = super()._get_locations_values(vals, code=code)
        code = (vals.get("code") or code or "").replace(" ", "").upper()
        company_id = vals.get("company_id", self.default_get(["company_id"])["company_id"])
        values["quarantine_location_id"] = {
            "name": self.env._("Quarantine"),
            "active": True,
            "usage": "internal",
            "barcode": self._valid_barcode(code + "QUARANTINE", company_id),
        }
        return values
