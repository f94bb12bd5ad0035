from odoo import api, fields, models
from odoo.tools import ormcache


class ReturnClientDisposition(models.Model):
    """What a disposition realizes and costs for one brand's goods, where the brand's channels differ from
    the 3PL's (its own liquidator, its refurbisher's price): the grading reads these terms instead of the
    disposition's, and freezes the values when the disposition runs."""

    _name = "return.client.disposition"
    _description = "Client Disposition Terms"
    _order = "client_id, disposition_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", required=True, index=True, check_company=True, ondelete="cascade",
        domain="[('is_company', '=', True)]")
    disposition_id = fields.Many2one(
        "return.disposition", required=True, index=True, ondelete="cascade", check_company=True)
    recovery_share = fields.Float(
        string="Value Realized (%)", digits=(5, 2), default=100.0,
        help="Share of the graded value the brand's channel realizes for this disposition.")
    processing_cost = fields.Float(
        string="Processing Cost per Unit", digits="Product Price",
        help="What this disposition costs per unit of the brand's goods, in company currency.")

    _sql_constraints = [
        ("client_disposition_uniq", "unique(company_id, client_id, disposition_id)",
         "A brand has one set of terms per disposition."),
    ]

    @api.constrains("recovery_share", "processing_cost")
    def _check_values(self):
        for terms in self:
            self.env["return.disposition"]._check_terms(terms.recovery_share, terms.processing_cost)

    @api.depends("client_id.display_name", "disposition_id.display_name")
    def _compute_display_name(self):
        for terms in self:
            terms.display_name = f"{terms.client_id.display_name}: {terms.disposition_id.display_name}"

    @api.model
    def _get_terms(self, company, client, disposition):
        """(value realized %, processing cost) of `disposition` for `client`'s goods, or None."""
        return self._get_terms_cached(company.id, client.id, disposition.id)

    @api.model
    @ormcache("company_id", "client_id", "disposition_id")
    def _get_terms_cached(self, company_id, client_id, disposition_id):
        # Read for every unit a batch decides and values: cached, cleared when any terms change.
        terms = self.sudo().search([("company_id", "=", company_id), ("client_id", "=", client_id),
                                    ("disposition_id", "=", disposition_id)], limit=1)
        return (terms.recovery_share, terms.processing_cost) if terms else None

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
