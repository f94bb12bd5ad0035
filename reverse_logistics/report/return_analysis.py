from odoo import api, fields, models, tools
from odoo.tools import SQL

DURATION_BUCKETS = [
    ("a_1d", "Under 1 day"),
    ("b_3d", "1 to 3 days"),
    ("c_7d", "3 to 7 days"),
    ("d_14d", "7 to 14 days"),
    ("e_more", "14 days or more"),
    ("open", "Not yet"),
]


class ReturnAnalysis(models.Model):
    """One row per return line: its quantities, values, grade, disposition, dates and durations.

    Values are the line's recovery ledger, in company currency. Environmental figures come from the
    line's first gradings once dispositioned (a regrade after refurbishment is the same unit), as the
    dashboard counts them; grade and disposition are those of the line's current gradings (the one
    covering most units when several apply).
    """

    _name = "return.analysis"
    _description = "Return Analysis"
    _auto = False
    _rec_name = "name"
    _order = "date_request desc, id desc"

    name = fields.Char(string="Return", readonly=True)
    order_id = fields.Many2one("return.order", string="Return Order", readonly=True)
    line_id = fields.Many2one("return.order.line", string="Return Line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    reason_id = fields.Many2one("return.reason", readonly=True)
    return_type_id = fields.Many2one("return.type", readonly=True)
    state = fields.Selection(lambda self: self.env["return.order"]._fields["state"].selection, readonly=True)
    resolution = fields.Selection(
        lambda self: self.env["return.order"]._fields["resolution"].selection, readonly=True)
    disposition_status = fields.Selection(
        lambda self: self.env["return.order"]._fields["disposition_status"].selection,
        string="Processing", readonly=True)
    grade_id = fields.Many2one("return.grade", readonly=True,
                               help="Grade of the line's current gradings (the one covering most units).")
    disposition_id = fields.Many2one("return.disposition", readonly=True,
                                     help="Disposition of the line's current gradings (the one covering most units).")
    operation = fields.Selection(
        lambda self: self.env["return.disposition"]._fields["operation"].selection, readonly=True)

    date_request = fields.Datetime(string="Requested On", readonly=True)
    date_approved = fields.Datetime(string="Approved On", readonly=True)
    date_received = fields.Datetime(string="First Receipt On", readonly=True)
    date_resolved = fields.Datetime(string="Resolved On", readonly=True)
    date_dispositioned = fields.Datetime(string="Processed On", readonly=True)

    qty_requested = fields.Float(string="Requested Qty", digits="Product Unit of Measure", readonly=True)
    qty_received = fields.Float(string="Received Qty", digits="Product Unit of Measure", readonly=True)
    qty_refunded = fields.Float(string="Credited Qty", digits="Product Unit of Measure", readonly=True)
    qty_graded = fields.Float(string="Graded Qty", digits="Product Unit of Measure", readonly=True)
    qty_dispositioned = fields.Float(string="Dispositioned Qty", digits="Product Unit of Measure", readonly=True)
    qty_back_to_stock = fields.Float(
        string="Back to Stock Qty", digits="Product Unit of Measure", readonly=True,
        help="Units dispositioned to restock, repackage or refurbish.")

    qty_kept = fields.Float(string="Kept Units", digits="Product Unit of Measure", readonly=True,
                            help="Units credited that the customer keeps (keep-the-item refunds): nothing came back.")
    kept_value = fields.Monetary(readonly=True,
                                 help="Refunded for units the customer keeps (company currency).")
    requested_value = fields.Monetary(
        readonly=True, currency_field="order_currency_id",
        help="Untaxed value of the requested units at the return's prices, in the return's currency.")
    order_currency_id = fields.Many2one("res.currency", string="Return Currency", readonly=True)
    refund_amount = fields.Monetary(
        string="Refunded", readonly=True,
        help="Untaxed amount of the posted credit notes for the line, net of the restocking fee, "
        "in company currency.")
    restocking_fee = fields.Monetary(string="Restocking Fees", readonly=True,
                                     help="Restocking fees charged on the credit notes, in company currency.")
    processing_cost = fields.Monetary(readonly=True,
                                      help="Cost of the dispositions run on the line's units, in company currency.")
    recovery_value = fields.Monetary(
        string="Recovered Value", readonly=True,
        help="Value recovered by the dispositions: graded unit value times the disposition's value realized, "
        "in company currency.")
    net_recovery = fields.Monetary(readonly=True, help="Recovered value less processing cost.")
    return_cost = fields.Monetary(readonly=True, help="What the line cost the company: refund less net recovery.")

    hours_to_resolution = fields.Float(
        string="Request to Resolution (hours)", digits=(16, 2), aggregator="avg", readonly=True,
        help="Hours from the customer's request to the resolution (credit note, store credit or replacement) "
        "of the return; empty while unresolved. Averaged over lines.")
    days_to_resolution = fields.Float(
        string="Request to Resolution (days)", digits=(16, 2), aggregator="avg", readonly=True,
        help="Request to resolution in days (hours / 24).")
    hours_to_processed = fields.Float(
        string="Receipt to Processed (hours)", digits=(16, 2), aggregator="avg", readonly=True,
        help="Hours from the first receipt to the end of the last disposition of the return; empty while "
        "units wait. Averaged over lines.")
    days_to_processed = fields.Float(
        string="Receipt to Processed (days)", digits=(16, 2), aggregator="avg", readonly=True,
        help="Receipt to processed in days (hours / 24).")
    resolution_bucket = fields.Selection(DURATION_BUCKETS, string="Resolution Time", readonly=True,
                                         help="Request to resolution, in ranges of days.")
    processing_bucket = fields.Selection(DURATION_BUCKETS, string="Processing Time", readonly=True,
                                         help="First receipt to processed, in ranges of days.")

    qty_processed = fields.Float(
        string="Processed Qty", digits="Product Unit of Measure", readonly=True,
        help="Units whose first grading has been dispositioned (a regrade after refurbishment is the same unit).")
    graded_value = fields.Monetary(
        readonly=True,
        help="Graded unit value times quantity of the processed units, in company currency: what the "
        "recovered value is measured against.")
    qty_disposed = fields.Float(
        string="Recycled or Disposed Qty", digits="Product Unit of Measure", readonly=True,
        help="Processed units recycled or disposed of.")
    disposal_cost = fields.Monetary(
        readonly=True, help="Processing cost of the units recycled or disposed of, in company currency.")
    weight_processed = fields.Float(
        string="Weight Processed (kg)", digits="Stock Weight", readonly=True,
        help="Weight of the dispositioned units (product weight times quantity).")
    weight_landfill = fields.Float(
        string="Weight to Landfill (kg)", digits="Stock Weight", readonly=True,
        help="Weight of the units whose disposition ends in landfill.")
    weight_diverted = fields.Float(
        string="Weight Diverted (kg)", digits="Stock Weight", readonly=True,
        help="Weight processed less weight to landfill: kept out of landfill by reuse or recycling. "
        "Landfill diversion rate = weight diverted / weight processed.")
    co2_avoided_kg = fields.Float(
        string="CO2e Avoided (kg)", digits=(16, 3), readonly=True,
        help="Emissions avoided, in kg CO2 equivalent: minus the sum over dispositioned units of weight times "
        "the disposition's factor 'CO2e per kg' (negative factors are savings, e.g. reuse). "
        "A negative figure means the dispositions emitted more than they avoided.")

    def _select(self):
        return SQL("""
            l.id AS id, l.id AS line_id, o.id AS order_id, o.name AS name, l.company_id,
            c.currency_id AS currency_id, o.currency_id AS order_currency_id, o.warehouse_id,
            o.commercial_partner_id AS partner_id, o.user_id, l.product_id, pt.categ_id, l.reason_id,
            o.return_type_id, o.state, o.resolution, o.disposition_status,
            cur.grade_id, cur.disposition_id, COALESCE(cur.operation, d.operation) AS operation,
            o.date_request, o.date_approved, o.date_first_receipt AS date_received, o.date_resolved,
            o.date_dispositioned,
            l.product_uom_qty AS qty_requested, l.qty_received, l.qty_refunded, l.qty_graded,
            l.qty_dispositioned, COALESCE(env.back_to_stock, 0) AS qty_back_to_stock,
            CASE WHEN l.kept_by_customer THEN l.qty_refunded ELSE 0 END AS qty_kept,
            CASE WHEN l.kept_by_customer THEN COALESCE(l.refund_amount, 0) ELSE 0 END AS kept_value,
            l.price_subtotal AS requested_value,
            l.refund_amount, l.restocking_fee_charged AS restocking_fee, l.processing_cost,
            l.recovery_value, l.net_recovery,
            COALESCE(l.refund_amount, 0) - COALESCE(l.net_recovery, 0) AS return_cost,
            dur.res_h AS hours_to_resolution, dur.res_h / 24.0 AS days_to_resolution,
            dur.proc_h AS hours_to_processed, dur.proc_h / 24.0 AS days_to_processed,
            %(res_bucket)s AS resolution_bucket, %(proc_bucket)s AS processing_bucket,
            COALESCE(env.qty, 0) AS qty_processed, COALESCE(env.graded_value, 0) AS graded_value,
            COALESCE(env.disposed_qty, 0) AS qty_disposed, COALESCE(env.disposal_cost, 0) AS disposal_cost,
            COALESCE(env.weight, 0) AS weight_processed, COALESCE(env.landfill, 0) AS weight_landfill,
            COALESCE(env.weight, 0) - COALESCE(env.landfill, 0) AS weight_diverted,
            -COALESCE(env.co2, 0) AS co2_avoided_kg
        """, res_bucket=self._bucket(SQL("dur.res_h")), proc_bucket=self._bucket(SQL("dur.proc_h")))

    @api.model
    def _bucket(self, hours):
        return SQL("""CASE WHEN %(h)s IS NULL THEN 'open' WHEN %(h)s < 24 THEN 'a_1d' WHEN %(h)s < 72 THEN 'b_3d'
                      WHEN %(h)s < 168 THEN 'c_7d' WHEN %(h)s < 336 THEN 'd_14d' ELSE 'e_more' END""", h=hours)

    @api.model
    def _get_back_to_stock_operations(self):
        """Operations that put a unit back on sale (the return-to-stock rate counts them)."""
        return ["restock", "repackage", "refurbish"]

    @api.model
    def _get_disposed_operations(self):
        """Operations that end a unit's life (the disposal cost per unit counts them)."""
        return ["recycle", "dispose"]

    def _from(self):
        return SQL("""
            return_order_line l
            JOIN return_order o ON o.id = l.order_id
            JOIN res_company c ON c.id = l.company_id
            JOIN product_product pp ON pp.id = l.product_id
            JOIN product_template pt ON pt.id = pp.product_tmpl_id
            CROSS JOIN LATERAL (
                SELECT CASE WHEN o.date_resolved IS NOT NULL
                            THEN EXTRACT(EPOCH FROM o.date_resolved - o.date_request) / 3600.0 END AS res_h,
                       CASE WHEN o.date_dispositioned IS NOT NULL AND o.date_first_receipt IS NOT NULL
                            THEN EXTRACT(EPOCH FROM o.date_dispositioned - o.date_first_receipt) / 3600.0
                       END AS proc_h
            ) dur
            LEFT JOIN LATERAL (
                SELECT SUM(g.weight) AS weight, SUM(g.landfill_weight) AS landfill, SUM(g.co2_kg) AS co2,
                       SUM(g.quantity) FILTER (WHERE g.operation IN %(back)s) AS back_to_stock,
                       SUM(g.quantity) AS qty, SUM(g.unit_value * g.quantity) AS graded_value,
                       SUM(g.quantity) FILTER (WHERE g.operation IN %(disposed)s) AS disposed_qty,
                       SUM(g.processing_cost) FILTER (WHERE g.operation IN %(disposed)s) AS disposal_cost
                  FROM return_grading g
                 WHERE g.line_id = l.id AND g.previous_grading_id IS NULL AND g.state != 'graded'
            ) env ON TRUE
            LEFT JOIN LATERAL (
                SELECT g.grade_id, g.disposition_id, g.operation
                  FROM return_grading g
                 WHERE g.line_id = l.id
                   AND NOT EXISTS (SELECT 1 FROM return_grading r WHERE r.previous_grading_id = g.id)
                 ORDER BY g.quantity DESC, g.id
                 LIMIT 1
            ) cur ON TRUE
            LEFT JOIN return_disposition d ON d.id = cur.disposition_id
        """, back=tuple(self._get_back_to_stock_operations()), disposed=tuple(self._get_disposed_operations()))

    def _where(self):
        # Submitted returns, waiting for approval included; drafts never asked for are not returns yet.
        return SQL("o.state != 'cancel' AND (o.state != 'draft' OR o.date_submitted IS NOT NULL)")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL(
            "CREATE OR REPLACE VIEW %s AS (SELECT %s FROM %s WHERE %s)",
            SQL.identifier(self._table), self._select(), self._from(), self._where(),
        ))

    @api.readonly
    def action_open_return(self):
        """A row opens its return, where the receipts, credit notes and gradings are one click away."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "return.order",
            "res_id": self.order_id.id,
            "views": [(False, "form")],
            "target": "current",
        }
