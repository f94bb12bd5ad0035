#!/usr/bin/env python3
"""Concurrency check: several accountants clicking Refund Deposits on the same balance at the same time.

Sells and ships pallets, invoices their deposits and counts them back without refunding at receipt
(committed, so every connection sees them), then starts C threads, each with its own database connection
and its own Billing user, each refunding the balance's deposits the way a request does: inside Odoo's
`retrying` (what the RPC and HTTP layers run), which retries a transaction that failed on a serialization
error. Prints who refunded, who got which message, how many retries were seen and what was refunded
against what was owed. The bench data stays (a customer of its own per run).

    python3 bench/concurrent_deposit_refunds.py [--pallets 3] [--clients 6] [--database rl_bench_assets]
        [--without-lock]
"""

import argparse
import logging
import threading
import time
from collections import Counter

from _odoo_env import ensure_database, odoo_env

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying


class RetryCounter(logging.Handler):
    def __init__(self):
        super().__init__()
        self.retries = 0

    def emit(self, record):
        if "tries left" in record.getMessage():
            self.retries += 1


def make_balance(env, pallets, clients):
    company = env.ref("base.main_company")
    stamp = str(time.time_ns())
    account = env["account.account"].create({
        "name": f"Deposits held {stamp}", "code": f"DEP{stamp[-6:]}", "account_type": "liability_current"})
    pallet = env["product.product"].create({"name": f"Bench Pallet {stamp}", "is_storable": True,
                                            "invoice_policy": "delivery", "taxes_id": False})
    asset_type = env["returnable.asset.type"].create({
        "name": f"Bench pallet {stamp}", "product_id": pallet.id, "deposit_price": 12.5,
        "deposit_account_id": account.id})
    water = env["product.product"].create({"name": f"Bench Water {stamp}", "is_storable": True,
                                           "invoice_policy": "delivery", "list_price": 5.0})
    water.returnable_asset_ids = [Command.create({"asset_type_id": asset_type.id, "units_per_asset": 40})]
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    for product in (pallet, water):
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 1000)
    partner = env["res.partner"].create({"name": f"Bench Brewery {stamp}"})
    sale = env["sale.order"].create({
        "partner_id": partner.id, "order_line": [Command.create({"product_id": water.id,
                                                                 "product_uom_qty": 40 * pallets})]})
    sale.action_confirm()
    sale.picking_ids.action_assign()
    sale.picking_ids.move_ids.picked = True
    sale.picking_ids._action_done()
    sale._create_invoices().action_post()
    env["returnable.asset.return"].create({
        "partner_id": partner.id, "warehouse_id": warehouse.id, "refund_at_receipt": False,
        "line_ids": [Command.create({"asset_type_id": asset_type.id, "quantity": pallets})],
    }).action_confirm()
    billing = env.ref("account.group_account_invoice") | env.ref("base.group_user")
    users = env["res.users"].create([{
        "name": f"Bench Accountant {i}", "login": f"bench_accountant_{stamp}_{i}",
        "groups_id": [Command.set(billing.ids)]} for i in range(clients)])
    balance = env["returnable.asset.balance"]._get_balance(partner, asset_type)
    return balance, users


def refund(registry, balance_id, user_id, barrier, outcomes):
    def attempt(env):
        balance = env["returnable.asset.balance"].with_user(user_id).browse(balance_id)
        attempt.tries += 1
        if attempt.tries == 1:
            # Every accountant has the list open and clicks at the same moment.
            balance.read(["deposit_held"])
            barrier.wait(timeout=120)
        balance.action_refund_deposits()
        return "refunded"

    attempt.tries = 0
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        try:
            retrying(lambda: attempt(env), env)
            cr.commit()
            outcomes.append(("refunded", time.perf_counter() - start))
        except UserError as exc:
            cr.rollback()
            outcomes.append(("refused: " + exc.args[0], time.perf_counter() - start))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pallets", type=int, default=3)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--database", default="rl_bench_assets")
    parser.add_argument("--without-lock", action="store_true",
                        help="skip the lock on the balances, to see what it prevents")
    args = parser.parse_args()
    ensure_database(args.database, ["reverse_logistics_assets"])
    counter = RetryCounter()
    logging.getLogger("odoo.service.model").addHandler(counter)
    with odoo_env(args.database) as env:
        if args.without_lock:
            env.registry["returnable.asset.balance"]._lock_deposits = lambda balances: None
        balance, users = make_balance(env, args.pallets, args.clients)
        env.cr.commit()
        registry = env.registry
        logging.getLogger("odoo.service.model").setLevel(logging.INFO)
        # PostgreSQL's serialization failures are expected here; Odoo logs each as a bad query.
        logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
        barrier = threading.Barrier(args.clients)
        outcomes = []
        threads = [threading.Thread(target=refund, args=(registry, balance.id, user.id, barrier, outcomes))
                   for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        env.invalidate_all()
        refunded = sum(balance.deposit_ids.settlement_ids.mapped("quantity"))
        print(f"{args.clients} accountants click Refund Deposits at once for {args.pallets} pallets back"
              f"{' (lock disabled)' if args.without_lock else ''}")
        for text, count in Counter(text for text, _t in outcomes).most_common():
            print(f"  {count} x {text}")
        print(f"  retries after a serialization failure (Odoo's log): {counter.retries}")
        print(f"  slowest click: {max(t for _x, t in outcomes):.2f} s")
        print(f"  deposits refunded: {refunded:g} of {args.pallets} owed, deposit held {balance.deposit_held:.2f}"
              f" -> {'OK' if refunded <= args.pallets else 'REFUNDED TWICE'}")


if __name__ == "__main__":
    odoo.netsvc.init_logger()
    main()
