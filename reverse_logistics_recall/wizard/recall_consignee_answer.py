from odoo import api, fields, models

from ..models.recall_consignee import CONTACT_METHODS


class RecallConsigneeAnswer(models.TransientModel):
    """The coordinator takes down a consignee's answer received by phone, letter, e-mail or a visit; it is
    checked and recorded as a portal answer is (`recall.consignee._register_response`)."""

    _name = "recall.consignee.answer"
    _description = "Record a Recall Answer"

    consignee_id = fields.Many2one("recall.consignee", required=True, readonly=True, ondelete="cascade")
    campaign_id = fields.Many2one(related="consignee_id.campaign_id")
    remedy_option_ids = fields.Many2many(related="consignee_id.campaign_id.remedy_ids")
    method = fields.Selection(CONTACT_METHODS, string="Received By", required=True, default="phone")
    units_held = fields.Float(digits="Product Unit of Measure", required=True)
    units_max = fields.Float(string="At Most", compute="_compute_units_max", digits="Product Unit of Measure")
    remedy_id = fields.Many2one("recall.remedy", string="Chosen Remedy", domain="[('id', 'in', remedy_option_ids)]")
    note = fields.Text(string="Comment")

    @api.depends("consignee_id")
    def _compute_units_max(self):
        for wizard in self:
            wizard.units_max = wizard.consignee_id._get_max_units_held() if wizard.consignee_id else 0.0

    def action_confirm(self):
        self.ensure_one()
        self.consignee_id._check_recall_manager()
        self.consignee_id._register_response(self.units_held, self.remedy_id, self.note, method=self.method)
        return {"type": "ir.actions.act_window_close"}
