from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero

from ..tools import check_id, check_number


class ReturnOrderCreateLine(models.TransientModel):
    _name = "return.order.create.line"
    _description = "Return Order Creation Line"
    _rec_name = "product_id"

    wizard_id = fields.Many2one("return.order.create", required=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", readonly=True)
    origin_move_id = fields.Many2one("stock.move", string="Delivered Move", readonly=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    qty_returnable = fields.Float(
        string="Returnable", digits="Product Unit of Measure", readonly=True,
        help="Delivered minus everything already returned or being returned, by return orders or by "
        "Odoo's return of the delivery.",
    )
    quantity = fields.Float(digits="Product Unit of Measure", default=0.0)
    reason_id = fields.Many2one("return.reason")

    def _prepare_return_line_vals(self):
        self.ensure_one()
        vals = {
            "product_id": self.product_id.id,
            "origin_move_id": self.origin_move_id.id,
            "sale_line_id": self.sale_line_id.id,
            "product_uom_qty": self.quantity,
        }
        if self.lot_id:
            vals["lot_id"] = self.lot_id.id
        reason = self.reason_id or self.wizard_id.reason_id
        if reason:
            vals["reason_id"] = reason.id
        return vals


class ReturnOrderCreate(models.TransientModel):
    """Choose what comes back before anything is saved: the lines show what each delivered move (and lot)
    still has to return; only the quantities asked for become a draft return.

    The sale order's and the delivery's buttons, the portal request and `_create_from_moves` all go
    through this wizard, so a draft never reserves units nobody asked for.
    """
    _name = "return.order.create"
    _description = "Create Return Order"

    sale_order_id = fields.Many2one("sale.order", readonly=True)
    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    move_ids = fields.Many2many(
        "stock.move", string="Delivered Moves", readonly=True,
        help="Only these delivered moves; every move of the delivery or the order when empty.",
    )
    reason_id = fields.Many2one("return.reason", help="For lines without a reason of their own.")
    line_ids = fields.One2many(
        "return.order.create.line", "wizard_id", string="Returnable Products",
        compute="_compute_line_ids", store=True, readonly=False, precompute=True,
    )

    @api.model
    def default_get(self, fields_list):
        # The wizard creates returns: its defaults (read from the document) are for those who may.
        self.check_access("create")
        res = super().default_get(fields_list)
        model, res_id = self.env.context.get("active_model"), self.env.context.get("active_id")
        if res_id and model == "sale.order" and "sale_order_id" not in res:
            res["sale_order_id"] = res_id
        elif res_id and model == "stock.picking" and "picking_id" not in res:
            res["picking_id"] = res_id
        picking = self.env["stock.picking"].browse(
            check_id(self.env, res["picking_id"], self.env._("Delivery")) if res.get("picking_id") else [])
        sale_order = self.env["sale.order"].browse(
            check_id(self.env, res["sale_order_id"], self.env._("Sale Order")) if res.get("sale_order_id") else [])
        # The context says which document the wizard opens on; the user must be able to read it.
        for document in (picking, sale_order):
            if document:
                document.check_access("read")
        document = picking or sale_order
        if document:
            sale_order = sale_order or picking.sale_id
            res.setdefault("partner_id", (sale_order.partner_id or document.partner_id).id)
            res.setdefault("company_id", document.company_id.id)
            if picking and "sale_order_id" not in res and picking.sale_id:
                res["sale_order_id"] = picking.sale_id.id
        return res

    @api.constrains("sale_order_id", "picking_id", "move_ids")
    def _check_documents_access(self):
        """The wizard shows what is returnable from its documents, counted as the system over every
        return: only for documents the user may read."""
        if self.env.su:
            return
        for wizard in self:
            for document in (wizard.sale_order_id, wizard.picking_id, wizard.move_ids):
                if document:
                    document.check_access("read")

    def _get_delivered_moves(self):
        self.ensure_one()
        # The record may still be new (precomputed at creation): read the saved documents.
        if self.move_ids:
            return self.move_ids._origin
        if self.picking_id:
            return self.picking_id._origin.move_ids
        return self.sale_order_id._origin.order_line.move_ids

    @api.depends("picking_id", "sale_order_id", "move_ids")
    def _compute_line_ids(self):
        for wizard in self:
            lines = [Command.clear()]
            for vals, qty in self.env["return.order"]._get_returnable_lines(wizard._get_delivered_moves()):
                lines.append(Command.create(dict(vals, qty_returnable=qty)))
            wizard.line_ids = lines

    def _set_quantities(self, quantities):
        """Ask for `quantities` ({wizard line: quantity}); refuse negative ones and ones above the returnable."""
        for line, qty in quantities.items():
            check_number(self.env, qty, line.product_id.display_name)
            rounding = line.uom_id.rounding
            if float_compare(qty, 0.0, precision_rounding=rounding) < 0:
                raise UserError(self.env._("Quantities to return cannot be negative."))
            line.quantity = qty

    def _get_requested_lines(self):
        for line in self.line_ids:
            check_number(self.env, line.quantity, line.product_id.display_name)
        return self.line_ids.filtered(lambda ln: not float_is_zero(ln.quantity, precision_rounding=ln.uom_id.rounding))

    def _prepare_return_order_vals(self, lines):
        self.ensure_one()
        return self.env["return.order"]._prepare_order_vals(
            self.partner_id, [line._prepare_return_line_vals() for line in lines],
            self.sale_order_id, self.picking_id,
        )

    def _check_something_returnable(self):
        if not self.line_ids:
            raise UserError(self.env._(
                "Nothing left to return: every delivered unit was already returned or is being returned."))

    def _create_return_order(self, extra_vals=None):
        """The draft return of the quantities asked for. The return line's constraint checks them again
        against what is returnable when it is saved, under a lock on the delivered moves."""
        self.ensure_one()
        lines = self._get_requested_lines()
        if not lines:
            self._check_something_returnable()
            raise UserError(self.env._("Choose at least one product and the quantity to return."))
        vals = self._prepare_return_order_vals(lines)
        vals.update(extra_vals or {})
        return self.env["return.order"].create(vals)

    def _action_open_return(self, order):
        return {
            "type": "ir.actions.act_window",
            "res_model": "return.order",
            "res_id": order.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_create_return(self):
        return self._action_open_return(self._create_return_order())

    def action_create_return_all(self):
        self._set_quantities({line: line.qty_returnable for line in self.line_ids})
        return self.action_create_return()
