from odoo import api, fields, models
from odoo.tools import SQL


class RecallExposure(models.Model):
    """The frozen scope of a recall: one row per consignee, product and lot (and the supplier
    receipts and on-hand stock of the affected lots), as the last trace found them.

    Units a consignee sent back before the recall was activated are frozen at activation
    (`qty_returned_before`); whatever it sends back afterwards, by any path (recall returns, Odoo's
    Return wizard, receipts), is retrieved by the recall (`qty_retrieved`), kept up to date when the
    units arrive and by every re-trace. Nobody writes these figures by hand."""

    _name = "recall.exposure"
    _description = "Recall Exposure"
    _order = "campaign_id, kind, partner_id, product_id, lot_id"
    # A large recall writes tens of thousands of rows in one save, where each foreign key costs a lookup
    # per row: the rows carry no log columns (the trace run says who traced and when) and read their
    # company from the campaign rather than store a copy of it.
    _log_access = False

    campaign_id = fields.Many2one("recall.campaign", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id")
    kind = fields.Selection(
        [("consignee", "Consignee"), ("supplier", "Supplier Receipt"), ("on_hand", "On Hand")],
        required=True, index=True,
    )
    partner_id = fields.Many2one("res.partner", index=True)
    location_id = fields.Many2one("stock.location")
    product_id = fields.Many2one("product.product", required=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", required=True)
    depth = fields.Integer(
        string="Production Depth", help="0: an affected lot itself; 1: made from one; and so on.",
    )
    qty_shipped = fields.Float(string="Shipped", digits="Product Unit of Measure")
    qty_returned_before = fields.Float(
        string="Returned Before Recall", digits="Product Unit of Measure",
        help="Units the consignee had sent back before the recall was activated (frozen at activation; "
        "until then, what it sent back when the recall was traced).",
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
        string="Retrieved", digits="Product Unit of Measure", readonly=True,
        help="Units the consignee sent back since the recall was activated, by any path.",
    )
    qty_destroyed = fields.Float(
        string="Destroyed on Site", digits="Product Unit of Measure", readonly=True,
    )
    qty_left = fields.Float(
        string="Still Held", digits="Product Unit of Measure", compute="_compute_qty_left",
        help="Exposed less retrieved and destroyed: what the consignee may still send back or destroy.")

    @api.depends("qty_exposed", "qty_retrieved", "qty_destroyed")
    def _compute_qty_left(self):
        for row in self:
            row.qty_left = max(row.qty_exposed - row.qty_retrieved - row.qty_destroyed, 0.0)

    @api.model
    def _update_retrieved(self, keys):
        """Units just received back from customers, as {(company, partner, product, lot)} ids: the live
        recalls' consignee rows of those keys count them as retrieved, as a re-trace would (every unit sent
        back by the partner since activation, net of what was frozen as returned before)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL(
            """
            SELECT e.id, GREATEST(COALESCE((
                       SELECT SUM(ml.quantity_product_uom)
                         FROM stock_move_line ml
                         JOIN stock_location src ON src.id = ml.location_id AND src.usage = 'customer'
                         JOIN stock_location dst ON dst.id = ml.location_dest_id AND dst.usage != 'customer'
                        WHERE ml.lot_id = e.lot_id AND ml.product_id = e.product_id AND ml.state = 'done'
                          AND ml.recall_partner_id = e.partner_id AND ml.company_id = c.company_id
                   ), 0.0) - e.qty_returned_before, 0.0)
              FROM recall_exposure e
              JOIN recall_campaign c ON c.id = e.campaign_id
              JOIN unnest(%s::int[], %s::int[], %s::int[], %s::int[]) AS k(company_id, partner_id, product_id, lot_id)
                ON k.company_id = c.company_id AND k.partner_id = e.partner_id AND k.product_id = e.product_id
               AND k.lot_id = e.lot_id
             WHERE e.kind = 'consignee' AND c.state IN ('active', 'monitoring') AND c.date_activated IS NOT NULL
            """, *(list(column) for column in zip(*keys, strict=True))))
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for exposure_id, retrieved in cr.fetchall():
            row = self.sudo().browse(exposure_id)
            retrieved = round(retrieved, digits)
            if row.qty_retrieved != retrieved:
                row.qty_retrieved = retrieved
