#!/usr/bin/env python3
"""Benchmark: one customer return, from a delivered and invoiced sale to its posted credit note, three ways.

- **here**: the sale order's *Return* (creation wizard, Return All), *Submit* (the policy approves), the
  receipt validated as a user validates it (*Validate*), the credit note posted by the policy at receipt;
  the customer mails (approval with the slip PDF, goods received, refund), written by the mail cron after
  those steps, grading at the station and the disposition (restock) are timed on their own, since the
  anchors have none of them.
- **OCA rma** (`rma_sale` 18.0): the sale order's *Create RMA* (wizard, all lines), *Confirm* (receipt),
  the receipt validated, *Refund*, the credit note posted.
- **Odoo**: the delivery's *Return* (`stock.return.picking`, *Update quantities on SO*), the return validated,
  the sale order's *Create Invoice* (a credit note for the returned units), posted.

Each runs in a database of its own with the same base modules (`sale_stock`, `stock_account`,
`purchase_stock`, `repair`, `portal`, `barcodes`), no demo data, a company with Odoo's generic chart, a
product in real-time FIFO valuation invoiced on delivered quantities, as the administrator (not the
superuser, so access rules are checked). Every step starts with an empty record cache, as a new request
does; the registry's caches stay warm, as on a running server. Prints queries and milliseconds per return
(median of N, after warm-up returns), each step and the total, side by side. Nothing asserts a time.
Everything is rolled back.

OCA's addons come from their wheels (not committed here):

    pip install --no-deps --target /opt/oca odoo-addon-rma==18.0.* odoo-addon-rma_sale==18.0.*
    python3 bench/return_vs_anchors.py --oca-addons /opt/oca/odoo/addons [-n 20]

Without `--oca-addons` (or when `rma_sale` is not found there) the OCA column is left out and says why.
"""

import argparse
import os
import statistics
import sys
import time

import _odoo_env
from _odoo_env import ensure_database, odoo_env

from odoo import Command

BASE_MODULES = ["sale_stock", "stock_account", "purchase_stock", "repair", "portal", "barcodes"]


class Meter:
    """Queries and milliseconds of each step of one return."""

    def __init__(self, env):
        self.env = env
        self.steps = {}

    def step(self, name, func):
        env = self.env
        env.flush_all()
        env.invalidate_all()
        cr = env.cr
        q0, t0 = cr.sql_log_count, time.perf_counter()
        result = func()
        env.flush_all()
        self.steps[name] = (cr.sql_log_count - q0, (time.perf_counter() - t0) * 1000.0)
        return result


