"""18.0.1.2.0: return types became records, and the WEEE register left the core for its own addon.

The return type became a record: `return_type_id` replaces the Selection `return_type` on return orders and
(stored related) on graded units. Filled here from the old column, before the ORM creates the required
column and would fill it with the default type (the ORM drops the old column at the end of the update).

The form's WEEE extension named the old field: it is removed so that the form validates, and comes back from
its file with the new field.

The WEEE register left the core for its own addon, reverse_logistics_weee (a module split).

Before the core is loaded without them, the WEEE records change hands, so the upgrade keeps them and
their data, as OpenUpgrade does for a split (openupgradelib's `update_module_moved_models` and
`update_module_moved_fields`: the `module` of their ir_model_data rows rewritten), in plain SQL:

- reverse_logistics_weee is marked to install (its row created if the module list does not have it
  yet), with the core's demo flag; Odoo installs it in the same run, right after the core.
- the ir_model_data rows of what it now defines (the register models and their fields, the WEEE fields of
  the core's models with their selection values, views, menu, actions, report, paper format, access
  rights) become its own, and so do the register tables' many2many relations and constraints. Odoo
  then removes none of them at the end of the update (it removes what a module no longer loads), so the
  columns stay with their values; the addon finds them in place and recomputes nothing.
- the columns a database older than 18.0.1.1.0 lacks (the facts frozen by 18.0.1.1.0's post-migrate)
  are created, so that script fills them and the new addon keeps them.
"""
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, table_exists

OLD, NEW = "reverse_logistics", "reverse_logistics_weee"

# The register's own models: their ir.model rows, every field, selection value and relation.
MODELS = ("weee.register", "weee.register.line")
# The WEEE fields of the core's models (product.product shows the template's field as its own).
FIELDS = [
    ("product.template", "weee_category"),
    ("product.product", "weee_category"),
    ("return.order", "weee_source"),
    ("return.disposition", "weee_treatment"),
    ("return.grading", "weee_treatment"),
    ("stock.move", "return_weight"),
]
RECORDS = (
    "model_inherit__weee_register__reverse_logistics_compliance_register_mixin",
    "access_weee_register_manager",
    "access_weee_register_line_manager",
    "product_template_form_view_weee",
    "return_order_view_form_weee",
    "return_disposition_view_form_weee",
    "weee_register_view_form",
    "action_weee_register",
    "menu_weee_register",
    "paperformat_compliance_register",
    "action_report_weee_register",
    "report_weee_register",
)
# Read by 18.0.1.1.0's post-migrate, which runs after this script on databases older than that.
FROZEN_COLUMNS = [("return_grading", "weee_treatment", "varchar"), ("stock_move", "return_weight", "numeric")]


def migrate(cr, version):
    if not version:
        return
    _fill_return_types(cr)
    _mark_weee_to_install(cr)
    _move_weee_records(cr)
    for table, column, column_type in FROZEN_COLUMNS:
        if table_exists(cr, table) and not column_exists(cr, table, column):
            create_column(cr, table, column, column_type)


def _mark_weee_to_install(cr):
    cr.execute("SELECT demo FROM ir_module_module WHERE name = %s", [OLD])
    demo = bool(cr.fetchone()[0])
    cr.execute("""
        INSERT INTO ir_module_module (name, state, demo, license, author, latest_version)
        VALUES (%s, 'uninstalled', FALSE, 'LGPL-3', 'Reverse Logistics for Odoo', NULL)
        ON CONFLICT (name) DO NOTHING
        RETURNING id
    """, [NEW])
    created = cr.fetchone()
    if created:
        # Odoo's module list fills the rest of the row at its next update; the dependency matters now
        # (uninstalling the core must take the WEEE addon with it).
        cr.execute("""
            INSERT INTO ir_module_module_dependency (module_id, name, auto_install_required)
            VALUES (%s, %s, TRUE)
        """, [created[0], OLD])
    cr.execute("""
        UPDATE ir_module_module SET state = 'to install', demo = %s
         WHERE name = %s AND state IN ('uninstalled', 'to remove')
    """, [demo, NEW])


def _move_weee_records(cr):
    names = list(RECORDS)
    prefixes = []
    for model in MODELS:
        table = model.replace(".", "_")
        names.append(f"model_{table}")
        prefixes += [f"field_{table}__", f"selection__{table}__"]
    for model, field in FIELDS:
        table = model.replace(".", "_")
        names.append(f"field_{table}__{field}")
        prefixes.append(f"selection__{table}__{field}__")
    # Exact names, and names starting with a prefix (LIKE would read the underscores as wildcards). A
    # row the new module already has (none should) wins: the old one is left to the update.
    cr.execute(SQL("""
        UPDATE ir_model_data d SET module = %(new)s
         WHERE d.module = %(old)s
           AND (d.name = ANY(%(names)s) OR EXISTS (
                SELECT 1 FROM unnest(%(prefixes)s::varchar[]) p WHERE starts_with(d.name, p)))
           AND NOT EXISTS (SELECT 1 FROM ir_model_data n WHERE n.module = %(new)s AND n.name = d.name)
    """, new=NEW, old=OLD, names=names, prefixes=prefixes))
    # The register tables' many2many tables and foreign keys are dropped with the module that owns them.
    for table in ("ir_model_relation", "ir_model_constraint"):
        cr.execute(SQL("""
            UPDATE %(table)s SET module = (SELECT id FROM ir_module_module WHERE name = %(new)s)
             WHERE module = (SELECT id FROM ir_module_module WHERE name = %(old)s)
               AND model IN (SELECT id FROM ir_model WHERE model = ANY(%(models)s))
        """, table=SQL.identifier(table), new=NEW, old=OLD, models=list(MODELS)))




def _fill_return_types(cr):
    cr.execute("""
        DELETE FROM ir_ui_view WHERE id IN (
            SELECT res_id FROM ir_model_data
             WHERE module = 'reverse_logistics' AND name = 'return_order_view_form_weee' AND model = 'ir.ui.view')
    """)
    cr.execute("""
        DELETE FROM ir_model_data
         WHERE module = 'reverse_logistics' AND name = 'return_order_view_form_weee' AND model = 'ir.ui.view'
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
