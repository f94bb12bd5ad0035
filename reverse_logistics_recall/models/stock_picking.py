from odoo import api, fields, models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    recall_campaign_id = fields.Many2one(
        "recall.campaign", string="Recall", index="btree_not_null", readonly=True, copy=False,
        help="The recall whose quarantine (or release) made this transfer: its own units in quarantine are "
        "counted from these transfers, so only the recall sets it.")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("recall_campaign_id") for vals in vals_list):
            raise UserError(self.env._("Only a recall's quarantine or release makes a recall's transfers."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "recall_campaign_id" in vals:
            raise UserError(self.env._("Only a recall's quarantine or release makes a recall's transfers."))
        return super().write(vals)
