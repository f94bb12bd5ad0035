from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class WeeeRegister(models.TransientModel):
    """The WEEE take-back register of a company for a period (WEEE Directive 2012/19/EU).

    Collected: take-back units received in the period, per Annex III category and source. Treated: the
    dispositions run in the period, per treatment, with the recovery and recycling rates set beside the
    Annex V targets. Recomputed from receipts and gradings each time, never from counters.
    """

    _name = "weee.register"
    _inherit = ["reverse.logistics.compliance.register.mixin"]
    _description = "WEEE Take-back Register"

    company_id = fields.Many2one(domain=lambda self: [("id", "in", self.env.companies.ids)])
    line_ids = fields.One2many("weee.register.line", "register_id", string="Categories", readonly=True)

    @api.model
    def _get_register_columns(self):
        names = [
            "weee_category", "units_household", "units_business", "kg_household", "kg_business", "kg_collected",
            "kg_reuse", "kg_recycling", "kg_recovery", "kg_disposal", "kg_treated",
            "recovery_rate", "recovery_target", "recycling_rate", "recycling_target", "targets_met",
        ]
        fields_ = self.env["weee.register.line"]._fields
        return [(name, fields_[name].string) for name in names]

    def _get_register_lines(self):
        return self.line_ids

    def _check_register_company(self):
        for register in self:
            if register.company_id not in self.env.user.company_ids:
                raise AccessError(self.env._("You cannot read the registers of %(company)s.",
                                             company=register.company_id.name))

    def action_compute(self):
        """(Re)build the lines from the records. Read as the system once the user is known to work for the
        company: a Returns Manager needs no Inventory rights to read the receipts behind the figures."""
        self._check_register_company()
        for register in self:
            if register.date_from > register.date_to:
                raise UserError(self.env._("The period ends before it starts."))
            start, end = register._get_period_bounds()
            lines = self.env["weee.register.line"]
            vals_list = lines.sudo()._prepare_register_lines(register.company_id, start, end)
            register.line_ids.unlink()
            lines.create([dict(vals, register_id=register.id) for vals in vals_list])
        if len(self) == 1:
            return {
                "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "current",
            }
        return True

    def _get_pdf_report(self):
        return self.env.ref("reverse_logistics_weee.action_report_weee_register")
