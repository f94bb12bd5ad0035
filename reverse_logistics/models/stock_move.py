from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    return_line_id = fields.Many2one(
        "return.order.line", string="Return Line", index="btree_not_null", copy=True, readonly=True,
    )

    def _prepare_merge_moves_distinct_fields(self):
        # One move per return line: received quantities, lots and credit notes are counted per line.
        return super()._prepare_merge_moves_distinct_fields() + ["return_line_id"]