def setup_sales(env, count, qty=2.0):
    """`count` sales of `qty` units at 100.00 + 15 % tax, delivered and invoiced (not measured)."""
    company = env.company
    categ = env["product.category"].create({
        "name": "Bench FIFO", "property_cost_method": "fifo", "property_valuation": "real_time",
    })
    tax = env["account.tax"].create({"name": "Bench 15%", "amount": 15.0, "type_tax_use": "sale"})
    product = env["product.product"].create({
        "name": "Bench Espresso Machine", "is_storable": True, "list_price": 100.0, "standard_price": 60.0,
        "invoice_policy": "delivery", "categ_id": categ.id, "taxes_id": [Command.set(tax.ids)],
    })
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    env["stock.quant"].with_context(inventory_mode=True).create({
        "product_id": product.id, "location_id": warehouse.lot_stock_id.id,
        "inventory_quantity": count * qty + 10,
    }).action_apply_inventory()
    partner = env["res.partner"].create({"name": "Bench Customer", "email": "bench.customer@example.com"})
    sales = env["sale.order"]
    for _i in range(count):
        order = env["sale.order"].create({
            "partner_id": partner.id,
            "warehouse_id": warehouse.id,
            "order_line": [Command.create({
                "product_id": product.id, "product_uom_qty": qty, "price_unit": 100.0,
                "tax_id": [Command.set(tax.ids)],
            })],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.picked = True
        picking.button_validate()
        invoice = order._create_invoices()
        invoice.action_post()
        sales |= order
    env.flush_all()
    return sales


def run_here(env, order):
    meter = Meter(env)
    action = meter.step("create (wizard, Return All)", lambda: _here_create(env, order))
    ret = env["return.order"].browse(action["res_id"])
    meter.step("submit (policy approves)", ret.action_submit)
    receipt = ret.receipt_ids
    meter.step("validate receipt + credit note posted", lambda: _validate(receipt))
    assert ret.state == "done" and ret.credit_note_ids.state == "posted", (ret.state, ret.credit_note_ids.state)
    main = dict(meter.steps)
    grade = env.ref("reverse_logistics.grade_a")
    station = env["return.grading.station"]
    meter.steps = {}
    # The approval, receipt and refund mails (with the slip PDF) the three steps called for, written by
    # the mail cron afterwards; the anchors send none on these paths.
    meter.step("customer mails (cron, slip PDF)", lambda: env["return.order"]._cron_send_customer_mails())
    meter.step("grade at the station", lambda: [
        station.grade(line.id, grade.id, line.qty_received) for line in ret.line_ids])
    meter.step("disposition (restock)", lambda: _here_dispose(env, ret))
    return main, dict(meter.steps)


def _here_create(env, order):
    action = order.action_create_return_order()
    wizard = env[action["res_model"]].browse(action["res_id"])
    return wizard.action_create_return_all()


def _here_dispose(env, ret):
    ret.grading_ids.disposition_id = env.ref("reverse_logistics.disposition_restock")
    ret.grading_ids.action_dispose()


def _validate(picking):
    picking.move_ids.picked = True
    res = picking.button_validate()
    assert res is True, res


def run_oca(env, order):
    meter = Meter(env)
    rma = meter.step("create (wizard, all lines)", lambda: _oca_create(env, order))
    meter.step("confirm (receipt)", rma.action_confirm)
    receipt = rma.reception_move_id.picking_id
    meter.step("validate receipt", lambda: _validate(receipt))
    meter.step("refund + credit note posted", lambda: _oca_refund(rma))
    assert rma.refund_id.state == "posted", rma.refund_id.state
    return dict(meter.steps), {}


def _oca_create(env, order):
    action = order.action_create_rma()
    wizard = env[action["res_model"]].browse(action["res_id"])
    wizard.operation_id = env.ref("rma.rma_operation_refund")
    return wizard.create_rma()


def _oca_refund(rma):
    rma.action_refund()
    rma.refund_id.action_post()


def run_odoo(env, order):
    meter = Meter(env)
    delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
    return_picking = meter.step("return wizard (Return)", lambda: _odoo_return(env, delivery))
    meter.step("validate return", lambda: _validate(return_picking))
    meter.step("create invoice (credit note) + post", lambda: _odoo_credit(order))
    return dict(meter.steps), {}


def _odoo_return(env, delivery):
    wizard = env["stock.return.picking"].with_context(
        active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking").create({})
    for line in wizard.product_return_moves:
        line.quantity = line.move_id.quantity
        line.to_refund = True
    action = wizard.action_create_returns()
    return env["stock.picking"].browse(action["res_id"])


def _odoo_credit(order):
    refund = order._create_invoices(final=True)
    assert refund.move_type == "out_refund", refund.move_type
    refund.action_post()


def measure(database, runner, count, warmup):
    with odoo_env(database) as env:
        company = env.ref("base.main_company")
        admin = env.ref("base.user_admin")
        env = env(user=admin, context=dict(env.context, allowed_company_ids=company.ids,
                                           tracking_disable=False, mail_notrack=False))
        sales = setup_sales(env, count + warmup)
        results = [runner(env, order) for order in sales]
        env.cr.rollback()
    return results[warmup:]


def summarize(results):
    """{step: (median queries, median ms)} for the main flow and the extra steps, plus the totals."""
    def per_step(index):
        steps = list(results[0][index])
        table = {step: (statistics.median(r[index][step][0] for r in results),
                        statistics.median(r[index][step][1] for r in results)) for step in steps}
        if steps:
            table["total"] = (statistics.median(sum(q for q, _ms in r[index].values()) for r in results),
                              statistics.median(sum(ms for _q, ms in r[index].values()) for r in results))
        return table
    return per_step(0), per_step(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--returns", type=int, default=20, help="returns measured per path")
    parser.add_argument("--warmup", type=int, default=3, help="returns run first and not counted")
    parser.add_argument("--oca-addons", help="directory holding OCA's rma and rma_sale (from their wheels)")
    parser.add_argument("--prefix", default="rl_anchor")
    args = parser.parse_args()

    oca_note = None
    if args.oca_addons and os.path.isdir(os.path.join(args.oca_addons, "rma_sale")):
        # One addons path for the process; each database only loads what it has installed.
        _odoo_env.ADDONS_PATH += "," + os.path.abspath(args.oca_addons)
    else:
        oca_note = ("not run: give --oca-addons, the directory with OCA's rma and rma_sale "
                    "(pip install --no-deps --target DIR odoo-addon-rma_sale==18.0.*)")

    paths = [("here", f"{args.prefix}_here", ["reverse_logistics"] + BASE_MODULES, run_here)]
    if not oca_note:
        paths.append(("OCA rma", f"{args.prefix}_oca", ["rma_sale"] + BASE_MODULES, run_oca))
    paths.append(("Odoo", f"{args.prefix}_odoo", BASE_MODULES, run_odoo))
    for _label, database, modules, _runner in paths:
        ensure_database(database, modules)

    summaries = {}
    for label, database, _modules, runner in paths:
        print(f"running {label} on {database}: {args.warmup} warm-up + {args.returns} returns...", file=sys.stderr)
        summaries[label] = summarize(measure(database, runner, args.returns, args.warmup))

    print(f"One customer return of 2 units, delivered and invoiced sale -> posted credit note; "
          f"median of {args.returns} returns after {args.warmup} warm-up; queries / ms")
    for label, (main_steps, extra) in summaries.items():
        print(f"\n{label}")
        for step, (queries, ms) in main_steps.items():
            print(f"  {step:<42} {queries:7.0f} q {ms:9.1f} ms")
        for step, (queries, ms) in extra.items():
            print(f"  + {step:<40} {queries:7.0f} q {ms:9.1f} ms")
    if oca_note:
        print(f"\nOCA rma: {oca_note}")
    print("\nside by side (return to posted credit note)")
    for label, (main_steps, _extra) in summaries.items():
        queries, ms = main_steps["total"]
        print(f"  {label:<10} {queries:7.0f} queries {ms:9.1f} ms per return")


if __name__ == "__main__":
    main()
