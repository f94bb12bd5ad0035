from odoo import fields, models


class StockScrap(models.Model):
    _inherit = "stock.scrap"

    return_grading_id = fields.Many2one(
        "return.grading", string="Graded Return Units", index="btree_not_null", readonly=True, copy=False,
    )
    environmental_outcome = fields.Selection(
        [("reused", "Reused"), ("recycled", "Recycled"), ("landfill", "Landfill")],
    )
    disposal_weight = fields.Float(string="Weight", digits="Stock Weight")
    certificate_ref = fields.Char(
        string="Certificate", help="Reference of the recycling or destruction certificate.",
    )
