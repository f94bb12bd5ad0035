from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    can_be_refurbished = fields.Boolean(
        default=True, help="Returned units may be sent to refurbishment (a repair order).",
    )
