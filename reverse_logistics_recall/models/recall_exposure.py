from odoo import api, fields, models


class RecallExposure(models.Model):
    """The frozen scope of a recall: one row per consignee, product and lot (and the supplier
    receipts and on-hand stock of the affected lots), as the last trace found them."""

    _name = "recall.exposure"
    _description = "Recall Exposure"
    _order = "campaign_id, kind, partner_id, product_id, lot_id"

    campaign_id = fields.Many2one("recall.campaign", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    kind = fields.Selection(
        [("consignee", "Consignee"), ("supplier", "Supplier Receipt"), ("on_hand", "On Hand")],
        required=True, index=True,
    )
    partner_id = fields.Many2one("res.partner", string="Partner", index=True)
    location_id = fields.Many2one("stock.location", string="Location")
    product_id = fields.Many2one("product.product", required=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", required=True)
    depth = fields.Integer(
        string="Production Depth", help="0: an affected lot itself; 1: made from one; and so on.",
    )
    qty_shipped = fields.Float(string="Shipped", digits="Product Unit of Measure")
    qty_returned_before = fields.Float(
        string="Returned Before Recall", digits="Product Unit of Measure",
        help="Units the consignee had already sent back when the recall was traced.",
    )
    qty_exposed = fields.Float(string="Exposed", digits="Product Unit of Measure")
    qty_received = fields.Float(string="Received", digits="Product Unit of Measure")
    qty_on_hand = fields.Float(string="On Hand", digits="Product Unit of Measure")
    references = fields.Char(string="Transfers")
    date_first = fields.Datetime(string="First Movement")
    date_last = fields.Datetime(string="Last Movement")
    consignee_id = fields.Many2one("recall.consignee", index=True, ondelete="set null")
    ack_state = fields.Selection(related="consignee_id.state", string="Acknowledgement")
    qty_retrieved = fields.Float(
        string="Retrieved", digits="Product Unit of Measure", compute="_compute_retrieval", store=True,
        help="Units received back through recall returns.",
    )
    qty_destroyed = fields.Float(
        string="Destroyed on Site", digits="Product Unit of Measure", readonly=True,
    )

    @api.depends("consignee_id.return_order_ids.line_ids.qty_received")
    def _compute_retrieval(self):
        for row in self:
            lines = row.consignee_id.return_order_ids.line_ids.filtered(
                lambda line, row=row: line.product_id == row.product_id and line.lot_id == row.lot_id)
            row.qty_retrieved = sum(lines.mapped("qty_received"))
