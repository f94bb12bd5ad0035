from odoo import fields, models


class RecallRemedy(models.Model):
    _name = "recall.remedy"
    _description = "Recall Remedy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [("refund", "Refund"), ("replace", "Replace"), ("repair", "Repair"), ("destroy", "Destroy on Site")],
        required=True,
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)

    def _get_return_resolution(self):
        """The core return resolution that delivers this remedy."""
        self.ensure_one()
        return {"refund": "refund", "replace": "exchange", "repair": "none"}.get(self.code, "none")
