from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context, float_round

from ..tools import check_flow_access, check_number


class ReturnLiquidationSale(models.TransientModel):
    """Sell liquidated units to a liquidator: a sale order shipped from the liquidation location."""

    _name = "return.liquidation.sale"
    _description = "Sell Liquidated Units"

    grading_ids = fields.Many2many("return.grading", string="Units", required=True)
    partner_id = fields.Many2one("res.partner", string="Liquidator", required=True)
    amount = fields.Monetary(string="Price for the Lot", required=True,
                             help="Shared among the units by their graded value.")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    quantity = fields.Float(compute="_compute_quantity")

    @api.depends("grading_ids")
    def _compute_quantity(self):
        for wizard in self:
            wizard.quantity = sum(wizard.grading_ids.mapped("quantity"))

    def action_confirm(self):
        self.ensure_one()
        gradings = self.grading_ids
        # The units' sale and recovery values are written as the system: the user's rights first.
        check_flow_access(gradings, "reverse_logistics.group_return_manager")
        check_number(self.env, self.amount, self._fields["amount"].string)
        # The sale order and its delivery take no default from the caller's context.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        wrong = gradings.filtered(lambda g: g.operation != "liquidate" or g.state != "done" or g.liquidation_line_id)
        if wrong:
            raise UserError(self.env._(
                "Only liquidated units not sold yet can be sold to a liquidator:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in wrong)))
        if self.amount < 0:
            raise UserError(self.env._("The price cannot be negative."))
        if len(gradings.warehouse_id) != 1:
            raise UserError(self.env._("Sell the liquidation stock of one warehouse at a time."))
        warehouse = gradings.warehouse_id
        weights = {g: g.unit_value * g.quantity or g.quantity for g in gradings}
        total_weight = sum(weights.values()) or 1.0
        shares = {g: float_round(self.amount * weights[g] / total_weight, precision_rounding=self.currency_id.rounding)
                  for g in gradings}
        order = self.env["sale.order"].create({
            "partner_id": self.partner_id.id,
            "warehouse_id": warehouse.id,
            "origin": ", ".join(sorted(set(gradings.order_id.mapped("name")))),
            "order_line": [Command.create({
                "product_id": g.product_id.id,
                "product_uom_qty": g.quantity,
                "price_unit": shares[g] / g.quantity,
                "tax_id": [Command.clear()],
                "name": self.env._("%(product)s, liquidation (grade %(grade)s)",
                                   product=g.product_id.display_name, grade=g.grade_id.code),
            }) for g in gradings],
        })
        order.action_confirm()
        for grading, line in zip(gradings, order.order_line, strict=True):
            grading.sudo().write({"liquidation_line_id": line.id, "recovery_value": shares[grading]})
        # Ship from the liquidation location, where the units are, not from stock.
        liquidation = warehouse.liquidation_location_id
        pickings = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        pickings.do_unreserve()
        pickings.location_id = liquidation
        pickings.move_ids.location_id = liquidation
        pickings.action_assign()
        for move in pickings.move_ids:
            grading = gradings.filtered(lambda g, move=move: g.liquidation_line_id == move.sale_line_id)
            if grading.lot_id and move.move_line_ids.lot_id != grading.lot_id:
                move.move_line_ids.lot_id = grading.lot_id
        return {"type": "ir.actions.act_window", "res_model": "sale.order", "res_id": order.id,
                "view_mode": "form", "views": [(False, "form")]}
