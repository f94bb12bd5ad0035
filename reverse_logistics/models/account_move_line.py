from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    return_line_id = fields.Many2one(
        "return.order.line", index="btree_not_null", copy=False, readonly=True,
    )
    is_restocking_fee = fields.Boolean(copy=False, readonly=True)
    refunded_invoice_line_id = fields.Many2one(
        "account.move.line", string="Credited Invoice Line", index="btree_not_null", copy=False, readonly=True,
        help="The invoice line whose units this credit note line gives back (set by return orders).",
    )
    return_credit_share = fields.Selection(
        [("discount", "Share of a Discount"), ("early_payment", "Share of an Early Payment Discount")],
        string="Credited Share", copy=False, readonly=True,
        help="A line of a return's credit note that gives back no units but the returned units' share of "
        "an invoice's discount or promotion line, or of the early payment discount the customer took.",
    )

    def _stock_account_get_anglo_saxon_price_unit(self):
        price_unit = super()._stock_account_get_anglo_saxon_price_unit()
        return_price_unit = self._get_return_cogs_price_unit()
        return price_unit if return_price_unit is None else return_price_unit

    def _get_return_cogs_price_unit(self):
        """The cost of goods a return's credit note line reverses, per unit of the line: what the delivered
        units coming back cost, as the receipt values them (Odoo would take today's cost when the credit
        comes before the receipt), nothing for units the company never owned. None: not a return's units."""
        self.ensure_one()
        line = self.return_line_id
        if (not line or self.move_id.move_type != "out_refund" or self.display_type != "product"
                or self.is_restocking_fee or self.return_credit_share or self.product_id != line.product_id):
            return None
        if line.kept_by_customer:
            # The customer keeps the goods: nothing comes back into stock, their cost stays an expense.
            return 0.0
        unit_cost = line._get_returned_unit_cost()
        if unit_cost is None:
            return None
        return line.product_uom_id._compute_price(unit_cost, self.product_uom_id) \
            if self.product_uom_id and line.product_uom_id else unit_cost
