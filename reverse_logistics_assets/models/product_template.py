from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    returnable_asset_ids = fields.One2many(
        "product.returnable.asset", "product_tmpl_id", string="Returnable Assets",
        help="Pallets, crates or kegs that travel with this product.",
    )
