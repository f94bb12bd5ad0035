from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    return_line_id = fields.Many2one(
        "return.order.line", string="Return Line", index="btree_not_null", copy=True, readonly=True,
    )
