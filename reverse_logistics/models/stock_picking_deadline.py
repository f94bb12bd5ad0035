from odoo import models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def button_validate(self):
        expired = self.return_order_id.filtered(lambda o: o.state == "expired")
        if expired:
            # Its units were freed for other returns: a manager reopens it first, with a new receipt.
            raise UserError(self.env._(
                "%(names)s expired: a Returns Manager must reopen it before its goods are received.",
                names=", ".join(expired.mapped("name"))))
        return super().button_validate()
