from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestReturnMetrics(ReverseLogisticsCommon):

    def test_dashboard_and_return_rate(self):
        self.product.weight = 2.0
        self._stock_in(self.product, 10)
        sale, _delivery, _invoice = self._sell([(self.product, 10, 100.0, 0.0)])
        ret = self._new_return(sale, qty=4)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        station = self.env["return.grading.station"]
        station.grade(ret.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 3)
        result = station.grade(ret.line_ids.id, self.env.ref("reverse_logistics.grade_d").id, 1)
        junk = self.env["return.grading"].browse(result["grading_id"])
        junk.disposition_id = self.env.ref("reverse_logistics.disposition_dispose")
        ret.action_dispose()
        self.assertEqual(ret.disposition_status, "processed")

        rates = self.env["return.product.rate.report"].search([("product_id", "=", self.product.id)])
        self.assertEqual(sum(rates.mapped("qty_delivered")), 10)
        self.assertEqual(sum(rates.mapped("qty_returned")), 4)

        dash = self.env["return.metrics.dashboard"].create({"company_id": self.company.id})
        self.assertEqual(dash.return_count, 1)
        self.assertAlmostEqual(dash.return_rate, 40.0)
        self.assertAlmostEqual(dash.return_to_stock_rate, 75.0)
        # 3 x 100 x 95% restocked; the disposed unit recovers nothing.
        self.assertAlmostEqual(dash.recovery_value, 285.0)
        self.assertAlmostEqual(dash.recovery_rate, 71.25)
        self.assertAlmostEqual(dash.disposal_cost_per_unit, 5.0)
        self.assertAlmostEqual(dash.landfill_diversion_rate, 75.0, msg="2 of 8 kg to landfill")
        self.assertAlmostEqual(dash.co2_kg, 6 * -2.0 + 2 * 1.2)
        # Refund 400, net recovery 285 - 3 - 5 = 277: the return cost 123.
        self.assertAlmostEqual(ret.return_cost, 123.0)
        self.assertAlmostEqual(dash.cost_per_return, 123.0)
        self.assertIn(self.product.display_name, dash.top_products_html)

    def test_dashboard_reads_the_analysis(self):
        """One definition per KPI: the dashboard's figures are the Return Analysis' aggregates (the rows the
        spreadsheet reads), a rejected request counted by both."""
        self.product.weight = 1.5
        self._stock_in(self.product, 10)
        sale, _delivery, _invoice = self._sell([(self.product, 10, 100.0, 0.0)])
        kept = self._new_return(sale, qty=2)
        kept.action_submit()
        self._receive(kept.receipt_ids)
        self.env["return.grading.station"].grade(kept.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 2)
        kept.action_dispose()
        refused = self._new_return(sale, qty=1)
        self.env["return.order.reject"].with_context(default_return_order_ids=refused.ids).create(
            {"reason": "Outside the window"}).action_confirm()
        self.assertEqual(refused.state, "rejected")

        dash = self.env["return.metrics.dashboard"].create({"company_id": self.company.id})
        self.assertEqual(dash.return_count, 2)
        rows = self.env["return.analysis"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(rows.order_id.ids), {kept.id, refused.id})
        self.assertAlmostEqual(dash.return_to_stock_rate, 100.0)
        # 2 x 100 restocked at 95 %.
        self.assertAlmostEqual(dash.recovery_value, 190.0)
        self.assertAlmostEqual(dash.recovery_rate, 95.0)
        self.assertAlmostEqual(dash.co2_kg, 2 * 1.5 * -2.0)
        self.assertAlmostEqual(dash.co2_kg, -sum(rows.mapped("co2_avoided_kg")))
        self.assertAlmostEqual(dash.landfill_diversion_rate, 100.0)

    def test_analysis_rows_stay_in_their_company(self):
        """The analysis is read by users of every company: a record rule keeps each to its companies."""
        other = self.env["res.company"].create({"name": "Other Returns Co"})
        user = new_test_user(self.env, "rl_analysis_reader", groups="reverse_logistics.group_return_user",
                             company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        domain = self.env["ir.rule"].with_user(user)._compute_domain("return.analysis", "read")
        rows = self.env["return.analysis"].with_user(user).search([("company_id", "=", other.id)])
        self.assertFalse(rows)
        self.assertIn(("company_id", "in", self.company.ids), list(domain))
