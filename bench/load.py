#!/usr/bin/env python3
"""Benchmark: the whole life of a return through XML-RPC against Odoo in prefork mode.

Generates (once) a database of delivered and invoiced sales, starts Odoo with `--workers N`, then runs
M clients (1, 4 and 8 by default) for a fixed time each. Every client, return after return: opens a
return from a sale order, sets the reason, submits it (the policy approves it and credits at receipt),
validates the receipt, grades the unit at the station, dispositions it, and reads its return page list
(the read-only calls, through JSON-RPC `/web/dataset/call_kw` and the portal, as a browser does).
Prints returns per minute, latency percentiles per call, the retries Odoo logged (serialization
failures retried by the server) and the client errors; then checks that no unit was credited twice and
that triage stock equals received minus dispositioned.

`--replica` runs the same with a local streaming replica: a second PostgreSQL 15 cluster made with
`pg_basebackup` on another port, Odoo started with `--db_replica_host/--db_replica_port`, and shows which
calls the replica served (statements in the replica's log while each call runs alone).

    python3 bench/load.py [--workers 2] [--clients 1 4 8] [--seconds 60] [--replica | --replica-only]
"""

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import xmlrpc.client
from collections import defaultdict
from http.cookiejar import CookieJar

from _odoo_env import ADDONS_PATH, ODOO_HOME, ensure_database, odoo_env

from odoo import Command

MARKER = "RL-BENCH-LOAD"
PG_BIN = "/usr/lib/postgresql/15/bin"
REPLICA_DIR = "/var/lib/postgresql/rl_scale_replica"


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------
def generate(env, sales):
    """`sales` delivered and invoiced sale orders of one unit, for returns to start from."""
    company = env.ref("base.main_company")
    env = env(context=dict(env.context, allowed_company_ids=company.ids, tracking_disable=True))
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    policy = env["return.policy"]._get_default_policy(company)
    policy.write({"auto_approve_max_amount": 1e9, "window_days": 365})
    product = env["product.product"].create({
        "name": f"{MARKER} kettle", "is_storable": True, "list_price": 40.0, "standard_price": 15.0,
        "invoice_policy": "delivery",
    })
    env["stock.quant"].with_context(inventory_mode=True).create({
        "product_id": product.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": sales,
    }).action_apply_inventory()
    partners = env["res.partner"].create([{"name": f"{MARKER} customer {i}"} for i in range(50)])
    for i in range(sales):
        order = env["sale.order"].create({
            "partner_id": partners[i % len(partners)].id, "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": 40.0,
                                           "tax_id": [Command.clear()]})],
        })
        order.action_confirm()
        order.picking_ids.move_ids.quantity = 1
        order.picking_ids.move_ids.picked = True
        order.picking_ids._action_done()
        order._create_invoices().action_post()
        if i % 50 == 49:
            env.cr.commit()
            print(f"  {i + 1} sales", flush=True)
    env.cr.commit()


