"""The SQL of a recall's trace: the lot closure, the exposure rows, their transfers and dates, and the
critical tracking events of the FSMA export. Builders only (plain functions returning `SQL`): nothing
here reads the ORM or writes; `recall.campaign` runs them."""

from odoo.tools import SQL

# The saved scope of one trace, dropped at the end of the transaction (see recall.campaign._save_trace).
SCOPE_TABLE = SQL.identifier("recall_trace_scope")


def lot_closure_sql(lot_ids):
    """CTEs of the trace: `usage_ids` (location ids by usage), `down(lot_id, depth)` (the lots and
    everything made from them, at any depth) and `up(lot_id, depth)` (what they were made from).

    Produced lots are found through stock_move_line_consume_rel: a row (consume_line_id=F,
    produce_line_id=C) means finished line F consumed component line C. Only lines into (or out
    of) a production location can take part in it, so the recursion probes the relation for those
    alone rather than for every delivery of every lot it reaches.
    """
    return SQL(
        """
        usage_ids AS (
            SELECT ARRAY(SELECT id FROM stock_location WHERE usage = 'production') AS production,
                   ARRAY(SELECT id FROM stock_location WHERE usage = 'customer') AS customer,
                   ARRAY(SELECT id FROM stock_location WHERE usage = 'supplier') AS supplier,
                   ARRAY(SELECT id FROM stock_location WHERE usage = 'internal') AS internal
        ),
        down(lot_id, depth) AS (
            SELECT seed, 0 FROM unnest(%(lots)s::int[]) AS seed
          UNION
            SELECT fin.lot_id, down.depth + 1
              FROM down
              JOIN stock_move_line comp ON comp.lot_id = down.lot_id AND comp.state = 'done'
               AND comp.location_dest_id = ANY((SELECT production FROM usage_ids)::int[])
              JOIN stock_move_line_consume_rel rel ON rel.produce_line_id = comp.id
              JOIN stock_move_line fin ON fin.id = rel.consume_line_id
             WHERE fin.lot_id IS NOT NULL AND fin.state = 'done' AND down.depth < 30
        ),
        up(lot_id, depth) AS (
            SELECT seed, 0 FROM unnest(%(lots)s::int[]) AS seed
          UNION
            SELECT comp.lot_id, up.depth + 1
              FROM up
              JOIN stock_move_line fin ON fin.lot_id = up.lot_id AND fin.state = 'done'
               AND fin.location_id = ANY((SELECT production FROM usage_ids)::int[])
              JOIN stock_move_line_consume_rel rel ON rel.consume_line_id = fin.id
              JOIN stock_move_line comp ON comp.id = rel.produce_line_id
             WHERE comp.lot_id IS NOT NULL AND comp.state = 'done' AND up.depth < 30
        )
        """,
        lots=list(lot_ids),
    )

