from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    recall_campaign_id = fields.Many2one("recall.campaign", string="Recall", index="btree_not_null", readonly=True)
