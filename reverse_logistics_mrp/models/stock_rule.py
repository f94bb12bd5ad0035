from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_stock_move_values(self, product_id, product_qty, product_uom, location_dest_id, name, origin,
                               company_id, values):
        move_values = super()._get_stock_move_values(
            product_id, product_qty, product_uom, location_dest_id, name, origin, company_id, values)
        # A kit received on a return's procurement: mrp exploded it into one procurement per component
        # (with its BoM line); each component move gives back the delivered move of its component.
        line_id = move_values.get("return_line_id")
        if line_id and values.get("bom_line_id") and not move_values.get("origin_returned_move_id"):
            line = self.env["return.order.line"].browse(line_id)
            bom_line = self.env["mrp.bom.line"].browse(values["bom_line_id"])
            move_values["origin_returned_move_id"] = line._get_kit_origin_move(bom_line).id
        return move_values