def trace_query(lot_ids, company_id, campaign_id=None, activated=False):
    """The exposure of the lots' closure (`_get_lot_closure_sql`) in one query.

    Rows: (kind, partner, location, product, lot, depth, shipped or received, returned before the
    recall, on hand, retrieved). Before activation (`activated` false) everything a consignee sent back
    was returned before the recall. Once the recall of `campaign_id` is active, what its rows froze at
    activation stays returned before, and the rest of what came back is retrieved; for a row the trace
    finds after activation, units sent back before `activated` are returned before.
    The transfers and dates of each row are read when the scope is saved
    (`trace_details_query`), so the trace itself carries nothing but the scope and quantities.
    """
    if activated:
        returned_before = SQL("COALESCE(e.qty_returned_before, f.returned_by_date)")
        frozen = SQL(
            """
            LEFT JOIN recall_exposure e ON e.campaign_id = %(campaign)s AND e.kind = 'consignee'
                  AND COALESCE(e.partner_id, 0) = COALESCE(f.partner_id, 0) AND e.product_id = f.product_id
                  AND e.lot_id = f.lot_id
            """, campaign=campaign_id)
    else:
        returned_before, frozen = SQL("f.returned"), SQL("")
    return SQL(
        """
        WITH RECURSIVE %(closure)s,
        affected AS (SELECT lot_id, MIN(depth) AS depth FROM down GROUP BY lot_id),
        flows AS (
            SELECT ml.lot_id, ml.product_id, a.depth, ml.recall_partner_id AS partner_id,
                   ml.quantity_product_uom::float8 AS qty, ml.date,
                   ml.location_dest_id = ANY((SELECT customer FROM usage_ids)::int[]) AS shipped
              FROM affected a
              JOIN stock_move_line ml ON ml.lot_id = a.lot_id AND ml.state = 'done'
             WHERE ml.company_id = %(company)s
               AND (ml.location_dest_id = ANY((SELECT customer FROM usage_ids)::int[])
                    OR ml.location_id = ANY((SELECT customer FROM usage_ids)::int[]))
        ),
        consignee_flows AS (
            SELECT partner_id, product_id, lot_id, MIN(depth) AS depth,
                   COALESCE(SUM(qty) FILTER (WHERE shipped), 0.0) AS shipped,
                   COALESCE(SUM(qty) FILTER (WHERE NOT shipped), 0.0) AS returned,
                   COALESCE(SUM(qty) FILTER (WHERE NOT shipped AND date < %(activated)s), 0.0)
                       AS returned_by_date
              FROM flows
             GROUP BY partner_id, product_id, lot_id
        )
        SELECT 'consignee', f.partner_id, NULL::int, f.product_id, f.lot_id, f.depth, f.shipped,
               %(returned_before)s, 0.0::float8, GREATEST(f.returned - %(returned_before)s, 0.0)
          FROM consignee_flows f
          %(frozen)s
        UNION ALL
        SELECT 'supplier', ml.recall_partner_id, NULL, ml.product_id, ml.lot_id, -MIN(up.depth),
               SUM(ml.quantity_product_uom)::float8, 0.0, 0.0, 0.0
          FROM (SELECT lot_id, MIN(depth) AS depth FROM up GROUP BY lot_id) up
          JOIN stock_move_line ml ON ml.lot_id = up.lot_id AND ml.state = 'done'
         WHERE ml.company_id = %(company)s AND ml.location_id = ANY((SELECT supplier FROM usage_ids)::int[])
         GROUP BY ml.recall_partner_id, ml.product_id, ml.lot_id
        UNION ALL
        SELECT 'on_hand', NULL, q.location_id, q.product_id, q.lot_id, MIN(a.depth), 0.0, 0.0,
               SUM(q.quantity)::float8, 0.0
          FROM affected a
          JOIN stock_quant q ON q.lot_id = a.lot_id AND q.company_id = %(company)s
         WHERE q.location_id = ANY((SELECT internal FROM usage_ids)::int[])
         GROUP BY q.location_id, q.product_id, q.lot_id
        HAVING SUM(q.quantity) > 0
        """,
        closure=lot_closure_sql(lot_ids), company=company_id,
        activated=activated or None, returned_before=returned_before, frozen=frozen,
    )

def trace_details_query(lot_ids, company_id):
    """Transfers and dates of the consignee and supplier rows of a trace, for the saved scope.

    Keyed like the trace rows (kind, partner, product, lot). References list the transfers that
    shipped to the consignee (received from the supplier), by the move lines' stored `reference`
    (the transfer's name) which the lot index carries; dates span every movement, returns too.
    """
    return SQL(
        """
        SELECT CASE WHEN 'customer' IN (src.usage, dst.usage) THEN 'consignee' ELSE 'supplier' END AS kind,
               ml.recall_partner_id, ml.product_id, ml.lot_id,
               STRING_AGG(DISTINCT ml.reference, ', ' ORDER BY ml.reference)
                   FILTER (WHERE dst.usage = 'customer' OR src.usage = 'supplier'),
               MIN(ml.date), MAX(ml.date)
          FROM stock_move_line ml
          JOIN stock_location src ON src.id = ml.location_id
          JOIN stock_location dst ON dst.id = ml.location_dest_id
         WHERE ml.lot_id = ANY(%(lots)s) AND ml.state = 'done' AND ml.company_id = %(company)s
           AND (src.usage IN ('supplier', 'customer') OR dst.usage = 'customer')
         GROUP BY 1, 2, 3, 4
        """,
        # An SQL array expression (the saved scope's lots) or a list of ids.
        lots=lot_ids if isinstance(lot_ids, SQL) else list(lot_ids), company=company_id,
    )

def fsma_events_query(lot_ids, company_id):
    """Every done movement of the traced lots (up and down) that is a critical tracking event:
    receipts from suppliers, transformations (with the lots they consumed), shipments to customers
    and their returns."""
    return SQL(
        """
        WITH RECURSIVE %(closure)s
        SELECT ml.date,
               CASE WHEN src.usage = 'supplier' THEN 'receiving'
                    WHEN src.usage = 'production' THEN 'transformation'
                    WHEN src.usage = 'customer' THEN 'return'
                    ELSE 'shipping' END,
               ml.product_id, ml.lot_id, ml.quantity_product_uom, ml.recall_partner_id,
               src.complete_name, dst.complete_name, COALESCE(p.name, ml.reference),
               (SELECT STRING_AGG(DISTINCT lot.name, ', ' ORDER BY lot.name)
                  FROM stock_move_line_consume_rel rel
                  JOIN stock_move_line comp ON comp.id = rel.produce_line_id
                  JOIN stock_lot lot ON lot.id = comp.lot_id
                 WHERE rel.consume_line_id = ml.id)
          FROM stock_move_line ml
          JOIN stock_location src ON src.id = ml.location_id
          JOIN stock_location dst ON dst.id = ml.location_dest_id
          LEFT JOIN stock_picking p ON p.id = ml.picking_id
         WHERE ml.lot_id IN (SELECT lot_id FROM down UNION SELECT lot_id FROM up)
           AND ml.state = 'done' AND ml.company_id = %(company)s
           AND (src.usage IN ('supplier', 'production', 'customer') OR dst.usage = 'customer')
         ORDER BY ml.date, ml.id
        """,
        closure=lot_closure_sql(lot_ids), company=company_id,
    )


