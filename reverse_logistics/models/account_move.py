from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    return_order_id = fields.Many2one(
        "return.order", index="btree_not_null", copy=False, readonly=True,
    )
    is_store_credit = fields.Boolean(
        string="Store Credit", copy=False, readonly=True,
        help="Credit kept on the customer's account for future purchases, not paid out.",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # An accountant posting a return's credit note needs no Returns rights to close the return.
        returns = posted.sudo().return_order_id
        if returns:
            returns._check_done()
        return posted