# ----------------------------------------------------------------------
# Odoo and the replica
# ----------------------------------------------------------------------
def start_odoo(database, workers, port, logfile, replica_port=None):
    cmd = [
        sys.executable, os.path.join(ODOO_HOME, "odoo-bin"), f"--addons-path={ADDONS_PATH}", "-d", database,
        f"--db-filter=^{database}$", f"--workers={workers}", "--max-cron-threads=1", f"--http-port={port}",
        f"--gevent-port={port + 1}", f"--logfile={logfile}", "--log-level=info", "--limit-time-cpu=600",
        "--limit-time-real=1200", "--no-database-list",
    ]
    if replica_port:
        cmd += ["--db_replica_host=/var/run/postgresql", f"--db_replica_port={replica_port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _second in range(180):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=5)
            return proc
        except OSError:
            time.sleep(1)
    proc.terminate()
    raise RuntimeError("Odoo did not start: see " + logfile)


def stop_odoo(proc):
    os.killpg(proc.pid, 15)
    proc.wait(timeout=60)


def start_replica(port):
    """A streaming replica of the local 15/main cluster, on `port`."""
    stop_replica()
    run_as_postgres(f"{PG_BIN}/pg_basebackup -D {REPLICA_DIR} -R -X stream -c fast")
    # Debian keeps the configuration outside the data directory: a minimal one for the replica.
    config = "\n".join([
        f"port = {port}", "hot_standby = on", "listen_addresses = ''",
        "unix_socket_directories = '/var/run/postgresql'", "hba_file = '/etc/postgresql/15/main/pg_hba.conf'",
        "ident_file = '/etc/postgresql/15/main/pg_ident.conf'", "max_connections = 100",
        # Every statement the replica runs, in its log: which calls it served is read there.
        "log_statement = 'all'", "log_line_prefix = '%a '", "",
    ])
    run_as_postgres(f"printf %s {shlex.quote(config)} > {REPLICA_DIR}/postgresql.conf")
    run_as_postgres(f"{PG_BIN}/pg_ctl -D {REPLICA_DIR} -l {REPLICA_DIR}.log -w start")


def stop_replica():
    if os.path.exists(os.path.join(REPLICA_DIR, "postmaster.pid")):
        run_as_postgres(f"{PG_BIN}/pg_ctl -D {REPLICA_DIR} -w -m fast stop")
    shutil.rmtree(REPLICA_DIR, ignore_errors=True)


def run_as_postgres(command):
    subprocess.run(["su", "postgres", "-c", command], check=True, stdout=subprocess.DEVNULL)


def replica_statements():
    """Statements the replica logged so far (its log lists every statement it runs)."""
    with open(f"{REPLICA_DIR}.log", errors="replace") as log:
        return sum(1 for line in log if "statement:" in line)


# ----------------------------------------------------------------------
# Clients
# ----------------------------------------------------------------------
class Client:
    """One user session: XML-RPC for the flow, JSON-RPC (a browser's session) for the reads."""

    def __init__(self, url, database, login, password):
        self.url, self.db, self.password = url, database, password
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(database, login, password, {})
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.json("/web/session/authenticate", {"db": database, "login": login, "password": password})

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.db, self.uid, self.password, model, method, list(args), kwargs)

    def json(self, path, params):
        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps({"jsonrpc": "2.0", "params": params}).encode(),
            headers={"Content-Type": "application/json"})
        reply = json.loads(self.opener.open(request, timeout=300).read())
        if reply.get("error"):
            raise RuntimeError(reply["error"]["data"]["message"])
        return reply["result"]

    def call_kw(self, model, method, args, kwargs=None):
        return self.json("/web/dataset/call_kw", {"model": model, "method": method, "args": args,
                                                  "kwargs": kwargs or {}})

    def get(self, path):
        return self.opener.open(f"{self.url}{path}", timeout=300).read()


def return_life(client, sale_id, refs, timed):
    """The whole life of one return; `timed(name, func)` records each call's latency."""
    wizard = timed("open return wizard from sale", lambda: client.call("sale.order", "action_create_return_order",
                                                                       [sale_id]))
    action = timed("return all (draft)", lambda: client.call("return.order.create", "action_create_return_all",
                                                              [wizard["res_id"]]))
    ret_id = action["res_id"]
    lines = timed("read return", lambda: client.call("return.order", "read", [ret_id], ["line_ids"]))
    line_ids = lines[0]["line_ids"]
    timed("set reason", lambda: client.call("return.order.line", "write", line_ids, {"reason_id": refs["reason"]}))
    timed("submit (approve)", lambda: client.call("return.order", "action_submit", [ret_id]))
    receipt = client.call("return.order", "read", [ret_id], ["receipt_ids"])[0]["receipt_ids"]
    moves = client.call("stock.picking", "read", receipt, ["move_ids"])[0]["move_ids"]
    timed("receive (validate, credit)", lambda: (client.call("stock.move", "write", moves, {"picked": True}),
                                                 client.call("stock.picking", "button_validate", receipt)))
    graded = timed("grade at station", lambda: client.call(
        "return.grading.station", "grade", line_ids[0], refs["grade"], 1))
    timed("dispose", lambda: client.call("return.grading", "action_dispose", [graded["grading_id"]]))
    timed("list returns (JSON-RPC read)", lambda: client.call_kw(
        "return.order", "web_search_read", [[["id", "=", ret_id]]], {"specification": {"name": {}, "state": {}}}))


