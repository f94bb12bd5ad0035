from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    can_be_refurbished = fields.Boolean(
        default=True, help="Returned units may be sent to refurbishment (a repair order).",
    )
    refurbished_product_id = fields.Many2one(
        "product.product", string="Refurbished As", check_company=True,
        domain="[('is_storable', '=', True), ('product_tmpl_id', '!=', id)]",
        help="A refurbished unit goes back to stock as this product (a B-stock variant or a separate "
        "refurbished product), at that product's own cost. The difference with the value the unit came "
        "back with is booked to this product's expense account.",
    )

    @api.constrains("refurbished_product_id")
    def _check_refurbished_product(self):
        for template in self.filtered("refurbished_product_id"):
            if template.refurbished_product_id.product_tmpl_id == template:
                raise ValidationError(self.env._(
                    "%(product)s cannot be refurbished as itself.", product=template.display_name))
