from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    return_order_id = fields.Many2one(
        "return.order", string="Return Order", index="btree_not_null", copy=False, readonly=True,
    )
    is_store_credit = fields.Boolean(
        string="Store Credit", copy=False, readonly=True,
        help="Credit kept on the customer's account for future purchases, not paid out.",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.return_order_id._check_done()
        return posted
