from odoo import api, models
from odoo.exceptions import AccessError


class ReportAssetStatement(models.AbstractModel):
    """The statement PDF of a partner's returnable assets, as the user may read them: refused for a
    partner whose balances the user's record rules hide (a salesman's colleague's customer), rather than
    drawn empty."""

    _name = "report.reverse_logistics_assets.report_asset_statement"
    _description = "Returnable Asset Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        partners.check_access("read")
        balance_model = self.env["returnable.asset.balance"]
        balance_model.check_access("read")
        customers = partners.commercial_partner_id
        visible = balance_model.search([("partner_id", "in", customers.ids)])
        everything = balance_model.sudo().search([("partner_id", "in", customers.ids)])
        hidden = everything.partner_id - visible.partner_id
        if hidden:
            # Not naming them: the refusal says no more than the statement would have.
            raise AccessError(self.env._("You may not read the returnable asset statement of this customer."))
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "balances": {customer.id: visible.filtered(lambda b, c=customer: b.partner_id == c)
                         for customer in customers},
        }
