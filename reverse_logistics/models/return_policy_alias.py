from odoo import models


class ReturnPolicy(models.Model):
    """An e-mail alias per policy (optional): customers write to it and a draft return is created under
    this policy, the mail thread staying in its chatter."""

    _name = "return.policy"
    _inherit = ["return.policy", "mail.alias.mixin.optional"]

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("return.order")
        if self.id:
            values["alias_defaults"] = repr({"policy_id": self.id, "company_id": self.company_id.id})
        return values
