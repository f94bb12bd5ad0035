from odoo import models


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    def _get_reserved_qty(self):
        """An expired return holds nothing back, like a cancelled one: its units are returnable again."""
        if self.order_id.state == "expired":
            return 0.0
        return super()._get_reserved_qty()
