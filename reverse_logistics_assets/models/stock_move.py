from odoo import api, fields, models
from odoo.exceptions import UserError


class StockMove(models.Model):
    _inherit = "stock.move"

    asset_surplus = fields.Boolean(
        string="Counted Surplus", copy=False, readonly=True,
        help="Assets returned beyond what the partner held, accepted by a manager.",
    )
    asset_condition = fields.Selection(
        [("good", "Good"), ("repair", "To Repair"), ("scrap", "To Scrap")], copy=False,
        help="Condition of returned assets.",
    )
    asset_auto = fields.Boolean(copy=False, readonly=True, help="Added because the goods travel on these assets.")

    def _prepare_merge_moves_distinct_fields(self):
        return super()._prepare_merge_moves_distinct_fields() + ["asset_surplus", "asset_condition"]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced_asset_moves(self):
        asset_types = self.env["returnable.asset.type"]._get_by_product(self.product_id)
        invoiced = self.sudo().filtered(
            lambda m: m.product_id in asset_types and m.sale_line_id.invoice_lines.filtered(
                lambda aml: aml.parent_state == "posted"))
        if invoiced:
            raise UserError(self.env._(
                "Asset moves whose deposit was invoiced cannot be deleted: return the assets instead."))
