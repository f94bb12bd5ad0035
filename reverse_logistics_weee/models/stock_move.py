from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    return_weight = fields.Float(
        string="Returned Weight", digits="Stock Weight", readonly=True, copy=False,
        help="Weight of the units a return brought back, stored when the move was done (the WEEE register "
        "reads it): a product's weight changed afterwards rewrites no past register.")

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        for move in moves.filtered(lambda m: m.return_line_id and m.state == "done"):
            move.sudo().return_weight = move.product_qty * move.product_id.weight
        return moves
