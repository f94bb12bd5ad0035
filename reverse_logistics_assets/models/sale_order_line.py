from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    is_returnable_asset = fields.Boolean(
        string="Returnable Asset", copy=False, help="Pallets, crates or kegs the goods travel on.",
    )

    def _prepare_invoice_line(self, **optional_values):
        vals = super()._prepare_invoice_line(**optional_values)
        asset_type = self.env["returnable.asset.type"]._get_by_product(self.product_id).get(self.product_id)
        if asset_type and asset_type.deposit_price and asset_type.deposit_account_id:
            # A deposit is owed back to the customer: a liability, not revenue.
            vals["account_id"] = asset_type.deposit_account_id.id
        return vals
