from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context

RECALL_MANAGER = "reverse_logistics_recall.group_recall_manager"


class ReturnDefectSignal(models.Model):
    _inherit = "return.defect.signal"

    recall_campaign_ids = fields.Many2many(
        "recall.campaign", "return_defect_signal_recall_campaign_rel", string="Recalls", readonly=True)

    def _get_protected_fields(self):
        return super()._get_protected_fields() + ["recall_campaign_ids"]

    def _prepare_recall_campaign_vals(self):
        """A draft recall of the signal's product and affected lots, its evidence as the reason, for the
        Recall Manager to complete (class, depth, remedies) before tracing."""
        self.ensure_one()
        # Formatted before the call: Odoo's term export cannot read an f-string among its arguments.
        returned, delivered = f"{self.qty_returned:g}", f"{self.qty_delivered:g}"
        return {
            "title": self.env._("Returns of %(product)s", product=self.product_id.display_name),
            "company_id": self.company_id.id,
            "product_ids": [Command.set(self.product_id.ids)],
            "lot_ids": [Command.set(self.lot_ids.ids)],
            "reason": "\n".join(filter(None, [
                self.env._(
                    "%(returned)s of %(delivered)s units delivered came back in %(days)s days (%(rate)s %%).",
                    returned=returned, delivered=delivered, days=self.period_days, rate=round(self.rate, 2)),
                self.reason_summary, self.lot_summary,
            ])),
        }

    def action_create_recall(self):
        """A draft recall campaign pre-filled with the product and the lots (Recall Managers)."""
        self.ensure_one()
        if not self.env.user.has_group(RECALL_MANAGER):
            raise AccessError(self.env._("Only a Recall Manager may start a recall."))
        self.check_access("read")
        if self.state != "open":
            raise UserError(self.env._("This defect signal is closed."))
        # Created as the Recall Manager, with his own rights on recalls; no default a client sends applies.
        campaign = self.env["recall.campaign"].with_context(clean_context(self.env.context)).create(
            self._prepare_recall_campaign_vals())
        self.sudo().recall_campaign_ids = [Command.link(campaign.id)]
        self.sudo().message_post(body=self.env._(
            "%(user)s started the recall %(recall)s.", user=self.env.user.name, recall=campaign.name))
        return {
            "type": "ir.actions.act_window", "res_model": "recall.campaign", "res_id": campaign.id,
            "view_mode": "form", "views": [(False, "form")],
        }
