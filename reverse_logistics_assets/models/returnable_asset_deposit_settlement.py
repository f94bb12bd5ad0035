from odoo import api, fields, models


class ReturnableAssetDepositSettlement(models.Model):
    """Units of one deposit charge given back (refund) or kept for units lost, by one journal item: frozen
    when that item is posted."""

    _name = "returnable.asset.deposit.settlement"
    _description = "Returnable Asset Deposit Settlement"
    _order = "id"

    deposit_id = fields.Many2one("returnable.asset.deposit", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    partner_id = fields.Many2one(related="deposit_id.partner_id", store=True, index=True)
    asset_type_id = fields.Many2one(related="deposit_id.asset_type_id", store=True)
    company_id = fields.Many2one(related="deposit_id.company_id", store=True)
    currency_id = fields.Many2one(related="deposit_id.currency_id")
    kind = fields.Selection([("refund", "Refunded"), ("kept", "Kept")], required=True, readonly=True)
    quantity = fields.Float(required=True, readonly=True, digits="Product Unit of Measure")
    amount = fields.Monetary(compute="_compute_amount", help="In the currency the deposit was charged in.")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True, index=True,
                                   ondelete="cascade")
    move_id = fields.Many2one(related="move_line_id.move_id", string="Document", store=True)
    loss_move_id = fields.Many2one(
        "stock.move", string="Loss", readonly=True, index="btree_not_null",
        help="The loss whose units this deposit was kept for.")
    date = fields.Date(related="move_id.date", store=True)

    _sql_constraints = [
        ("quantity_positive", "CHECK(quantity > 0)", "A settlement is for a positive quantity."),
    ]

    @api.depends("quantity", "deposit_id.currency_id", "deposit_id.unit_amount")
    def _compute_amount(self):
        for settlement in self:
            deposit = settlement.deposit_id
            settlement.amount = deposit.currency_id.round(settlement.quantity * deposit.unit_amount)
