from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnsDashboard(ReverseLogisticsCommon):
    """The Returns dashboard: who sees it, and its data sources give the figures of the records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref("reverse_logistics_spreadsheet_dashboard.spreadsheet_dashboard_returns")
        cls.manager = new_test_user(
            cls.env, "rl_dash_manager", groups="base.group_user,reverse_logistics.group_return_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        # A manager outside the returns team: the Dashboards app and Returns Reporting, nothing else.
        cls.analyst = new_test_user(
            cls.env, "rl_dash_analyst", groups="base.group_user,reverse_logistics.group_return_reporting",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.clerk = new_test_user(
            cls.env, "rl_dash_clerk", groups="stock.group_stock_user,reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        # A return through the whole flow (setup, as superuser): 4 of 10 delivered units come back,
        # 3 are restocked and 1 disposed of.
        cls.product.weight = 2.0
        cls._stock_in(cls.product, 10)
        cls.sale, _delivery, _invoice = cls._sell([(cls.product, 10, 100.0, 0.0)])

    def _run_flow(self):
        ret = self._new_return(self.sale, qty=4)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        station = self.env["return.grading.station"]
        station.grade(ret.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 3)
        result = station.grade(ret.line_ids.id, self.env.ref("reverse_logistics.grade_d").id, 1)
        self.env["return.grading"].browse(result["grading_id"]).disposition_id = \
            self.env.ref("reverse_logistics.disposition_dispose")
        ret.action_dispose()
        self.assertEqual(ret.disposition_status, "processed")
        self.assertTrue(ret.date_resolved)
        # Known durations: requested 36 hours before its resolution, received 30 hours before processed.
        self.env.flush_all()
        self.env.cr.execute("""
            UPDATE return_order SET date_request = date_resolved - interval '36 hours',
                   date_first_receipt = date_dispositioned - interval '30 hours'
             WHERE id = %s""", [ret.id])
        self.env.invalidate_all()
        return ret

    def _snapshot(self, user):
        data = self.dashboard.with_user(user).get_readonly_dashboard()
        self.assertFalse(data.get("is_sample"))
        return data["snapshot"]

    def _pivot_rows(self, user, pivot, groupby=True):
        """What the spreadsheet asks for a pivot, restricted to the test's company as its filter would."""
        measures = [f"{m['fieldName']}:{m['aggregator']}" for m in pivot["measures"]]
        rows = [
            f"{row['fieldName']}:{row['granularity']}" if row.get("granularity") else row["fieldName"]
            for row in pivot["rows"]
        ] if groupby else []
        domain = pivot["domain"] + [("company_id", "=", self.company.id)]
        return self.env[pivot["model"]].with_user(user).read_group(domain, measures, rows, lazy=False)

    def test_dashboard_for_returns_manager_and_reporting(self):
        dashboards = self.env["spreadsheet.dashboard"]
        self.assertIn(self.dashboard, dashboards.with_user(self.manager).search([]))
        self.assertIn(self.dashboard, dashboards.with_user(self.analyst).search([]))
        self.assertNotIn(self.dashboard, dashboards.with_user(self.clerk).search([]))
        someone = new_test_user(self.env, "rl_dash_someone", groups="base.group_user",
                                company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        self.assertNotIn(self.dashboard, dashboards.with_user(someone).search([]))
        # Reporting reads and changes nothing.
        ret = self._run_flow()
        self.assertEqual(ret.with_user(self.analyst).name, ret.name)
        with self.assertRaises(AccessError):
            ret.with_user(self.analyst).write({"note": "changed"})
        with self.assertRaises(AccessError):
            self.env["return.order"].with_user(self.analyst).create({"partner_id": self.partner.id})
        # Inventory > Returns > Reporting > Dashboard opens it.
        action = self.env.ref("reverse_logistics_spreadsheet_dashboard.action_returns_dashboard")
        self.assertEqual(action.params, {"dashboard_id": self.dashboard.id})

    def test_data_sources_load_and_match_records(self):
        ret = self._run_flow()
        snapshot = self._snapshot(self.manager)
        self.assertEqual(
            {f["label"] for f in snapshot["globalFilters"]}, {"Period", "Warehouse", "Company", "Product Category"})

        # Every data source loads for the manager and for a Returns Reporting user, and every filter it
        # is matched to is a field of its model.
        self.assertEqual(self._snapshot(self.analyst), snapshot)
        charts = [f["data"] for f in snapshot["sheets"][0]["figures"] if f["data"]["type"].startswith("odoo_")]
        self.assertTrue(charts)
        for user in (self.manager, self.analyst):
            for source in [*snapshot["pivots"].values(), *snapshot["lists"].values()]:
                model = self.env[source["model"]].with_user(user)
                for match in source["fieldMatching"].values():
                    self.assertIn(match["chain"], model._fields)
                if source in snapshot["lists"].values():
                    self.assertTrue(model.search_read(source["domain"], source["columns"], limit=5))
                else:
                    self._pivot_rows(user, source)
            for chart in charts:
                meta = chart["metaData"]
                fields = [] if meta["measure"] == "__count" else [f"{meta['measure']}:sum"]
                self.assertTrue(self.env[meta["resModel"]].with_user(user).read_group(
                    chart["searchParams"]["domain"], fields, meta["groupBy"], lazy=False))

        pivots = {p["name"]: p for p in snapshot["pivots"].values()}
        [kpi] = self._pivot_rows(self.manager, pivots["Key figures"], groupby=False)
        self.assertEqual(self._pivot_rows(self.analyst, pivots["Key figures"], groupby=False), [kpi])
        restock = ret.grading_ids.filtered(lambda g: g.grade_id.code == "A").disposition_id
        dispose = self.env.ref("reverse_logistics.disposition_dispose")
        self.assertEqual(kpi["order_id"], 1)
        self.assertEqual(kpi["qty_requested"], 4)
        self.assertEqual(kpi["qty_received"], 4)
        self.assertAlmostEqual(kpi["refund_amount"], 4 * 100.0)
        self.assertEqual(kpi["qty_kept"], 0, "nothing kept by the customer: the goods came back")
        self.assertEqual(kpi["kept_value"], 0)
        grade_a = self.env.ref("reverse_logistics.grade_a")
        # Graded value (the invoiced price) x the grade's recovery rate x the channel's value realized.
        expected_recovery = 3 * 100.0 * grade_a.recovery_rate / 100.0 * restock.recovery_share / 100.0
        self.assertAlmostEqual(kpi["recovery_value"], expected_recovery)
        self.assertAlmostEqual(
            kpi["net_recovery"], expected_recovery - 3 * restock.processing_cost - dispose.processing_cost)
        self.assertAlmostEqual(kpi["days_to_resolution"], 1.5, msg="36 hours")
        self.assertAlmostEqual(kpi["days_to_processed"], 1.25, msg="30 hours")
        self.assertAlmostEqual(kpi["weight_processed"], 8.0)
        self.assertAlmostEqual(kpi["weight_diverted"], 6.0, msg="the disposed unit's 2 kg go to landfill")
        self.assertAlmostEqual(kpi["co2_avoided_kg"], -(6.0 * restock.co2_factor + 2.0 * dispose.co2_factor))

        # Summed over the months: delivered in setup and returned in the test may fall on either side
        # of a month's end.
        months = self._pivot_rows(self.manager, pivots["Return rate by month"])
        self.assertEqual((sum(m["qty_delivered"] for m in months), sum(m["qty_returned"] for m in months)),
                         (10, 4))
        mix = {row["disposition_id"][0]: row["quantity"]
               for row in self._pivot_rows(self.manager, pivots["Disposition mix"])}
        self.assertEqual(mix, {restock.id: 3, dispose.id: 1})
        # The first return of the product had no graded history to be estimated from: nothing to compare.
        self.assertFalse(self._pivot_rows(self.manager, pivots["Expected vs realised recovery"]))
        [bucket] = self._pivot_rows(self.manager, pivots["Request to resolution"])
        self.assertEqual(bucket["resolution_bucket"], "b_3d")

        # A drill-down opens the analysis rows; a row opens its return.
        row = self.env["return.analysis"].with_user(self.manager).search([("order_id", "=", ret.id)])
        self.assertEqual(len(row), 1)
        self.assertEqual((row.hours_to_resolution, row.resolution_bucket), (36.0, "b_3d"))
        self.assertEqual(row.action_open_return()["res_id"], ret.id)
