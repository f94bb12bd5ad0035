from odoo import fields, models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    return_order_id = fields.Many2one(
        "return.order", index="btree_not_null", copy=False, readonly=True,
    )

    def _create_backorder_picking(self):
        # A backorder is the rest of the same receipt; a picking copied by Odoo's Return wizard is not.
        backorder = super()._create_backorder_picking()
        if self.return_order_id:
            backorder.return_order_id = self.return_order_id
        return backorder

    def _create_backorder(self, backorder_moves=None):
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        # The rest of a return receipt expects the same announced lots.
        backorders.move_ids.return_line_id._set_receipt_lots()
        return backorders

    def _action_done(self):
        self._check_return_lots()
        self._check_return_owner()
        self.sudo()._get_return_receipt_moves()._set_returned_owners()
        res = super()._action_done()
        # Whoever validates the transfer, the return flow goes on as the system (policy, credit notes):
        # a warehouse clerk needs neither Returns nor Invoicing rights for it.
        returns = self.sudo().return_order_id
        if returns:
            returns._on_receipt_done()
        shipped_back = self.sudo().move_ids.filtered(lambda m: m.state == "done" and m.return_grading_id)
        if shipped_back:
            shipped_back.return_grading_id.filtered(
                lambda g: g.operation == "return_to_vendor")._on_vendor_shipment_done()
        return res

    def _get_return_receipt_moves(self):
        """The moves of these transfers that receive a return's units from the customer."""
        return self.move_ids.filtered(
            lambda m: m.return_line_id and m.state not in ("done", "cancel") and m.location_id.usage == "customer")

    def _check_return_owner(self):
        """A return's units take the owners of the units delivered: an owner assigned to the whole receipt
        (Odoo would give it every unit) is refused, before anything moves."""
        for picking in self.sudo().filtered(lambda p: p.owner_id and p._get_return_receipt_moves().filtered(
                lambda m: m.return_line_id._get_origin_moves())):
            raise UserError(self.env._(
                "%(picking)s: returned units keep the owner of the units delivered; remove the owner assigned "
                "to the transfer (%(owner)s). Nothing was received.",
                picking=picking.name, owner=picking.owner_id.display_name,
            ))

    def _check_return_lots(self):
        """Refuse, before anything moves, a returned serial number that cannot be the customer's (whatever
        the policy says about lots), and a returned lot that the policy says was never delivered."""
        for move in self.sudo()._get_return_receipt_moves().filtered(lambda m: m.product_id.tracking == "serial"):
            move_lines = move.move_line_ids.filtered("quantity")
            serials = move_lines.lot_id
            typed = set(move_lines.filtered(lambda ml: not ml.lot_id and ml.lot_name).mapped("lot_name"))
            if typed:
                known = self.env["stock.lot"].search([
                    ("product_id", "=", move.product_id.id), ("name", "in", list(typed)),
                    *self.env["stock.lot"]._check_company_domain(move.company_id),
                ])
                serials |= known
                typed -= set(known.mapped("name"))
            problems = move.return_line_id._get_serial_problems(serials, sorted(typed))
            if problems:
                raise UserError(self.env._(
                    "%(picking)s: nothing was received.\n%(problems)s", picking=move.picking_id.name,
                    problems="\n".join(problems.values()),
                ))
        for move in self.sudo().move_ids.filtered(lambda m: m.return_line_id and m.state != "cancel"):
            line = move.return_line_id
            if not line.order_id.policy_id.lot_match_required:
                continue
            delivered = line._get_delivered_lots()
            if delivered is None:
                continue
            wrong = move.move_line_ids.lot_id - delivered
            if wrong:
                raise UserError(self.env._(
                    "%(picking)s: lot/serial %(lots)s of %(product)s was not delivered to %(partner)s; "
                    "the return policy requires the delivered lot.",
                    picking=move.picking_id.name, lots=", ".join(wrong.mapped("name")),
                    product=move.product_id.display_name, partner=line.order_id.partner_id.display_name,
                ))

    def action_create_return_order(self):
        """Choose what comes back from this delivery."""
        self.ensure_one()
        if self.picking_type_code != "outgoing" or self.state != "done":
            raise UserError(self.env._("Returns can only be created from done deliveries."))
        return self.env["return.order"]._action_open_create_wizard(sale_order=self.sale_id, picking=self)

    # ==================================================================
    # Deadlines
    # ==================================================================
    def button_validate(self):
        expired = self.return_order_id.filtered(lambda o: o.state == "expired")
        if expired:
            # Its units were freed for other returns: a manager reopens it first, with a new receipt.
            raise UserError(self.env._(
                "%(names)s expired: a Returns Manager must reopen it before its goods are received.",
                names=", ".join(expired.mapped("name"))))
        return super().button_validate()
