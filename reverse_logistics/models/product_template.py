from odoo import api, fields, models
from odoo.exceptions import ValidationError

WEEE_CATEGORIES = [
    ("1", "1. Temperature exchange equipment"),
    ("2", "2. Screens, monitors (surface > 100 cm2)"),
    ("3", "3. Lamps"),
    ("4", "4. Large equipment (external dimension > 50 cm)"),
    ("5", "5. Small equipment (no external dimension > 50 cm)"),
    ("6", "6. Small IT and telecommunication equipment"),
]


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

    # ==================================================================
    # WEEE
    # ==================================================================
    weee_category = fields.Selection(
        WEEE_CATEGORIES, string="WEEE Category",
        help="Category of Annex III of the WEEE Directive 2012/19/EU. Units taken back are reported per "
        "category in the WEEE register, by their weight (the product's Weight).",
    )
