#!/usr/bin/env python3
"""Benchmark: grade and disposition N received return units in batch.

Creates a distributor return of N single-unit lines, receives it, grades every unit through the
grading station API (one call per unit, as at the station), then dispositions them all in one batch
(half restocked, half liquidated): in the request, or with --queued as the background does it (the units
flagged by Dispose, then the cron's calls one chunk at a time, as the administrator who queued).
Prints units per second and queries per unit for each phase. Everything is rolled back at the end.

    python3 bench/disposition_batch.py [-n 1000] [--queued] [--database rl_bench]
"""

import argparse
import time

from _odoo_env import ensure_database, odoo_env

from odoo import Command


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--units", type=int, default=1000)
    parser.add_argument("--queued", action="store_true",
                        help="flag the units and run the disposition cron chunk by chunk")
    parser.add_argument("--database", default="rl_bench")
    args = parser.parse_args()
    ensure_database(args.database, ["reverse_logistics"])
    with odoo_env(args.database) as env:
        cr = env.cr
        company = env.ref("base.main_company")
        env = env(context=dict(env.context, allowed_company_ids=company.ids, skip_sms=True))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        # The whole batch in this one request: no size limit; queued: always flagged, chunks of 200.
        env["ir.config_parameter"].set_param("reverse_logistics.batch_limit.disposition", 1 if args.queued else 0)
        env["ir.config_parameter"].set_param("reverse_logistics.batch_limit.disposition_chunk", 200)
        product = env["product.product"].create({
            "name": "Bench Toaster", "is_storable": True, "list_price": 50.0, "standard_price": 20.0,
        })
        ret = env["return.order"].create({
            "partner_id": env.ref("base.partner_admin").id,
            "return_type_id": env.ref("reverse_logistics.return_type_distributor").id,
            "resolution": "none",
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": 1.0})
                         for _ in range(args.units)],
        })
        ret.action_approve()
        ret.receipt_ids.move_ids.picked = True
        ret.receipt_ids._action_done()
        env.flush_all()
        grade_a = env.ref("reverse_logistics.grade_a")
        grade_c = env.ref("reverse_logistics.grade_c")
        liquidate = env.ref("reverse_logistics.disposition_liquidate")
        station = env["return.grading.station"]

        q0, t0 = cr.sql_log_count, time.perf_counter()
        for i, line in enumerate(ret.line_ids):
            station.grade(line.id, (grade_a if i % 2 else grade_c).id, 1.0)
        env.flush_all()
        q1, t1 = cr.sql_log_count, time.perf_counter()
        gradings = ret.grading_ids
        gradings.filtered(lambda g: g.grade_id == grade_c).disposition_id = liquidate
        if args.queued:
            gradings.with_user(env.ref("base.user_admin")).action_dispose()
            calls = 0
            while gradings.search_count([("disposition_queued", "=", True)]):
                gradings._cron_execute_queued_dispositions()
                env.flush_all()
                calls += 1
            print(f"cron calls: {calls}")
        else:
            gradings.action_dispose()
        env.flush_all()
        q2, t2 = cr.sql_log_count, time.perf_counter()

        assert set(gradings.mapped("state")) == {"done"}
        n = args.units
        print(f"units: {n}")
        print(f"grading (station, one call per unit): {n / (t1 - t0):8.1f} units/s  "
              f"{(q1 - q0) / n:6.2f} queries/unit  {t1 - t0:6.2f} s")
        print(f"{'disposition (flagged, cron chunks):' if args.queued else 'disposition (one request):':38}"
              f"{n / (t2 - t1):8.1f} units/s  "
              f"{(q2 - q1) / n:6.2f} queries/unit  {t2 - t1:6.2f} s")
        print(f"total:                                {n / (t2 - t0):8.1f} units/s  "
              f"{(q2 - q0) / n:6.2f} queries/unit  {t2 - t0:6.2f} s")
        cr.rollback()


if __name__ == "__main__":
    main()