def run_clients(url, database, n_clients, seconds, sale_queue, refs):
    latencies, errors, done = defaultdict(list), [], [0]
    lock = threading.Lock()

    def worker():
        client = Client(url, database, "admin", "admin")

        def timed(name, func):
            start = time.perf_counter()
            result = func()
            with lock:
                latencies[name].append(time.perf_counter() - start)
            return result

        deadline = time.time() + seconds
        while time.time() < deadline:
            with lock:
                if not sale_queue:
                    return
                sale_id = sale_queue.pop()
            try:
                return_life(client, sale_id, refs, timed)
                with lock:
                    done[0] += 1
            except Exception as exc:  # noqa: BLE001 - a client error is a figure of the benchmark
                with lock:
                    errors.append(str(exc).splitlines()[-1][:160] if str(exc) else repr(exc))

    start = time.time()
    threads = [threading.Thread(target=worker) for _client in range(n_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], time.time() - start, latencies, errors


def percentile(values, pct):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(pct / 100.0 * (len(values) - 1))))]


def check(env, since_id):
    """No unit credited twice; triage stock = received - dispositioned, for the bench's returns."""
    env.invalidate_all()
    returns = env["return.order"].search([("id", ">", since_id)])
    lines = returns.line_ids
    over = lines.filtered(lambda line: line.qty_refunded > line.qty_received + 1e-6)
    env.cr.execute("""
        SELECT sol.id, SUM(CASE WHEN am.move_type = 'out_invoice' THEN aml.quantity ELSE 0 END),
               SUM(CASE WHEN am.move_type = 'out_refund' THEN aml.quantity ELSE 0 END)
          FROM sale_order_line_invoice_rel rel
          JOIN account_move_line aml ON aml.id = rel.invoice_line_id
          JOIN account_move am ON am.id = aml.move_id AND am.state = 'posted'
          JOIN sale_order_line sol ON sol.id = rel.order_line_id
         GROUP BY sol.id HAVING SUM(CASE WHEN am.move_type = 'out_refund' THEN aml.quantity ELSE 0 END)
                              > SUM(CASE WHEN am.move_type = 'out_invoice' THEN aml.quantity ELSE 0 END)
    """)
    double = env.cr.fetchall()
    product = env["product.product"].search([("name", "=", f"{MARKER} kettle")])
    warehouse = env["stock.warehouse"].search([], limit=1)
    triage = sum(env["stock.quant"].search([
        ("product_id", "=", product.id), ("location_id", "=", warehouse.return_location_id.id)]).mapped("quantity"))
    all_lines = env["return.order.line"].search([("product_id", "=", product.id)])
    received, dispositioned = sum(all_lines.mapped("qty_received")), sum(all_lines.mapped("qty_dispositioned"))
    credited = sum(lines.mapped("qty_refunded"))
    print(f"  check: {len(returns)} returns, {sum(lines.mapped('qty_received')):.0f} units received, "
          f"{credited:.0f} credited; lines credited beyond receipt: {len(over)}; sale lines credited beyond "
          f"invoice: {len(double)}; triage {triage:.0f} = received {received:.0f} - dispositioned "
          f"{dispositioned:.0f}: {'yes' if abs(triage - (received - dispositioned)) < 1e-6 else 'NO'}")


