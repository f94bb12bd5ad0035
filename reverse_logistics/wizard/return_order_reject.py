from odoo import fields, models


class ReturnOrderReject(models.TransientModel):
    _name = "return.order.reject"
    _description = "Reject Return Orders"

    return_order_ids = fields.Many2many("return.order", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.return_order_ids._action_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
