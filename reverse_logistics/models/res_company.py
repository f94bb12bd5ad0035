from odoo import api, models


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["return.policy"].sudo().create([
            company._prepare_default_return_policy_vals() for company in companies
        ])
        return companies

    def _prepare_default_return_policy_vals(self):
        self.ensure_one()
        return {
            "name": self.env._("Standard Returns"),
            "company_id": self.id,
            "is_default": True,
        }
