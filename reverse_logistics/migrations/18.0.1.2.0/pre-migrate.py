"""The return type became a record: `return_type_id` replaces the Selection `return_type` on return orders and
(stored related) on graded units. Filled here from the old column, before the ORM creates the required
column and would fill it with the default type (the ORM drops the old column at the end of the update).

The form's WEEE extension named the old field: it is removed so that the form validates, and comes back from
its file with the new field."""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        DELETE FROM ir_ui_view WHERE id IN (
            SELECT res_id FROM ir_model_data
             WHERE module = 'reverse_logistics' AND name = 'return_order_view_form_weee' AND model = 'ir.ui.view')
    """)
    for table in ("return_order", "return_grading"):
        if not column_exists(cr, table, "return_type"):
            continue
        cr.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS return_type_id int4")  # noqa: S608
        cr.execute(f"""
            UPDATE {table} o SET return_type_id = t.id
              FROM return_type t
             WHERE t.code = o.return_type AND o.return_type_id IS NULL
        """)  # noqa: S608
    # A value no type holds any more (an uninstalled addon's) falls back to the customer return, as the
    # Selection's ondelete did.
    cr.execute("""
        UPDATE return_order SET return_type_id = (SELECT id FROM return_type WHERE code = 'customer')
         WHERE return_type_id IS NULL
    """)
    cr.execute("""
        UPDATE return_grading g SET return_type_id = o.return_type_id
          FROM return_order o WHERE o.id = g.order_id AND g.return_type_id IS NULL
    """)
