from odoo import models


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    def _get_policy_problems(self):
        # A recall return is owed to the customer: no window, no non-returnable goods, no lot rule.
        return super(ReturnOrderLine, self.filtered(lambda line: not line.order_id._is_recall_return())) \
            ._get_policy_problems()
