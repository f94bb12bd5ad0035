#!/usr/bin/env python3
"""Benchmark: recall trace against Odoo's own traceability paths on ≥ 1,000,000 move lines.

Generates (once, with SQL, not the ORM) a database of supplier receipts, manufacturing orders that
consume component lots into finished lots, deliveries to thousands of customers and some returns.
Three component lots are traced: one consumed into 1 finished lot (small), one into ~40 (medium),
one into ~400 (large fan-out). For each it times:

- this addon's trace (consignees, products, lots, depth, shipped, returned before and on hand: the
  scope and its net quantities): the query on its first run and the median of warm runs, and the
  full action (transfer references and dates read, exposure rows and consignees written);
- Odoo's traceability report walked downstream to the end as a user must: the report of the lot,
  the downstream arrow on each consumption, then the report of every finished lot, lot after lot;
- the lot's Transfers button (delivery_ids, through manufacturing), and the partners of those pickings;

and prints the ratios (against the warm trace median) and whether the three customer sets agree;
then times Odoo's two paths again without this addon's index, as Odoo 18 ships. The report walk is
timed on its second run, the Transfers button as the median of three warm runs (this machine's times
vary by a few milliseconds from run to run). Nothing asserts a time.

    python3 bench/recall_trace.py [--database rl_bench_recall] [--deliveries-per-lot 15]

With --large-fanout only the large lot is traced, and its save (trace, exposure rows and consignees
written, totals) is timed on its own: the median of --save-runs first saves, each rolled back, with the
number of exposure rows it wrote (the goal: under 1 s for ~15,000 rows). --profile prints where the
time of one save goes (pyinstrument, when installed).
"""

import argparse
import statistics
import subprocess
import time

from _odoo_env import ensure_database, odoo_env

MARKER = "RL-BENCH-RECALL"


