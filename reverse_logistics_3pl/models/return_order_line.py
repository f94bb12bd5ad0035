from odoo import api, models
from odoo.exceptions import UserError

# What a brand announced of a line: its own facts, which its approvals and fees read.
ANNOUNCED_FIELDS = ["order_id", "product_id", "product_uom_qty", "lot_id", "price_unit", "discount", "tax_ids"]


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    def _prepare_receipt_move_vals(self):
        vals_list = super()._prepare_receipt_move_vals()
        lines = {line.id: line for line in self}
        for vals in vals_list:
            owner = lines[vals["return_line_id"]].order_id._get_goods_owner()
            if owner:
                # The move's owner: its move lines (and the push moves copied from it) keep the client's
                # quants apart, so stock_account values none of them.
                vals["restrict_partner_id"] = owner.id
        return vals_list

    def _get_policy_problems(self):
        problems = super()._get_policy_problems()
        if self and all(line.order_id.is_blind_parcel for line in self):
            # A blind parcel is on the dock and its goods are the brand's: whether the brand takes them back
            # is the brand's to settle; the policy never keeps them out of the brand's stock.
            problems = [problem for problem in problems if problem[0] not in ("non_returnable", "window")]
        return problems

    def _get_protected_fields(self, names=(), orders=None):
        protected = super()._get_protected_fields(names, orders=orders)
        orders = self.order_id if orders is None else orders
        target = names.get("order_id") if isinstance(names, dict) else None
        if isinstance(target, int) and not isinstance(target, bool) and 0 < target < 2**31:
            # Lines moved into the brand's announcement are refused as lines added to it.
            orders |= self.env["return.order"].browse(target).exists()
        if any(order.is_client_announced for order in orders):
            protected += ANNOUNCED_FIELDS
        return protected

    @api.ondelete(at_uninstall=False)
    def _unlink_not_announced(self):
        if not self.env.su and any(line.order_id.is_client_announced for line in self):
            raise UserError(self.env._("The brand announced these lines: they stay as it announced them."))
