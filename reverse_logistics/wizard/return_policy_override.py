from odoo import fields, models


class ReturnPolicyOverride(models.TransientModel):
    _name = "return.policy.override"
    _description = "Accept a Return Outside its Window"

    return_order_id = fields.Many2one("return.order", required=True)
    policy_problems = fields.Text(related="return_order_id.policy_problems")
    reason = fields.Text(required=True, help="Kept in the return's chatter.")

    def action_confirm(self):
        self.ensure_one()
        self.return_order_id._override_window(self.reason)
        return {"type": "ir.actions.act_window_close"}
