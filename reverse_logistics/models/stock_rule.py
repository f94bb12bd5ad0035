from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_stock_move_values(self, product_id, product_qty, product_uom, location_dest_id, name, origin,
                               company_id, values):
        move_values = super()._get_stock_move_values(
            product_id, product_qty, product_uom, location_dest_id, name, origin, company_id, values)
        # A return's receipt move: what the return line prepared (its links to the return, the delivery
        # and the sale line, the customer's location) goes on the move from the customer as it is.
        if values.get("return_move_vals"):
            move_values.update(values["return_move_vals"])
        return move_values

    def _push_prepare_move_copy_values(self, move_to_copy, new_date):
        vals = super()._push_prepare_move_copy_values(move_to_copy, new_date)
        # The last reception step of a return lands where the return goes (triage, or quarantine for a
        # recall), not in the rule's triage.
        warehouse = self.warehouse_id
        final = move_to_copy.location_final_id
        if (self.route_id and self.route_id == warehouse.return_route_id
                and self.location_dest_id == warehouse.return_location_id
                and final and not final._child_of(self.location_dest_id)):
            vals["location_dest_id"] = final.id
        return vals