def generate(env, finished_lots, deliveries_per_lot, customers, component_lots):
    """Fill the database with a synthetic but consistent supply chain, in SQL."""
    cr = env.cr
    company = env.ref("base.main_company")
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    stock, supplier = warehouse.lot_stock_id.id, env.ref("stock.stock_location_suppliers").id
    customer_loc = env.ref("stock.stock_location_customers").id
    production = env["stock.location"].search([("usage", "=", "production"), ("company_id", "=", company.id)],
                                              limit=1).id
    uom = env.ref("uom.product_uom_unit").id
    mo_type = warehouse.manu_type_id.id
    components = env["product.product"].create([
        {"name": f"{MARKER} component {i}", "is_storable": True, "tracking": "lot"} for i in range(5)])
    finished = env["product.product"].create([
        {"name": f"{MARKER} finished {i}", "is_storable": True, "tracking": "lot"} for i in range(10)])
    env.flush_all()
    params = {
        "company": company.id, "stock": stock, "supplier": supplier, "customer": customer_loc,
        "production": production, "uom": uom, "mo_type": mo_type, "in_type": warehouse.in_type_id.id,
        "out_type": warehouse.out_type_id.id, "components": components.ids, "finished": finished.ids,
        "n_comp": component_lots, "n_fin": finished_lots, "n_cust": customers, "per_lot": deliveries_per_lot,
        "marker": MARKER,
    }
    steps = [
        # Customers and a vendor.
        """CREATE TEMP TABLE bench_customer AS
           WITH ins AS (
               INSERT INTO res_partner (name, active, autopost_bills, type, is_company, company_id)
               SELECT %(marker)s || ' customer ' || g, true, 'ask', 'contact', true, NULL
                 FROM generate_series(1, %(n_cust)s) g RETURNING id)
           SELECT row_number() OVER (ORDER BY id) AS n, id FROM ins""",
        """CREATE TEMP TABLE bench_vendor AS
           WITH ins AS (INSERT INTO res_partner (name, active, autopost_bills, type, is_company)
                        VALUES (%(marker)s || ' vendor', true, 'ask', 'contact', true) RETURNING id)
           SELECT id FROM ins""",
        # Component lots, each received from the vendor.
        """CREATE TEMP TABLE bench_comp_lot AS
           WITH ins AS (
               INSERT INTO stock_lot (name, product_id, company_id, create_date, write_date)
               SELECT 'CL-' || lpad(g::text, 6, '0'), (%(components)s::int[])[1 + g %% 5], %(company)s,
                      now(), now()
                 FROM generate_series(1, %(n_comp)s) g RETURNING id, product_id)
           SELECT row_number() OVER (ORDER BY id) AS n, id, product_id FROM ins""",
        # Finished lots.
        """CREATE TEMP TABLE bench_fin_lot AS
           WITH ins AS (
               INSERT INTO stock_lot (name, product_id, company_id, create_date, write_date)
               SELECT 'FL-' || lpad(g::text, 7, '0'), (%(finished)s::int[])[1 + g %% 10], %(company)s,
                      now(), now()
                 FROM generate_series(1, %(n_fin)s) g RETURNING id, product_id)
           SELECT row_number() OVER (ORDER BY id) AS n, id, product_id FROM ins""",
        # Which component lots each finished lot consumes: lot 1 (large) feeds the first 400,
        # lot 2 (medium) the next 40, lot 3 (small) exactly one; the rest pick two lots >= 4.
        """CREATE TEMP TABLE bench_bom AS
           SELECT f.n AS fin_n, f.id AS fin_lot,
                  CASE WHEN f.n <= 400 THEN 1 WHEN f.n <= 440 THEN 2 WHEN f.n = 441 THEN 3
                       ELSE 4 + (f.n * 7919) %% (%(n_comp)s - 3) END AS comp_n
             FROM bench_fin_lot f
           UNION ALL
           SELECT f.n, f.id, 4 + (f.n * 104729 + 13) %% (%(n_comp)s - 3) FROM bench_fin_lot f""",
    ]
    for sql in steps:
        cr.execute(sql, params)
    # Supplier receipts: one picking, move and move line per component lot.
    cr.execute("""
        WITH p AS (
            INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id, move_type, state,
                                       company_id, partner_id, date, date_done, origin)
            SELECT 'BENCH/IN/' || c.n, %(supplier)s, %(stock)s, %(in_type)s, 'direct', 'done', %(company)s,
                   (SELECT id FROM bench_vendor), now() - interval '200 days', now() - interval '200 days', c.id::text
              FROM bench_comp_lot c RETURNING id, origin),
        m AS (
            INSERT INTO stock_move (name, company_id, product_id, product_uom, product_uom_qty, product_qty,
                                    quantity, location_id, location_dest_id, procure_method, state, date,
                                    picking_id, partner_id)
            SELECT 'receipt', %(company)s, c.product_id, %(uom)s, 1000, 1000, 1000, %(supplier)s, %(stock)s,
                   'make_to_stock', 'done', now() - interval '200 days', p.id, (SELECT id FROM bench_vendor)
              FROM p JOIN bench_comp_lot c ON c.id = p.origin::int RETURNING id, product_id, picking_id)
        INSERT INTO stock_move_line (company_id, product_id, product_uom_id, location_id, location_dest_id, date,
                                     lot_id, quantity, quantity_product_uom, state, move_id, picking_id)
        SELECT %(company)s, m.product_id, %(uom)s, %(supplier)s, %(stock)s, now() - interval '200 days',
               p.origin::int, 1000, 1000, 'done', m.id, m.picking_id
          FROM m JOIN p ON p.id = m.picking_id
    """, params)
    # One manufacturing order per finished lot; its finished line consumes two component lines.
    cr.execute("""
        CREATE TEMP TABLE bench_mo AS
        WITH ins AS (
            INSERT INTO mrp_production (name, product_id, product_uom_id, picking_type_id, location_src_id,
                                        location_dest_id, company_id, consumption, product_qty, qty_producing,
                                        date_start, date_finished, state, lot_producing_id, origin)
            SELECT 'BENCH/MO/' || f.n, f.product_id, %(uom)s, %(mo_type)s, %(stock)s, %(stock)s, %(company)s,
                   'flexible', 10, 10, now() - interval '100 days', now() - interval '100 days', 'done', f.id,
                   f.n::text
              FROM bench_fin_lot f RETURNING id, lot_producing_id, product_id, origin)
        SELECT id, lot_producing_id AS fin_lot, product_id, origin::int AS fin_n FROM ins
    """, params)
    cr.execute("""
        CREATE TEMP TABLE bench_fin_line AS
        WITH m AS (
            INSERT INTO stock_move (name, company_id, product_id, product_uom, product_uom_qty, product_qty, quantity,
                                    location_id, location_dest_id, procure_method, state, date, production_id,
                                    origin)
            SELECT 'produce', %(company)s, mo.product_id, %(uom)s, 10, 10, 10, %(production)s, %(stock)s,
                   'make_to_stock', 'done', now() - interval '100 days', mo.id, mo.fin_lot::text
              FROM bench_mo mo RETURNING id, product_id, origin),
        ml AS (
            INSERT INTO stock_move_line (company_id, product_id, product_uom_id, location_id, location_dest_id,
                                         date, lot_id, quantity, quantity_product_uom, state, move_id)
            SELECT %(company)s, m.product_id, %(uom)s, %(production)s, %(stock)s, now() - interval '100 days',
                   m.origin::int, 10, 10, 'done', m.id
              FROM m RETURNING id, lot_id)
        SELECT id, lot_id FROM ml
    """, params)
    cr.execute("""
        WITH m AS (
            INSERT INTO stock_move (name, company_id, product_id, product_uom, product_uom_qty, product_qty, quantity,
                                    location_id, location_dest_id, procure_method, state, date,
                                    raw_material_production_id, origin)
            SELECT 'consume', %(company)s, c.product_id, %(uom)s, 5, 5, 5, %(stock)s, %(production)s,
                   'make_to_stock', 'done', now() - interval '100 days', mo.id, c.id || ':' || b.fin_lot
              FROM bench_bom b JOIN bench_comp_lot c ON c.n = b.comp_n JOIN bench_mo mo ON mo.fin_lot = b.fin_lot
            RETURNING id, product_id, origin),
        ml AS (
            INSERT INTO stock_move_line (company_id, product_id, product_uom_id, location_id, location_dest_id,
                                         date, lot_id, quantity, quantity_product_uom, state, move_id, reference)
            SELECT %(company)s, m.product_id, %(uom)s, %(stock)s, %(production)s, now() - interval '100 days',
                   split_part(m.origin, ':', 1)::int, 5, 5, 'done', m.id, split_part(m.origin, ':', 2)
              FROM m RETURNING id, reference)
        INSERT INTO stock_move_line_consume_rel (consume_line_id, produce_line_id)
        SELECT f.id, ml.id FROM ml JOIN bench_fin_line f ON f.lot_id = ml.reference::int
    """, params)
    # Deliveries: per finished lot, `per_lot` pickings of one unit to customers spread over the set.
    cr.execute("""
        CREATE TEMP TABLE bench_delivery AS
        SELECT f.id AS lot_id, f.product_id, d AS k, c.id AS partner_id
          FROM bench_fin_lot f
         CROSS JOIN generate_series(1, %(per_lot)s) d
          JOIN bench_customer c ON c.n = 1 + ((f.n * 31 + d * 7919) %% %(n_cust)s)
    """, params)
    cr.execute("""
        WITH p AS (
            INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id, move_type, state,
                                       company_id, partner_id, date, date_done, origin)
            SELECT 'BENCH/OUT/' || d.lot_id || '-' || d.k, %(stock)s, %(customer)s, %(out_type)s, 'direct', 'done',
                   %(company)s, d.partner_id, now() - interval '50 days', now() - interval '50 days',
                   d.lot_id || ':' || d.product_id
              FROM bench_delivery d RETURNING id, origin, partner_id),
        m AS (
            INSERT INTO stock_move (name, company_id, product_id, product_uom, product_uom_qty, product_qty, quantity,
                                    location_id, location_dest_id, procure_method, state, date, picking_id,
                                    partner_id, origin)
            SELECT 'deliver', %(company)s, split_part(p.origin, ':', 2)::int, %(uom)s, 1, 1, 1, %(stock)s,
                   %(customer)s, 'make_to_stock', 'done', now() - interval '50 days', p.id, p.partner_id, p.origin
              FROM p RETURNING id, product_id, picking_id, origin)
        INSERT INTO stock_move_line (company_id, product_id, product_uom_id, location_id, location_dest_id, date,
                                     lot_id, quantity, quantity_product_uom, state, move_id, picking_id)
        SELECT %(company)s, m.product_id, %(uom)s, %(stock)s, %(customer)s, now() - interval '50 days',
               split_part(m.origin, ':', 1)::int, 1, 1, 'done', m.id, m.picking_id
          FROM m
    """, params)
    # About 2% of the deliveries come back.
    cr.execute("""
        INSERT INTO stock_move_line (company_id, product_id, product_uom_id, location_id, location_dest_id, date,
                                     lot_id, quantity, quantity_product_uom, state, move_id, picking_id)
        SELECT ml.company_id, ml.product_id, ml.product_uom_id, %(customer)s, %(stock)s, now() - interval '40 days',
               ml.lot_id, 1, 1, 'done', ml.move_id, ml.picking_id
          FROM stock_move_line ml
         WHERE ml.location_dest_id = %(customer)s AND ml.id %% 50 = 0 AND ml.product_id = ANY(%(finished)s)
    """, params)
    fill_stored_columns(cr)
    cr.execute("ANALYZE stock_move_line; ANALYZE stock_move; ANALYZE stock_picking; ANALYZE stock_lot;"
               " ANALYZE stock_move_line_consume_rel;")
    env.invalidate_all()


