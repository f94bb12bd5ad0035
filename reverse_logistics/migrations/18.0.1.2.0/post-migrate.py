"""Credit allocations (`return.credit.allocation`) for the returns credited before they existed.

One allocation per line of units of the returns' credit notes (`return_line_id` set; the restocking fee
and the shares of discounts and early payment discounts skipped): its invoice line is the line's
`refunded_invoice_line_id`, its quantity the credited one in the return line's unit, its amount the
line's untaxed subtotal, its date and author the credit note line's. Units found never invoiced were only
counted on the return line (`qty_not_invoiced`): one allocation each, dated when the line was last
written. `qty_not_invoiced` is now computed from these and keeps its value."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    backfill_credit_allocations(env)


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
