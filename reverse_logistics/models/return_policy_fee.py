from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnPolicyFee(models.Model):
    _name = "return.policy.fee"
    _description = "Restocking Fee by Return Reason"
    _order = "policy_id, id"

    policy_id = fields.Many2one("return.policy", required=True, ondelete="cascade", index=True)
    reason_id = fields.Many2one("return.reason", required=True, ondelete="cascade")
    fee_percent = fields.Float(string="Restocking Fee (%)", digits=(5, 2))

    _sql_constraints = [
        ("policy_reason_uniq", "unique(policy_id, reason_id)", "A reason has one fee per policy."),
    ]

    @api.constrains("fee_percent", "reason_id")
    def _check_fee_percent(self):
        for fee in self:
            if not 0 <= fee.fee_percent <= 100:
                raise ValidationError(self.env._("A restocking fee is a percentage between 0 and 100."))
            if fee.reason_id.is_defect and fee.fee_percent:
                raise ValidationError(self.env._(
                    "No restocking fee may be charged for a defect (%(reason)s).", reason=fee.reason_id.name,
                ))