def fill_stored_columns(cr):
    """The stored columns the ORM computes for each move line and plain SQL inserts lack: the ship-to
    partner (this addon's) and the transfer reference (Odoo's, the picking's name)."""
    cr.execute("""
        UPDATE stock_move_line ml
           SET recall_partner_id = COALESCE(ml.recall_partner_id, p.partner_id, m.partner_id),
               reference = COALESCE(ml.reference, p.name)
          FROM stock_move m
          LEFT JOIN stock_picking p ON p.id = m.picking_id
         WHERE m.id = ml.move_id
           AND ((ml.recall_partner_id IS NULL AND COALESCE(p.partner_id, m.partner_id) IS NOT NULL)
                OR (ml.reference IS NULL AND p.name IS NOT NULL))
    """)
    return cr.rowcount


def time_it(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def odoo_report_walk(env, lot):
    """Odoo's traceability report as a user walks it downstream: report of the lot, the downstream
    arrow on each consumption line, then the report of every lot made from it, until deliveries."""
    report = env["stock.traceability.report"]
    customers, seen, todo = set(), set(), [lot.id]
    while todo:
        lot_id = todo.pop()
        if lot_id in seen:
            continue
        seen.add(lot_id)
        lines = report.with_context(active_id=lot_id, model="stock.lot").get_lines()
        for line in lines:
            if line.get("res_model") == "stock.picking" and line.get("usage") == "out":
                picking = env["stock.picking"].browse(line["res_id"])
                if picking.location_dest_id.usage == "customer":
                    customers.add(picking.partner_id.id)
            if line.get("is_used"):
                produced = report.with_context(lot_name=line["lot_name"], active_id=line["model_id"],
                                               model="stock.move.line").get_lines()
                todo.extend(p["lot_id"] for p in produced if p.get("lot_id"))
    return customers


def odoo_transfers_button(env, lot):
    action = lot.action_lot_open_transfers()
    pickings = env["stock.picking"].browse(action.get("res_id") or []) if action.get("res_id") else \
        env["stock.picking"].search(action.get("domain") or [])
    return set(pickings.filtered(lambda p: p.location_dest_id.usage == "customer").partner_id.ids)


def walk_warm(env, walker, lot, runs=1, skip=False):
    """Median time of `runs` warm runs (after one warm-up) and customers of one of Odoo's paths."""
    if skip:
        return float("nan"), set()
    env.invalidate_all()
    walker(env, lot)
    times = []
    for _run in range(runs):
        env.invalidate_all()
        customers, seconds = time_it(lambda: walker(env, lot))
        times.append(seconds)
    return statistics.median(times), customers


def time_large_save(env, lot, runs, profile=False):
    """Median seconds of the first save of a recall of `lot` (each run rolled back), and its rows."""
    campaign = env["recall.campaign"].create({
        "title": "bench large fan-out", "product_ids": [(6, 0, lot.product_id.ids)],
        "lot_ids": [(6, 0, lot.ids)], "reason": "benchmark", "is_mock": True,
    })
    env.flush_all()
    times, rows, queries = [], 0, 0
    for run in range(runs + 1):
        with env.cr.savepoint(flush=False) as savepoint:
            env.invalidate_all()
            start_queries = env.cr.sql_log_count
            _none, seconds = time_it(campaign.action_trace)
            queries = env.cr.sql_log_count - start_queries
            env.cr.execute("SELECT count(*) FROM recall_exposure WHERE campaign_id = %s", [campaign.id])
            rows = env.cr.fetchone()[0]
            savepoint.rollback()
        env.invalidate_all()
        if run:  # the first run warms the caches
            times.append(seconds)
    print(f"{lot.name} large fan-out: {rows:,} exposure rows, save {statistics.median(times):.3f} s "
          f"(median of {runs}, min {min(times):.3f} s, max {max(times):.3f} s), {queries} queries", flush=True)
    if profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("pyinstrument is not installed: pip install pyinstrument")
            return
        with env.cr.savepoint(flush=False) as savepoint:
            env.invalidate_all()
            profiler = Profiler()
            profiler.start()
            campaign.action_trace()
            profiler.stop()
            savepoint.rollback()
        print(profiler.output_text(unicode=False, color=False, show_all=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="rl_bench_recall")
    parser.add_argument("--finished-lots", type=int, default=60000)
    parser.add_argument("--deliveries-per-lot", type=int, default=15)
    parser.add_argument("--component-lots", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9, help="warm runs of the trace query (median printed)")
    parser.add_argument("--skip-report", action="store_true", help="do not time Odoo's report walk")
    parser.add_argument("--large-fanout", action="store_true",
                        help="time the save of the large lot alone (rows written, median of --save-runs)")
    parser.add_argument("--save-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one save of the large lot")
    args = parser.parse_args()
    ensure_database(args.database, ["reverse_logistics_recall", "mrp"])
    with odoo_env(args.database) as env:
        if not env["product.product"].search_count([("name", "=like", f"{MARKER}%")]):
            print("Generating the data set with SQL...", flush=True)
            _none, seconds = time_it(lambda: generate(env, args.finished_lots, args.deliveries_per_lot,
                                                      args.customers, args.component_lots))
            env.cr.commit()
            subprocess.run(["psql", "-d", args.database, "-qc", "VACUUM ANALYZE"], check=False)
            print(f"generated in {seconds:.1f} s", flush=True)
        # Data sets generated before the generator filled it.
        env.cr.execute("SELECT 1 FROM stock_move_line WHERE (recall_partner_id IS NULL OR reference IS NULL) "
                       "AND picking_id IS NOT NULL AND location_dest_id = %s LIMIT 1",
                       [env.ref("stock.stock_location_customers").id])
        if env.cr.fetchone():
            print(f"filled the partner and reference of {fill_stored_columns(env.cr):,} move lines", flush=True)
            env.cr.commit()
            subprocess.run(["psql", "-d", args.database, "-qc", "VACUUM ANALYZE stock_move_line"], check=False)
        env.cr.execute("SELECT count(*) FROM stock_move_line")
        print(f"stock move lines in the database: {env.cr.fetchone()[0]:,}")
        lots = env["stock.lot"].search([("name", "in", ["CL-000001", "CL-000002", "CL-000003"])], order="name")
        large, medium, small = lots
        if args.large_fanout:
            time_large_save(env, large, args.save_runs, args.profile)
            env.cr.rollback()
            return
        cases = (("small", small), ("medium", medium), ("large", large))
        print(f"trace: median of {args.runs} warm runs; report walk: second run; Transfers: median of 3 warm runs.")
        print(f"{'lot':<10} {'size':<7} {'customers':>9} {'trace 1st':>10} {'trace':>8} {'trace+save':>11} "
              f"{'report walk':>12} {'x':>6} {'Transfers':>10} {'x':>6}  same customers")
        results = {}
        for label, lot in cases:
            campaign = env["recall.campaign"].create({
                "title": f"bench {label}", "product_ids": [(6, 0, lot.product_id.ids)],
                "lot_ids": [(6, 0, lot.ids)], "reason": "benchmark", "is_mock": True,
            })
            env.invalidate_all()
            _rows, first_ms = campaign._run_trace()
            query_ms = statistics.median(campaign._run_trace()[1] for _run in range(args.runs))
            _none, full = time_it(campaign.action_trace)
            ours = set(campaign.consignee_exposure_ids.partner_id.ids)
            exposed = len(campaign.consignee_exposure_ids.filtered(lambda r: r.qty_exposed > 0).partner_id)
            report_s, report_customers = walk_warm(env, odoo_report_walk, lot, skip=args.skip_report)
            button_s, button_customers = walk_warm(env, odoo_transfers_button, lot, runs=3)
            results[label] = (lot, query_ms / 1000.0)
            query_s = query_ms / 1000.0
            same = "yes" if ours == button_customers and (args.skip_report or ours == report_customers) \
                else f"no (ours {len(ours)}, report {len(report_customers)}, button {len(button_customers)})"
            print(f"{lot.name:<10} {label:<7} {exposed:>9} {first_ms / 1000:>9.3f}s {query_s:>7.3f}s {full:>10.3f}s "
                  f"{report_s:>11.2f}s {report_s / query_s:>5.0f}x {button_s:>9.2f}s "
                  f"{button_s / query_s:>5.0f}x  {same}", flush=True)
        # Odoo as it ships has no index on stock_move_line.lot_id: time its paths without ours.
        env.cr.execute("DROP INDEX IF EXISTS stock_move_line_recall_lot_idx")
        print("Odoo's paths without this addon's index (Odoo 18 as shipped):")
        for label, (lot, query_s) in results.items():
            report_s, _report = walk_warm(env, odoo_report_walk, lot, skip=args.skip_report)
            button_s, _button = walk_warm(env, odoo_transfers_button, lot, runs=3)
            print(f"{lot.name:<10} {label:<7} report walk {report_s:8.2f}s ({report_s / query_s:5.0f}x)   "
                  f"Transfers {button_s:6.2f}s ({button_s / query_s:5.0f}x)", flush=True)
        env.cr.rollback()


if __name__ == "__main__":
    main()
