from odoo import api, fields, models

from .return_credit_allocation import CREDIT_ALLOCATION_READERS


class AccountMove(models.Model):
    _inherit = "account.move"

    return_order_id = fields.Many2one(
        "return.order", index="btree_not_null", copy=False, readonly=True,
    )
    is_store_credit = fields.Boolean(
        string="Store Credit", copy=False, readonly=True,
        help="Credit kept on the customer's account for future purchases, not paid out.",
    )

    return_credit_allocation_ids = fields.One2many(
        "return.credit.allocation", "credit_note_id", string="Return Credit Allocations", readonly=True,
        groups=CREDIT_ALLOCATION_READERS,
    )
    return_credit_allocation_count = fields.Integer(
        compute="_compute_return_credit_allocation_count", groups=CREDIT_ALLOCATION_READERS)

    @api.depends("return_credit_allocation_ids")
    def _compute_return_credit_allocation_count(self):
        # Counted as the reader: what the record rules let him open behind the smart button.
        for move in self:
            move.return_credit_allocation_count = len(move.return_credit_allocation_ids)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # An accountant posting a return's credit note needs no Returns rights to close the return.
        returns = posted.sudo().return_order_id
        if returns:
            returns._check_done()
        return posted
