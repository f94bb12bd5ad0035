"""Facts frozen at the event (see _freeze_facts), and the background queue `reverse.logistics.batch` gave
way to flags on the records that wait.

Dispositions a batch had not finished are flagged on their graded units (still graded ones only: the units
a committed chunk moved are done) with the user who queued them, for `ir_cron_return_grading_dispose`.
Batches of other addons' records are dropped with the table (the recall addon flags its own work)."""

from odoo.tools.sql import table_exists


def migrate(cr, version):
    _freeze_facts(cr)
    if not table_exists(cr, "reverse_logistics_batch"):
        return
    cr.execute("""
        SELECT user_id, record_ids FROM reverse_logistics_batch
         WHERE res_model = 'return.grading' AND state IN ('queued', 'failed')
         ORDER BY id
    """)
    for user_id, record_ids in cr.fetchall():
        if not record_ids:
            continue
        cr.execute("""
            UPDATE return_grading
               SET disposition_queued = TRUE, disposition_queued_uid = %s
             WHERE id = ANY(%s) AND state = 'graded' AND NOT COALESCE(disposition_queued, FALSE)
        """, (user_id, list(record_ids)))
    # Odoo removes the model's records (views, menu, access, cron) at the end of the update; the table
    # itself, with what other addons had queued, goes now.
    cr.execute("DROP TABLE reverse_logistics_batch CASCADE")


def _freeze_facts(cr):
    """Facts now stored at the event: the operation, outcome and WEEE treatment of the dispositions that
    ran and the weight of the return receipts' moves, as they were read live until now (the gradings' weight
    column keeps its values), so past registers stay what they were. The WEEE treatment and the receipts'
    weight belong to reverse_logistics_weee since 18.0.1.2.0: that version's pre-migrate creates their
    columns first when this script runs in the same update, and the addon keeps them."""
    cr.execute("""
        UPDATE return_grading g
           SET operation = d.operation, environmental_outcome = d.environmental_outcome,
               weee_treatment = d.weee_treatment
          FROM return_disposition d
         WHERE d.id = g.disposition_id AND g.state != 'graded' AND g.operation IS NULL
    """)
    cr.execute("""
        UPDATE stock_move m
           SET return_weight = m.product_qty * COALESCE(t.weight, 0)
          FROM product_product p JOIN product_template t ON t.id = p.product_tmpl_id
         WHERE p.id = m.product_id AND m.return_line_id IS NOT NULL AND m.state = 'done'
    """)
