from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnPolicy(models.Model):
    _inherit = "return.policy"

    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", index="btree_not_null", tracking=True, check_company=True,
        help="The brand whose goods this policy governs: its returns take the brand's default policy (windows, "
             "what is returnable) before the company's. Empty: the company's own policy, never used for a "
             "brand that has one of its own.",
    )

    # Service levels the brand buys (the grading target is the core's grading_sla_hours of the brand's policy).
    disposition_sla_hours = fields.Integer(
        string="Disposition Target (hours)", tracking=True,
        help="A client's units are dispositioned within this many hours after they first arrived. 0: no target.")
    sla_warning_hours = fields.Integer(
        string="Warn Before Target (hours)", default=4, tracking=True,
        help="The responsible gets an activity this many hours before a client's grading or disposition "
             "target is missed.")

    brand_approval_above = fields.Monetary(
        string="Brand Approves Dispositions Above", currency_field="currency_id", tracking=True,
        help="A disposition of the brand's units worth more than this (unit value times quantity, company "
             "currency) waits for the brand's approval on its portal before anything moves. 0: the 3PL "
             "decides alone.")

    @api.constrains("disposition_sla_hours", "sla_warning_hours")
    def _check_service_levels(self):
        for policy in self:
            if policy.disposition_sla_hours < 0 or policy.sla_warning_hours < 0:
                raise ValidationError(self.env._("Service level targets cannot be negative (0 switches them off)."))

    @api.constrains("brand_approval_above", "client_id")
    def _check_brand_approval(self):
        for policy in self:
            if policy.currency_id.compare_amounts(policy.brand_approval_above, 0) < 0:
                raise ValidationError(self.env._(
                    "The value above which the brand approves cannot be negative (0 switches it off)."))
            if policy.brand_approval_above and not policy.client_id:
                raise ValidationError(self.env._(
                    "Only a brand's policy asks the brand's approval: set the client (brand) of %(policy)s.",
                    policy=policy.name))

    @api.constrains("client_id", "company_id")
    def _check_client_company(self):
        for policy in self.filtered("client_id"):
            if policy.client_id.company_id and policy.client_id.company_id != policy.company_id:
                raise ValidationError(self.env._(
                    "%(policy)s governs goods of %(client)s, a partner of another company.",
                    policy=policy.name, client=policy.client_id.display_name))

    @api.model
    def _get_default_policy_domain(self, company):
        # The company's default governs its own goods: a brand's default policy is never the company's.
        return super()._get_default_policy_domain(company) + [("client_id", "=", False)]

    def _get_default_rivals_domain(self):
        # One default per brand, beside the company's own.
        return super()._get_default_rivals_domain() + [("client_id", "=", self.client_id.id)]

    @api.model
    def _get_client_default_policy(self, company, client):
        """The brand's default policy in this company (empty when the brand has none)."""
        return self.search([("company_id", "=", company.id), ("client_id", "=", client.id),
                            ("is_default", "=", True)], limit=1)
