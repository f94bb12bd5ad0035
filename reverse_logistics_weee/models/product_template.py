from odoo import fields, models

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

    weee_category = fields.Selection(
        WEEE_CATEGORIES, string="WEEE Category",
        help="Category of Annex III of the WEEE Directive 2012/19/EU. Units taken back are reported per "
        "category in the WEEE register, by their weight (the product's Weight).",
    )
