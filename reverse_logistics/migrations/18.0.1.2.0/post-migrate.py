"""18.0.1.2.0: the return types' flags, and the credit allocations of what was credited before.

The return types' flags are new columns, filled by the ORM with the fields' defaults; the data file is
noupdate (a manager may change the flags), so it does not set them on existing types: set here what each core
type did when its behaviour was code.

Credit allocations (`return.credit.allocation`) for the returns credited before they existed.

One allocation per line of units of the returns' credit notes (`return_line_id` set; the restocking fee
and the shares of discounts and early payment discounts skipped): its invoice line is the line's
`refunded_invoice_line_id`, its quantity the credited one in the return line's unit, its amount the
line's untaxed subtotal, its date and author the credit note line's. Units found never invoiced were only
counted on the return line (`qty_not_invoiced`): one allocation each, dated when the line was last
written. `qty_not_invoiced` is now computed from these and keeps its value.
"""

from odoo import SUPERUSER_ID, api

FLAGS = {
    # code: (refund_allowed, window_applies, restocking_fee_applies, auto_approvable, customer_match_required,
    #        policy_rules_apply); the take-back's WEEE flag is reverse_logistics_weee's (its data sets it)
    "customer": (True, True, True, True, True, True),
    "distributor": (True, False, True, False, True, True),
    "warranty": (True, False, False, False, True, True),
    "takeback": (False, False, False, True, True, False),
}


def set_type_flags(cr):
    for code, flags in FLAGS.items():
        cr.execute("""
            UPDATE return_type
               SET refund_allowed = %s, window_applies = %s, restocking_fee_applies = %s, auto_approvable = %s,
                   customer_match_required = %s, policy_rules_apply = %s, active = TRUE
             WHERE code = %s
        """, (*flags, code))



def migrate(cr, version):
    if not version:
        return
    set_type_flags(cr)
    backfill_credit_allocations(api.Environment(cr, SUPERUSER_ID, {}))


def backfill_credit_allocations(env):
    """Also run by the tests on returns whose allocations were taken away."""
    allocation_model = env["return.credit.allocation"]
    known = set(allocation_model.search([]).credit_note_line_id.ids)
    unit_lines = env["account.move.line"].search([
        ("return_line_id", "!=", False), ("move_id.move_type", "=", "out_refund"),
        ("display_type", "=", "product"), ("is_restocking_fee", "=", False), ("return_credit_share", "=", False),
        ("id", "not in", list(known)),
    ], order="id")
    vals_list, dates = [], []
    for aml in unit_lines:
        line = aml.return_line_id
        qty = aml.product_uom_id._compute_quantity(aml.quantity, line.product_uom_id) \
            if aml.product_uom_id and line.product_uom_id else aml.quantity
        vals_list.append(line._prepare_credit_allocation_vals("credited", qty, aml.refunded_invoice_line_id, aml))
        dates.append((aml.create_date, aml.create_uid.id))
    waived = env["return.order.line"].search([("qty_not_invoiced", ">", 0)], order="id")
    have_waived = set(allocation_model.search([("kind", "=", "not_invoiced")]).return_line_id.ids)
    for line in waived.filtered(lambda rl: rl.id not in have_waived):
        vals_list.append(line._prepare_credit_allocation_vals("not_invoiced", line.qty_not_invoiced))
        dates.append((line.write_date, line.write_uid.id))
    allocations = allocation_model.create(vals_list)
    for allocation, (date, uid) in zip(allocations, dates, strict=True):
        # When and by whom the units were credited, not when the upgrade ran.
        env.cr.execute(
            "UPDATE return_credit_allocation SET create_date = %s, create_uid = %s WHERE id = %s",
            (date, uid, allocation.id))
    allocations.invalidate_recordset(["create_date", "create_uid"])
    return allocations
