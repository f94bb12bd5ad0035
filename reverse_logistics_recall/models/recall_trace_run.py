from odoo import fields, models


class RecallTraceRun(models.Model):
    """One run of the trace, kept for the record: mock recalls are judged on these timings. Written by the
    trace alone: users read them (their access rights have no write, create or delete)."""

    _name = "recall.trace.run"
    _description = "Recall Trace Run"
    _order = "id desc"

    campaign_id = fields.Many2one("recall.campaign", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    is_mock = fields.Boolean(string="Mock Recall")
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1), aggregator="avg")
    lot_count = fields.Integer(string="Lots Affected")
    consignee_count = fields.Integer(string="Consignees")
    units_shipped = fields.Float()
    units_on_hand = fields.Float()
    changes = fields.Text(help="What changed since the previous trace.")
