from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _get_client_owner(self):
        """The client owning the units this return receipt move brings in, when no delivered units tell it
        (those are `_set_returned_owners`' business)."""
        self.ensure_one()
        order = self.return_line_id.order_id
        if not order or self.return_line_id._get_origin_moves():
            return self.env["res.partner"]
        return order._get_goods_owner()

    def _get_new_picking_values(self):
        vals = super()._get_new_picking_values()
        owners = self.env["res.partner"].union(*(move._get_client_owner() for move in self if move.return_line_id))
        if len(owners) == 1:
            # Shown on the receipt (Consignment), and given by Odoo to any move line added by hand.
            vals["owner_id"] = owners.id
        return vals

    def _prepare_move_line_vals(self, quantity=None, reserved_quant=None):
        vals = super()._prepare_move_line_vals(quantity=quantity, reserved_quant=reserved_quant)
        if not reserved_quant and self.return_line_id:
            owner = self._get_client_owner()
            if owner:
                vals["owner_id"] = owner.id
        return vals

    def _set_returned_owners(self):
        res = super()._set_returned_owners()
        # Units of a client return given back against no delivery of this company are the client's.
        for move in self:
            owner = move._get_client_owner()
            if owner:
                move.move_line_ids.filtered(lambda ml, owner=owner: ml.owner_id != owner).owner_id = owner
        return res
