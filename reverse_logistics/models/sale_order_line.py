from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    return_line_id = fields.Many2one(
        "return.order.line", string="Replaces Return Line", index="btree_not_null", copy=False,
        readonly=True,
    )
    # Keep-the-item refunds: the customer was credited for units he keeps. Nothing comes back, so Odoo's
    # delivered quantity stays while the credit note lowers the invoiced one: without this the sale would
    # offer the credited units for invoicing again.
    return_line_ids = fields.One2many("return.order.line", "sale_line_id", string="Return Lines", readonly=True)
    qty_kept_by_customer = fields.Float(
        string="Kept by Customer", digits="Product Unit of Measure", compute="_compute_qty_kept_by_customer",
        store=True, compute_sudo=True,
        help="Delivered units a return credited (or found never invoiced) while the customer keeps them.",
    )

    @api.depends("return_line_ids.kept_by_customer", "return_line_ids.qty_refunded",
                 "return_line_ids.qty_not_invoiced", "return_line_ids.product_uom_id", "product_uom")
    def _compute_qty_kept_by_customer(self):
        for sale_line in self:
            sale_line.qty_kept_by_customer = sum(
                line.product_uom_id._compute_quantity(line._get_kept_resolved_qty(), sale_line.product_uom)
                for line in sale_line.return_line_ids if line.kept_by_customer)

    @api.depends("qty_invoiced", "qty_delivered", "product_uom_qty", "state", "qty_kept_by_customer")
    def _compute_qty_to_invoice(self):
        res = super()._compute_qty_to_invoice()
        for sale_line in self.filtered("qty_kept_by_customer"):
            if sale_line.state == "sale" and not sale_line.display_type \
                    and sale_line.product_id.type != "combo":
                sale_line.qty_to_invoice -= sale_line.qty_kept_by_customer
        return res
