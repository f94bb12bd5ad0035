from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    # Not copied: a move reversed with Odoo's Return wizard (goods sent back to the customer) is no
    # receipt of the return; only a split of the move (backorder) stays on the line.
    return_line_id = fields.Many2one(
        "return.order.line", string="Return Line", index="btree_not_null", copy=False, readonly=True,
    )

    return_grading_id = fields.Many2one(
        "return.grading", string="Graded Units", index="btree_not_null", copy=False, readonly=True,
    )

    refurbish_conversion = fields.Boolean(
        readonly=True, copy=False,
        help="One of the two moves that turn a refurbished returned unit into its refurbished product.",
    )

    def _prepare_merge_moves_distinct_fields(self):
        # One move per return line and per grading: quantities, lots and values are counted on them.
        return super()._prepare_merge_moves_distinct_fields() + ["return_line_id", "return_grading_id"]

    def _prepare_move_split_vals(self, qty):
        vals = super()._prepare_move_split_vals(qty)
        if self.return_line_id:
            vals["return_line_id"] = self.return_line_id.id
        return vals

    def _get_new_picking_values(self):
        vals = super()._get_new_picking_values()
        # The receipt from the customer belongs to the return; the later reception steps do not.
        order = self.return_line_id.order_id[:1]
        if order:
            vals.update(return_order_id=order.id, return_id=order.picking_id.id)
        return vals

    def _action_cancel(self):
        res = super()._action_cancel()
        # A cancelled vendor shipment leaves its units in triage: they wait for a disposition again.
        gradings = self.sudo().return_grading_id.filtered(
            lambda g: g.state == "dispositioned" and g.operation == "return_to_vendor"
            and all(move.state == "cancel" for move in g.move_ids))
        if not gradings:
            return res
        for picking, moves in self.sudo().filtered(
                lambda m: m.return_grading_id in gradings).grouped("picking_id").items():
            moves.return_grading_id._on_disposition_cancelled(
                picking.name or self.env._("The vendor shipment"))
        return res

    # Both legs of a refurbishment conversion post against the returned product's expense account:
    # what the unit came back valued at leaves stock there and the refurbished product's cost comes
    # back from there, so only the write-down (or write-up) of the unit stays on it.
    def _get_src_account(self, accounts_data):
        if self.refurbish_conversion:
            return self._get_refurbish_conversion_account()
        return super()._get_src_account(accounts_data)

    def _get_dest_account(self, accounts_data):
        if self.refurbish_conversion:
            return self._get_refurbish_conversion_account()
        return super()._get_dest_account(accounts_data)

    def _get_refurbish_conversion_account(self):
        self.ensure_one()
        returned = self.return_grading_id.product_id.with_company(self.company_id)
        return returned.product_tmpl_id.get_product_accounts()["expense"].id
