#!/usr/bin/env python3
"""Concurrency check: many users returning the last units of one delivery at the same time.

Sells and delivers U units (committed, so every connection sees them), then starts C threads, each with
its own database connection, each asking for a return of one unit through the creation wizard, the way
a request does: inside Odoo's `retrying` (what the RPC and HTTP layers run), which retries a transaction
that failed on a serialization error. Prints who won, who got which message, how many retries were seen
and the units held by returns against the units delivered. The returns are cancelled at the end (the
delivery stays, as bench data).

    python3 bench/concurrent_returns.py [--units 5] [--clients 8] [--database rl_bench] [--without-lock]
"""

import argparse
import logging
import threading
import time
from collections import Counter

from _odoo_env import ensure_database, odoo_env

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import retrying


class RetryCounter(logging.Handler):
    def __init__(self):
        super().__init__()
        self.retries = 0

    def emit(self, record):
        if "tries left" in record.getMessage():
            self.retries += 1


def make_delivery(env, units):
    company = env.ref("base.main_company")
    product = env["product.product"].create({
        "name": "Bench Kettle", "is_storable": True, "list_price": 40.0, "standard_price": 15.0,
        "invoice_policy": "delivery",
    })
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, units)
    sale = env["sale.order"].create({
        "partner_id": env.ref("base.partner_admin").id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": units})],
    })
    sale.action_confirm()
    sale.picking_ids.action_assign()
    sale.picking_ids.move_ids.picked = True
    sale.picking_ids._action_done()
    return sale


def ask_for_one_unit(registry, sale_id, barrier, outcomes):
    def attempt():
        env = api.Environment(cr, SUPERUSER_ID, {})
        sale = env["sale.order"].browse(sale_id)
        # Every client opened its wizard before anyone saved, as users looking at the same screen.
        wizard = env["return.order.create"].create(env["return.order"]._prepare_create_wizard_vals(sale))
        attempt.opened += 1
        if attempt.opened == 1:
            barrier.wait(timeout=120)
        if not wizard.line_ids:
            # What the Return button answers once a retry sees the winners' returns.
            raise UserError("Nothing left to return: every delivered unit was already returned or is being "
                            "returned.")
        wizard._set_quantities({wizard.line_ids[:1]: 1.0})
        wizard._create_return_order()
        return "created"

    attempt.opened = 0
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        try:
            retrying(attempt, env)
            cr.commit()
            outcomes.append(("created a return", attempt.opened - 1, time.perf_counter() - start))
        except (UserError, ValidationError) as exc:
            cr.rollback()
            outcomes.append(("refused: " + exc.args[0], attempt.opened - 1, time.perf_counter() - start))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database", default="rl_bench")
    parser.add_argument("--without-lock", action="store_true",
                        help="skip the lock on the delivered moves, to see what it prevents")
    args = parser.parse_args()
    ensure_database(args.database, ["reverse_logistics"])
    counter = RetryCounter()
    logging.getLogger("odoo.service.model").addHandler(counter)
    with odoo_env(args.database) as env:
        if args.without_lock:
            env.registry["return.order.line"]._lock_origin_moves = lambda lines: None
        sale = make_delivery(env, args.units)
        env.cr.commit()
        registry = env.registry
        logging.getLogger("odoo.service.model").setLevel(logging.INFO)
        # PostgreSQL's serialization failures are expected here; Odoo logs each as a bad query.
        logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
        barrier = threading.Barrier(args.clients)
        outcomes = []
        threads = [threading.Thread(target=ask_for_one_unit, args=(registry, sale.id, barrier, outcomes))
                   for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        env.invalidate_all()
        returns = env["return.order"].search([("sale_order_id", "=", sale.id)])
        held = sum(returns.line_ids.mapped("product_uom_qty"))
        print(f"{args.clients} clients, {args.units} units delivered, each asks for 1 unit"
              f"{' (lock disabled)' if args.without_lock else ''}")
        for text, count in Counter(text for text, _retries, _t in outcomes).most_common():
            print(f"  {count} x {text}")
        print(f"  retries after a serialization failure (Odoo's log): {counter.retries}")
        print(f"  slowest client: {max(t for *_x, t in outcomes):.2f} s")
        print(f"  units held by returns: {held:g} of {args.units} delivered"
              f" -> {'OK' if held <= args.units else 'OVER-RESERVED'}")
        returns.action_cancel()
        env.cr.commit()


if __name__ == "__main__":
    odoo.netsvc.init_logger()
    main()
