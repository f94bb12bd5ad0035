from odoo import fields, models


class ReturnType(models.Model):
    _inherit = "return.type"

    weee_takeback = fields.Boolean(
        string="WEEE Take-back",
        help="End-of-life equipment collected for the WEEE register: its source (household or business) "
        "is recorded and its collected weight reported.")
