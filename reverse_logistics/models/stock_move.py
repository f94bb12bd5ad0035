from collections import defaultdict

from odoo import fields, models
from odoo.tools import float_compare


class StockMove(models.Model):
    _inherit = "stock.move"

    # Not copied: a move reversed with Odoo's Return wizard (goods sent back to the customer) is no
    # receipt of the return; only a split of the move (backorder) stays on the line.
    return_line_id = fields.Many2one(
        "return.order.line", index="btree_not_null", copy=False, readonly=True,
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

    # Owners of returned units ---------------------------------------------------------------------
    def _get_returnable_owners(self):
        """{(lot, owner): quantity in the product's unit} of this return receipt move's product delivered on
        the moves its return line gives back, less what came back from the customer since."""
        self.ensure_one()
        origins = self.return_line_id._get_origin_moves().sudo().filtered(lambda m: m.product_id == self.product_id)
        available = defaultdict(float)
        for move_line in origins.move_line_ids:
            available[move_line.lot_id, move_line.owner_id] += move_line.quantity_product_uom
        back = self.sudo().search([
            ("origin_returned_move_id", "in", origins.ids), ("state", "=", "done"),
            ("location_id.usage", "=", "customer"),
        ])
        for move_line in back.move_line_ids:
            available[move_line.lot_id, move_line.owner_id] -= move_line.quantity_product_uom
        return available

    def _set_returned_owners(self):
        """Units coming back from the customer keep the owner of the units delivered (Odoo's Return does the
        same through the delivered move lines): stock the company never owned (consignment) comes back its
        owner's, so Odoo values none of it. A line of a lot takes that lot's owner; units the company owns
        come back first when a delivered move mixed both. An owner typed on the receipt is replaced: what
        the company owns is not the receipt's say (only units given back against no delivery keep it)."""
        for move in self.filtered(lambda m: m.return_line_id._get_origin_moves()):
            available = move._get_returnable_owners()
            company_partner = move.company_id.partner_id
            rounding = move.product_id.uom_id.rounding
            for move_line in move.move_line_ids.filtered("quantity"):
                move_line.owner_id = False
                keys = sorted(
                    (key for key, qty in available.items()
                     if key[0] == move_line.lot_id and float_compare(qty, 0.0, precision_rounding=rounding) > 0),
                    key=lambda key: (bool(key[1]) and key[1] != company_partner, key[1].id))
                left = move_line.quantity_product_uom
                for i, key in enumerate(keys):
                    take = left if i == len(keys) - 1 else min(left, available[key])
                    available[key] -= take
                    owner = key[1]
                    if float_compare(take, left, precision_rounding=rounding) >= 0:
                        move_line.owner_id = owner
                        break
                    # Part of the line is another owner's: split it.
                    uom = move_line.product_uom_id
                    rest = left - take
                    move_line.write({
                        "quantity": move.product_id.uom_id._compute_quantity(take, uom, round=False),
                        "owner_id": owner.id,
                    })
                    move_line = move_line.copy({
                        "quantity": move.product_id.uom_id._compute_quantity(rest, uom, round=False),
                        "move_id": move.id, "picked": move_line.picked,
                    })
                    left = rest

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