def probe_replica(url, database, sale_id, refs):
    """Each kind of call alone, and the statements the replica ran meanwhile."""
    client = Client(url, database, "admin", "admin")
    campaign_ids = client.call("recall.campaign", "search", [], limit=1) if refs.get("recall") else []
    probes = [
        ("XML-RPC search_read return.order", lambda: client.call("return.order", "search_read", [], ["name"],
                                                                  limit=20)),
        ("JSON-RPC web_search_read return.order", lambda: client.call_kw(
            "return.order", "web_search_read", [[]], {"specification": {"name": {}}, "limit": 20})),
        ("JSON-RPC read_group return.order.line (reporting)", lambda: client.call_kw(
            "return.order.line", "read_group", [[], ["qty_received:sum"], ["product_id"]])),
        ("GET /my/returns (portal, readonly route)", lambda: client.get("/my/returns")),
        ("JSON-RPC action_submit (write)", lambda: client.call_kw(
            "return.order", "action_submit", [[client.call("return.order.create", "action_create_return_all", [
                client.call("sale.order", "action_create_return_order", [sale_id])["res_id"]])["res_id"]]])),
    ]
    if campaign_ids:
        probes.insert(3, ("JSON-RPC recall.campaign.action_preview_trace", lambda: client.call_kw(
            "recall.campaign", "action_preview_trace", [campaign_ids])))
    print("  call                                              statements run on the replica")
    for name, func in probes:
        time.sleep(0.5)
        before = replica_statements()
        try:
            func()
            error = ""
        except Exception as exc:  # noqa: BLE001
            error = f" (error: {str(exc)[:80]})"
        time.sleep(0.5)
        print(f"  {name:<50} {replica_statements() - before:>4}{error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="rl_scale_load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--sales", type=int, default=600)
    parser.add_argument("--port", type=int, default=8469)
    parser.add_argument("--replica", action="store_true", help="also run with a streaming replica")
    parser.add_argument("--replica-only", action="store_true", help="only the run with the replica")
    parser.add_argument("--replica-port", type=int, default=5439)
    args = parser.parse_args()
    ensure_database(args.database, ["reverse_logistics", "reverse_logistics_recall"])
    with odoo_env(args.database) as env:
        env["res.users"].browse(2).password = "admin"
        env.cr.commit()
        if not env["product.product"].search_count([("name", "=", f"{MARKER} kettle")]):
            print(f"Generating {args.sales} delivered and invoiced sales...", flush=True)
            generate(env, args.sales)
        refs = {"reason": env.ref("reverse_logistics.return_reason_not_needed").id,
                "grade": env.ref("reverse_logistics.grade_a").id}

    def fresh_sales():
        with odoo_env(args.database) as env:
            env.cr.execute("""
                SELECT so.id FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE p.name LIKE %s AND so.state = 'sale'
                   AND NOT EXISTS (SELECT 1 FROM return_order r WHERE r.sale_order_id = so.id)
                 ORDER BY so.id""", [f"{MARKER}%"])
            return [row[0] for row in env.cr.fetchall()]

    def last_return():
        with odoo_env(args.database) as env:
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM return_order")
            return env.cr.fetchone()[0]

    modes = [] if args.replica_only else [("no replica", None)]
    modes += [("streaming replica", args.replica_port)] if args.replica or args.replica_only else []
    for label, replica_port in modes:
        if replica_port:
            print(f"\nStarting a streaming replica on port {replica_port} (pg_basebackup)...", flush=True)
            start_replica(replica_port)
        logfile = f"/tmp/{args.database}-odoo.log"
        open(logfile, "w").close()
        url = f"http://127.0.0.1:{args.port}"
        proc = start_odoo(args.database, args.workers, args.port, logfile, replica_port)
        try:
            print(f"\n== {label}: Odoo --workers {args.workers}, {args.seconds} s per run ==", flush=True)
            for n_clients in args.clients:
                queue = fresh_sales()
                queue.reverse()
                since = last_return()
                log_start = os.path.getsize(logfile)
                done, elapsed, latencies, errors = run_clients(url, args.database, n_clients, args.seconds, queue,
                                                               refs)
                with open(logfile) as log:
                    log.seek(log_start)
                    text = log.read()
                retries = len(re.findall(r"tries left, try again", text))
                print(f"{n_clients} client(s): {done} returns in {elapsed:.0f} s = {60.0 * done / elapsed:.0f} "
                      f"returns/min; retries in the log: {retries}; client errors: {len(errors)}", flush=True)
                for error in sorted(set(errors))[:5]:
                    print(f"    error: {error}")
                print(f"  {'call':<32} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
                for name, values in latencies.items():
                    print(f"  {name:<32} {len(values):>5} {1000 * statistics.median(values):>8.0f} "
                          f"{1000 * percentile(values, 90):>8.0f} {1000 * percentile(values, 99):>8.0f}")
                with odoo_env(args.database) as env:
                    check(env, since)
            if replica_port:
                print("Which calls the replica served (each call alone):")
                probe_replica(url, args.database, fresh_sales()[0], refs)
        finally:
            stop_odoo(proc)
            if replica_port:
                stop_replica()


if __name__ == "__main__":
    main()
