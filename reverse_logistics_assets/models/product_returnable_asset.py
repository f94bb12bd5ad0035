import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductReturnableAsset(models.Model):
    """Which assets travel with a product (or with one of its packagings) and how many."""

    _name = "product.returnable.asset"
    _description = "Returnable Assets of a Product"
    _order = "product_tmpl_id, id"

    product_tmpl_id = fields.Many2one("product.template", required=True, ondelete="cascade", index=True)
    packaging_id = fields.Many2one(
        "product.packaging", domain="[('product_id.product_tmpl_id', '=', product_tmpl_id)]",
        help="Count per packaging instead of per unit, e.g. one pallet per full pallet packaging.",
    )
    asset_type_id = fields.Many2one("returnable.asset.type", required=True, ondelete="restrict")
    units_per_asset = fields.Float(
        string="Units per Asset", default=1.0, required=True,
        help="Product units (or packagings) one asset carries: 40 cases per pallet is 40.",
    )

    @api.constrains("units_per_asset")
    def _check_units(self):
        if any(rule.units_per_asset <= 0 for rule in self):
            raise ValidationError(self.env._("Units per asset must be positive."))

    def _get_asset_quantity(self, product_qty):
        """Assets needed for a quantity of product: partly filled assets count as whole ones."""
        self.ensure_one()
        qty = product_qty
        if self.packaging_id:
            qty = product_qty / self.packaging_id.qty if self.packaging_id.qty else 0.0
        return math.ceil(round(qty / self.units_per_asset, 6)) if qty > 0 else 0
