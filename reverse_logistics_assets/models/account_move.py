from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # Deposits charged or refunded change what the partner's balance may refund.
        asset_types = self.env["returnable.asset.type"]._get_by_product(posted.invoice_line_ids.product_id)
        if asset_types:
            types = self.env["returnable.asset.type"].sudo().browse([t.id for t in asset_types.values()])
            self.env["returnable.asset.balance"]._recompute(posted.partner_id, types)
        return posted
