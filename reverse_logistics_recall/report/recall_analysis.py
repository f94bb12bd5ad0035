from odoo import fields, models, tools
from odoo.tools import SQL


class RecallAnalysis(models.Model):
    """One row per consignee exposure of a recall: what was shipped, what came back or was destroyed.

    Effectiveness of any group = (retrieved + destroyed) / exposed, as on the campaign: sum the
    quantities, never average the rates.
    """

    _name = "recall.analysis"
    _description = "Recall Analysis"
    _auto = False
    _order = "date_initiated desc, id desc"

    campaign_id = fields.Many2one("recall.campaign", string="Recall", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    campaign_state = fields.Selection(
        lambda self: self.env["recall.campaign"]._fields["state"].selection, string="Recall Status", readonly=True)
    severity = fields.Selection(
        lambda self: self.env["recall.campaign"]._fields["severity"].selection, readonly=True)
    is_mock = fields.Boolean(string="Mock Recall", readonly=True)
    date_initiated = fields.Date(string="Initiated On", readonly=True)
    consignee_id = fields.Many2one("recall.consignee", string="Consignee Follow-up", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Consignee", readonly=True)
    chain_depth = fields.Selection(
        lambda self: self.env["recall.consignee"]._fields["depth"].selection, string="Distribution Depth",
        readonly=True, help="Where the consignee stands in the distribution chain.")
    production_depth = fields.Integer(
        readonly=True, help="0: an affected lot itself; 1: made from one; and so on.")
    ack_state = fields.Selection(
        lambda self: self.env["recall.consignee"]._fields["state"].selection, string="Acknowledgement",
        readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", readonly=True)
    qty_exposed = fields.Float(
        string="Exposed", digits="Product Unit of Measure", readonly=True,
        help="Units shipped to the consignee less those it had sent back before the recall.")
    qty_retrieved = fields.Float(string="Retrieved", digits="Product Unit of Measure", readonly=True,
                                 help="Units received back through recall returns.")
    qty_destroyed = fields.Float(string="Destroyed on Site", digits="Product Unit of Measure", readonly=True,
                                 help="Units the consignee confirmed destroyed.")
    qty_resolved = fields.Float(
        string="Retrieved or Destroyed", digits="Product Unit of Measure", readonly=True,
        help="Retrieved + destroyed. Effectiveness = this / exposed.")
    qty_outstanding = fields.Float(
        string="Outstanding", digits="Product Unit of Measure", readonly=True,
        help="Exposed less retrieved and destroyed: units still in the market.")
    hours_to_acknowledge = fields.Float(
        string="Notice to Acknowledgement (hours)", digits=(16, 2), aggregator="avg", readonly=True,
        help="Hours from the consignee's notice to its acknowledgement; empty until acknowledged.")

    def _query(self):
        return SQL("""
            SELECT e.id, e.campaign_id, c.company_id, c.state AS campaign_state, c.severity, c.is_mock,
                   c.date_initiated, e.consignee_id, e.partner_id, k.depth AS chain_depth,
                   e.depth AS production_depth, k.state AS ack_state, e.product_id, pt.categ_id, e.lot_id,
                   e.qty_exposed, e.qty_retrieved, COALESCE(e.qty_destroyed, 0) AS qty_destroyed,
                   e.qty_retrieved + COALESCE(e.qty_destroyed, 0) AS qty_resolved,
                   e.qty_exposed - e.qty_retrieved - COALESCE(e.qty_destroyed, 0) AS qty_outstanding,
                   EXTRACT(EPOCH FROM k.date_acknowledged - k.date_notified) / 3600.0 AS hours_to_acknowledge
              FROM recall_exposure e
              JOIN recall_campaign c ON c.id = e.campaign_id
              JOIN product_product pp ON pp.id = e.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN recall_consignee k ON k.id = e.consignee_id
             WHERE e.kind = 'consignee'
        """)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
