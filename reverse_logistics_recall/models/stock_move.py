from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        # Units back from customers count as retrieved by the live recalls of their lots as soon as their
        # moves are done (the move lines are done with their moves).
        returned = self.move_line_ids._get_recall_returned_keys()
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        if returned:
            self.env["recall.exposure"]._update_retrieved(returned)
        return moves
