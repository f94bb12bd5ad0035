from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    return_line_id = fields.Many2one(
        "return.order.line", string="Return Line", index="btree_not_null", copy=True, readonly=True,
    )

    return_grading_id = fields.Many2one(
        "return.grading", string="Graded Units", index="btree_not_null", copy=False, readonly=True,
    )

    def _prepare_merge_moves_distinct_fields(self):
        # One move per return line and per grading: quantities, lots and values are counted on them.
        return super()._prepare_merge_moves_distinct_fields() + ["return_line_id", "return_grading_id"]
