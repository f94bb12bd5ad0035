from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    return_line_id = fields.Many2one(
        "return.order.line", string="Return Line", index="btree_not_null", copy=False, readonly=True,
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
