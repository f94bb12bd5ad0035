from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _prepare_phantom_move_values(self, bom_line, product_qty, quantity_done):
        vals = super()._prepare_phantom_move_values(bom_line, product_qty, quantity_done)
        line = self.return_line_id
        if line:
            # A kit received on a return: each component move stays the return's, is refunded on the kit's
            # sale line and gives back the delivered move of its component (valuation, sale_mrp's count).
            vals.update({
                "return_line_id": line.id,
                "to_refund": self.to_refund,
                "origin_returned_move_id": line._get_kit_origin_move(bom_line).id,
            })
        return vals
