from odoo import models


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
