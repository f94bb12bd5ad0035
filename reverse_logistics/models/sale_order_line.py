from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    return_line_id = fields.Many2one(
        "return.order.line", string="Replaces Return Line", index="btree_not_null", copy=False,
        readonly=True,
    )
