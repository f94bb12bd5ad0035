from odoo import fields, models


class ReturnType(models.Model):
    _inherit = "return.type"

    is_recall = fields.Boolean(
        string="Recall",
        help="Returns of a recall campaign: received into quarantine, with the recall's notices to the consignee "
        "instead of the returns' mails.")
