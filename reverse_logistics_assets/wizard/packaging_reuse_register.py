from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class PackagingReuseRegister(models.TransientModel):
    """Re-use of the company's transport packaging over a period, per asset type (EU Packaging and
    Packaging Waste Regulation 2025/40). Rebuilt from the done stock moves each time."""

    _name = "packaging.reuse.register"
    _inherit = ["reverse.logistics.compliance.register.mixin"]
    _description = "Packaging Re-use Register"

    company_id = fields.Many2one(domain=lambda self: [("id", "in", self.env.companies.ids)])
    line_ids = fields.One2many("packaging.reuse.register.line", "register_id", string="Asset Types",
                               readonly=True)

    @api.model
    def _get_register_columns(self):
        names = ["asset_type_id", "tracked", "trips", "first_placed", "reused", "losses", "reuse_rate",
                 "average_rotations"]
        fields_ = self.env["packaging.reuse.register.line"]._fields
        return [(name, fields_[name].string) for name in names]

    def _get_register_lines(self):
        return self.line_ids

    def action_compute(self):
        """Read as the system once the user is known to work for the company (asset moves need
        Inventory rights an assets manager may not have)."""
        for register in self:
            if register.company_id not in self.env.user.company_ids:
                raise AccessError(self.env._("You cannot read the registers of %(company)s.",
                                             company=register.company_id.name))
            if register.date_from > register.date_to:
                raise UserError(self.env._("The period ends before it starts."))
            start, end = register._get_period_bounds()
            # Archived types too: their past periods stay as they were (a line when they moved in it).
            asset_types = self.env["returnable.asset.type"].sudo().with_context(active_test=False).search(
                [("company_id", "=", register.company_id.id)])
            lines = self.env["packaging.reuse.register.line"]
            vals_list = lines.sudo()._prepare_register_lines(asset_types, start, end)
            register.line_ids.unlink()
            lines.create([dict(vals, register_id=register.id) for vals in vals_list])
        if len(self) == 1:
            return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                    "view_mode": "form", "target": "current"}
        return True

    def _get_pdf_report(self):
        return self.env.ref("reverse_logistics_assets.action_report_packaging_reuse_register")