def scope_query(lot_ids, company_id, campaign_id, activated, digits):
    """The exposure rows a trace saves, with every stored value (the one definition of them): a row
    number `rid`, the key, the depth and the quantities rounded as the ORM rounds a Float field of the
    unit-of-measure precision (`digits`); `refs`, `date_first`, `date_last` left empty for the save to
    fill from `trace_details_query`."""
    return SQL(
        """
        SELECT ROW_NUMBER() OVER () AS rid, t.kind::varchar AS kind, t.partner_id, t.location_id,
               t.product_id, t.lot_id, t.depth,
               ROUND(t.shipped::numeric, %(digits)s) AS qty_shipped,
               ROUND(t.returned::numeric, %(digits)s) AS qty_returned_before,
               ROUND(CASE WHEN t.kind = 'consignee' THEN GREATEST(t.shipped - t.returned, 0.0) ELSE 0.0 END
                     ::numeric, %(digits)s) AS qty_exposed,
               ROUND(CASE WHEN t.kind = 'supplier' THEN t.shipped ELSE 0.0 END::numeric, %(digits)s)
                   AS qty_received,
               ROUND(t.on_hand::numeric, %(digits)s) AS qty_on_hand,
               ROUND(t.retrieved::numeric, %(digits)s) AS qty_retrieved,
               NULL::varchar AS refs, NULL::timestamp AS date_first, NULL::timestamp AS date_last
          FROM (%(trace)s) AS t(kind, partner_id, location_id, product_id, lot_id, depth, shipped, returned,
                                on_hand, retrieved)
        """,
        digits=digits, trace=trace_query(lot_ids, company_id, campaign_id, activated),
    )


def scope_preview_query(lot_ids, company_id, campaign_id, activated, digits):
    """`scope_query` with its transfers and dates, named as the fields of `recall.exposure`: what a
    save would write, read without writing."""
    return SQL(
        """
        WITH scope AS (%(scope)s)
        SELECT s.kind, s.partner_id, s.location_id, s.product_id, s.lot_id, s.depth,
               s.qty_shipped::float8 AS qty_shipped, s.qty_returned_before::float8 AS qty_returned_before,
               s.qty_exposed::float8 AS qty_exposed, s.qty_received::float8 AS qty_received,
               s.qty_on_hand::float8 AS qty_on_hand, s.qty_retrieved::float8 AS qty_retrieved,
               d.refs AS "references", d.date_first, d.date_last
          FROM scope s
          LEFT JOIN (%(details)s) AS d(kind, partner_id, product_id, lot_id, refs, date_first, date_last)
                 ON d.kind = s.kind AND COALESCE(d.partner_id, 0) = COALESCE(s.partner_id, 0)
                AND d.product_id = s.product_id AND d.lot_id = s.lot_id
         ORDER BY s.rid
        """,
        scope=scope_query(lot_ids, company_id, campaign_id, activated, digits),
        details=trace_details_query(
            SQL("(SELECT ARRAY_AGG(DISTINCT lot_id) FROM scope WHERE kind IN ('consignee', 'supplier'))::int[]"),
            company_id),
    )


def consignee_totals_query(exposure_where):
    """(consignee id, units exposed, retrieved, destroyed, effectiveness) of the consignees of the
    exposure rows `e` matching `exposure_where`: the one definition of the consignees' stored totals,
    summed from their rows. Aggregated from the rows alone (no join): right after a save the planner
    has no statistics about the rows just written, and a join would be planned as nested loops."""
    return SQL(
        """
        SELECT consignee_id, exposed, retrieved, destroyed,
               CASE WHEN exposed <> 0 THEN 100.0 * (retrieved + destroyed) / exposed ELSE 0.0 END::float8
          FROM (SELECT e.consignee_id, COALESCE(SUM(e.qty_exposed), 0.0)::float8 AS exposed,
                       COALESCE(SUM(e.qty_retrieved), 0.0)::float8 AS retrieved,
                       COALESCE(SUM(e.qty_destroyed), 0.0)::float8 AS destroyed
                  FROM recall_exposure e
                 WHERE e.consignee_id IS NOT NULL AND %(where)s
                 GROUP BY e.consignee_id) AS totals
        """,
        where=exposure_where,
    )
