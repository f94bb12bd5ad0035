from odoo import fields, models
from odoo.tools import float_is_zero


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    is_returnable_asset = fields.Boolean(
        string="Returnable Asset", copy=False, help="Pallets, crates or kegs the goods travel on.",
    )

    def _prepare_invoice_line(self, **optional_values):
        vals = super()._prepare_invoice_line(**optional_values)
        # Archived types too: what their orders charged is still a deposit.
        asset_type = self.env["returnable.asset.type"]._get_by_product(
            self.product_id, active_test=False).get(self.product_id)
        if asset_type and asset_type.deposit_account_id and self._charges_asset_deposit(asset_type):
            # A deposit is owed back to the customer: a liability, not revenue.
            vals["account_id"] = asset_type.deposit_account_id.id
        return vals

    def _charges_asset_deposit(self, asset_type):
        """Whether this line charges a deposit. The asset line added on confirmation charged the deposit of
        that day (its price), whatever the type's deposit became since: raised, set to 0 for pooled assets,
        the type archived. A line of the asset's product added by hand follows the type's deposit."""
        self.ensure_one()
        if self.is_returnable_asset:
            return not float_is_zero(self.price_unit, precision_rounding=self.currency_id.rounding or 0.01)
        return bool(asset_type.deposit_price)
