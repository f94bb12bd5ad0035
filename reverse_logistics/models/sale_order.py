from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    return_order_id = fields.Many2one(
        "return.order", string="Replaces Return", index="btree_not_null", copy=False, readonly=True,
        help="The return this order sends replacement goods for.",
    )
    return_order_ids = fields.One2many("return.order", "sale_order_id", string="Returns")
    return_order_count = fields.Integer(compute="_compute_return_order_count")

    @api.depends("return_order_ids")
    def _compute_return_order_count(self):
        for order in self:
            order.return_order_count = len(order.return_order_ids)

    def _action_cancel(self):
        res = super()._action_cancel()
        # Liquidated units of a cancelled liquidator order that never shipped may be offered again.
        # Salespeople cancel orders without Returns rights: the system looks up liquidated units.
        gradings = self.env["return.grading"].sudo().search([("liquidation_line_id", "in", self.order_line.ids)])
        gradings.filtered(lambda g: not g.liquidation_line_id.qty_delivered)._on_liquidation_sale_cancelled()
        return res

    def action_create_return_order(self):
        """Choose what comes back from this order, as Odoo's Return does for a delivery."""
        self.ensure_one()
        return self.env["return.order"]._action_open_create_wizard(sale_order=self)

    def action_view_return_orders(self):
        self.check_access("read")
        return self.env["return.order"]._action_view_records(
            self.return_order_ids, "reverse_logistics.action_return_order")
