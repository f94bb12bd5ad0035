from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnDispositionRule(models.Model):
    _inherit = "return.disposition.rule"

    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", index="btree_not_null", check_company=True,
        help="The brand whose goods this rule decides: tried before the general rules for the brand's units, "
             "never for the company's own or another brand's. Empty: any owner.",
    )

    @api.constrains("client_id", "company_id")
    def _check_client_company(self):
        for rule in self.filtered("client_id"):
            # A brand's rule belongs to the company that serves the brand: 'every company' would let it
            # decide in a company the brand is no client of.
            if not rule.company_id or (rule.client_id.company_id
                                       and rule.client_id.company_id != rule.company_id):
                raise ValidationError(self.env._(
                    "Rule %(rule)s for %(client)s names the company that handles the brand's goods.",
                    rule=rule.name, client=rule.client_id.display_name))

    def _find_decision(self, grading):
        # The brand's own rules first (in their order), then the general ones.
        client = grading._get_goods_owner()
        own = self.filtered(lambda r: client and r.client_id == client)
        return super(ReturnDispositionRule, own | (self - own))._find_decision(grading)

    def _matches(self, grading, unit_value):
        if self.client_id and self.client_id != grading._get_goods_owner():
            return False
        return super()._matches(grading, unit_value)
