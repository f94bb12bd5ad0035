from odoo import api, fields, models
from odoo.addons.reverse_logistics.tools import check_user_create, check_user_write
from odoo.exceptions import UserError, ValidationError

from .recall_consignee import CONTACT_METHODS


class RecallEffectivenessCheck(models.Model):
    """One effectiveness check (21 CFR 7.42(b)(3)): a consignee contacted to verify that it received the
    recall notice and did what it asks. The campaign's level says how many consignees to check
    (`recall.campaign.check_required_count`); each check is kept as made: date, method, result."""

    _name = "recall.effectiveness.check"
    _description = "Recall Effectiveness Check"
    _order = "date desc, id desc"
    _check_company_auto = True

    campaign_id = fields.Many2one("recall.campaign", string="Recall", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    consignee_id = fields.Many2one(
        "recall.consignee", required=True, ondelete="restrict", index=True,
        domain="[('campaign_id', '=', campaign_id)]")
    partner_id = fields.Many2one(related="consignee_id.partner_id", string="Partner")
    date = fields.Date(required=True, default=fields.Date.context_today)
    method = fields.Selection(CONTACT_METHODS, required=True, default="phone")
    result = fields.Selection(
        [("effective", "Notice received, instructions followed"),
         ("not_followed", "Notice received, instructions not followed"),
         ("not_received", "Notice not received"),
         ("not_reached", "Consignee could not be reached")],
        required=True)
    note = fields.Text()
    user_id = fields.Many2one("res.users", string="Checked By", default=lambda self: self.env.user, readonly=True)

    # A check is a fact: recorded once by the Recall Manager (who made it is the system's to say), later
    # only annotated.
    def _get_protected_fields(self):
        protected = ["user_id", "company_id", "partner_id"]
        if self:
            protected += ["campaign_id", "consignee_id", "date", "method", "result"]
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self = check_user_create(self, vals_list, self._get_protected_fields())  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self:
            check_user_write(self, vals, self._get_protected_fields())
        return super().write(vals)

    @api.constrains("campaign_id", "consignee_id", "date")
    def _check_campaign(self):
        today = fields.Date.context_today(self)
        for check in self:
            campaign = check.campaign_id
            if check.consignee_id.campaign_id != campaign:
                raise ValidationError(self.env._("%(partner)s is not a consignee of %(name)s.",
                                                 partner=check.partner_id.display_name, name=campaign.name))
            if campaign.is_mock:
                raise ValidationError(self.env._(
                    "%(name)s is a mock recall: nobody was notified, there is nothing to check.", name=campaign.name))
            if not campaign.date_activated or campaign.state not in ("active", "monitoring"):
                raise ValidationError(self.env._(
                    "Effectiveness checks are made while the recall is active (%(name)s is not).", name=campaign.name))
            if check.date > today or check.date < fields.Date.to_date(campaign.date_activated):
                raise ValidationError(self.env._(
                    "A check of %(name)s is dated between its activation and today.", name=campaign.name))

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("An effectiveness check stays on the recall's record; correct it with a note."))
