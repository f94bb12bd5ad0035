from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnPolicy(models.Model):
    _inherit = "return.policy"

    return_carrier_id = fields.Many2one(
        "delivery.carrier", check_company=True, tracking=True,
        help="The carrier whose return label the customer gets when a return is approved. It must be able to "
             "make return labels (its connector generates returns).")

    @api.constrains("return_carrier_id")
    def _check_return_carrier_id(self):
        for policy in self:
            carrier = policy.return_carrier_id
            if carrier and not carrier.can_generate_return:
                raise ValidationError(self.env._(
                    "Return policy %(policy)s: the carrier %(carrier)s cannot make return labels.",
                    policy=policy.display_name, carrier=carrier.display_name))
