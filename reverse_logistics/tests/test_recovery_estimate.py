"""Expected recovery at the request and estimate against outcome (issue 26, items 1 and 6): from a known
history of gradings, the estimate frozen at submission and the report comparing it with what was recovered."""
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestRecoveryEstimate(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.clerk = new_test_user(cls.env, "rl_est_clerk", groups="stock.group_stock_user,"
                                  "reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_est_manager", groups="stock.group_stock_user,"
                                    "reverse_logistics.group_return_manager", **company)
        cls.portal_user = new_test_user(cls.env, "rl_est_portal", groups="base.group_portal",
                                        partner_id=cls.partner.id)
        other = cls.env["res.company"].create({"name": "Estimate Other Co"})
        cls.other_clerk = new_test_user(
            cls.env, "rl_est_other", groups="stock.group_stock_user,reverse_logistics.group_return_user",
            company_id=other.id, company_ids=[Command.set(other.ids)])
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.grade_c = cls.env.ref("reverse_logistics.grade_c")
        (cls.grade_a | cls.grade_c).default_disposition_id = False
        cls.grade_a.recovery_rate = 100.0
        cls.grade_c.recovery_rate = 50.0
        cls.restock = cls.env["return.disposition"].create({
            "name": "Estimate Restock", "operation": "restock", "recovery_share": 100.0, "processing_cost": 2.0})
        cls.liquidate = cls.env["return.disposition"].create({
            "name": "Estimate Liquidate", "operation": "liquidate", "recovery_share": 40.0,
            "processing_cost": 5.0})
        # These rules come first for the product: A goes back to stock, C to the liquidator.
        cls.env["return.disposition.rule"].create([
            {"name": "Estimate A", "sequence": -100, "grade_ids": [Command.set(cls.grade_a.ids)],
             "product_ids": [Command.set(cls.product.ids)], "disposition_id": cls.restock.id},
            {"name": "Estimate C", "sequence": -99, "grade_ids": [Command.set(cls.grade_c.ids)],
             "product_ids": [Command.set(cls.product.ids)], "disposition_id": cls.liquidate.id},
        ])
        cls.policy.write({"recovery_handling_cost": 3.0, "recovery_history_min_qty": 4.0})
        cls._stock_in(cls.product, 20)
        cls.station = cls.env["return.grading.station"]

    def _submitted(self, qty, reason=None, product=None, price=100.0):
        product = product or self.product
        sale, _delivery, _invoice = self._sell([(product, qty, price, 0.0)])
        ret = self._new_return(sale, qty=qty, reason=reason).with_user(self.clerk)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        return ret

    def _process(self, ret, grades):
        """Receive the return and grade and dispose its units as the clerk: [(grade, qty)]."""
        self._receive(ret.receipt_ids)
        line = ret.line_ids
        station = self.station.with_user(self.clerk)
        gradings = self.env["return.grading"]
        for grade, qty in grades:
            gradings |= gradings.browse(station.grade(line.id, grade.id, qty)["grading_id"])
        gradings.with_user(self.clerk).action_dispose()
        self.assertEqual(set(gradings.mapped("state")), {"done"})
        return gradings

    def _history(self):
        """3 units graded A and 1 graded C, all processed, for the reason 'not needed'."""
        ret = self._submitted(4)
        self._process(ret, [(self.grade_a, 3), (self.grade_c, 1)])
        return ret

    # Per unit of the product at 100.0 untaxed, from the rates the test set:
    # A: restocked, 100 x 100 % x 100 % - 2 = 98; C: liquidated, 100 x 50 % x 40 % - 5 = 15.
    UNIT_A = 100.0 * 1.0 * 1.0 - 2.0
    UNIT_C = 100.0 * 0.5 * 0.4 - 5.0

    def test_estimate_from_known_history(self):
        first = self._history()
        self.assertEqual(first.line_ids.expected_recovery_basis, "none", "the first return had no history")
        self.assertEqual(first.line_ids.expected_recovery_amount, 0.0)
        self.assertFalse(first.line_ids.expected_recovery_ids)

        ret = self._submitted(2)
        line = ret.line_ids
        self.assertEqual(line._get_unit_value(), 100.0)
        expected = 2 * (0.75 * self.UNIT_A + 0.25 * self.UNIT_C)
        cost = 2 * 3.0
        self.assertEqual(line.expected_recovery_basis, "reason")
        self.assertEqual(line.expected_recovery_history_qty, 4.0)
        self.assertAlmostEqual(line.expected_recovery_amount, expected)
        self.assertAlmostEqual(line.return_cost_amount, cost)
        self.assertAlmostEqual(line.expected_net_amount, expected - cost)
        by_grade = {e.grade_id: e for e in line.expected_recovery_ids}
        self.assertEqual(by_grade[self.grade_a].disposition_id, self.restock)
        self.assertEqual(by_grade[self.grade_c].disposition_id, self.liquidate)
        self.assertAlmostEqual(by_grade[self.grade_a].share, 75.0)
        self.assertAlmostEqual(by_grade[self.grade_a].unit_recovery_value, 100.0)
        self.assertAlmostEqual(by_grade[self.grade_c].unit_recovery_value, 20.0)
        self.assertAlmostEqual(by_grade[self.grade_c].unit_processing_cost, 5.0)
        self.assertAlmostEqual(by_grade[self.grade_c].expected_amount, 2 * 0.25 * self.UNIT_C)

    def test_wider_history_when_the_reason_has_too_little(self):
        self._history()
        ret = self._submitted(1, reason=self.reason_defect)
        self.assertEqual(ret.line_ids.expected_recovery_basis, "product", "no history for the reason")
        self.assertAlmostEqual(ret.line_ids.expected_recovery_amount, 0.75 * self.UNIT_A + 0.25 * self.UNIT_C)
        # More history required than the product has: the category's (the same four units here).
        self.policy.with_user(self.manager).recovery_history_min_qty = 5.0
        ret = self._submitted(1)
        self.assertEqual(ret.line_ids.expected_recovery_basis, "category")
        self.assertAlmostEqual(ret.line_ids.expected_recovery_amount, 0.75 * self.UNIT_A + 0.25 * self.UNIT_C)

    def test_history_outside_the_period_is_not_read(self):
        first = self._history()
        first.line_ids.grading_ids.sudo().date_done = "2020-01-01 00:00:00"
        ret = self._submitted(1)
        self.assertEqual(ret.line_ids.expected_recovery_basis, "none")
        self.assertEqual(ret.line_ids.expected_recovery_amount, 0.0)
        self.assertAlmostEqual(ret.line_ids.return_cost_amount, 3.0, msg="the handling cost is known")

    def test_no_history_is_flagged_and_estimates_nothing(self):
        other_categ = self.env["product.category"].create({"name": "Never Returned"})
        product = self._create_rl_product("Milk Jug", cost=5.0, price=20.0, categ_id=other_categ.id)
        self._stock_in(product, 3)
        ret = self._submitted(3, product=product, price=20.0)
        line = ret.line_ids
        self.assertEqual(line.expected_recovery_basis, "none")
        self.assertEqual(line.expected_recovery_amount, 0.0)
        self.assertFalse(line.expected_recovery_ids)
        self.assertAlmostEqual(line.return_cost_amount, 3 * 3.0)

    def test_default_policy_costs_nothing(self):
        policy = self.env["return.policy"].create({"name": "Fresh", "company_id": self.company.id})
        self.assertEqual(policy.recovery_handling_cost, 0.0)
        self.assertEqual(policy.recovery_history_days, 365)
        with self.assertRaises(ValidationError):
            policy.with_user(self.manager).recovery_history_days = 0
        with self.assertRaises(ValidationError):
            policy.with_user(self.manager).recovery_handling_cost = -1.0
        self.assertEqual(self.env["return.order"].new({"company_id": self.company.id})._get_return_shipping_cost(),
                         0.0)

    def test_estimate_frozen_at_submission(self):
        self._history()
        ret = self._submitted(2)
        line = ret.line_ids
        frozen = line.expected_recovery_amount
        # Rates and history change afterwards: the request's estimate stays what it was.
        self.restock.processing_cost = 50.0
        self.grade_a.recovery_rate = 10.0
        self.policy.with_user(self.manager).recovery_handling_cost = 9.0
        later = self._submitted(1)
        self._process(later, [(self.grade_c, 1)])
        self._process(ret, [(self.grade_a, 2)])
        self.assertEqual(line.expected_recovery_amount, frozen)
        self.assertAlmostEqual(line.return_cost_amount, 6.0)
        for user in (self.clerk, self.manager):
            with self.assertRaisesRegex(UserError, "expected_recovery_amount|Expected Recovery"):
                line.with_user(user).write({"expected_recovery_amount": 1.0})
            with self.assertRaisesRegex(UserError, "Cost of Bringing Back|return_cost_amount"):
                line.with_user(user).write({"return_cost_amount": 0.0})
        with self.assertRaises(AccessError):
            line.expected_recovery_ids.with_user(self.clerk).write({"expected_amount": 0.0})

    def test_estimate_against_outcome_report(self):
        self._history()
        ret = self._submitted(2)
        line = ret.line_ids
        report = self.env["return.recovery.estimate.report"].with_user(self.clerk)
        self.assertFalse(report.search([("line_id", "=", line.id)]), "not processed yet: nothing to compare")
        self._process(ret, [(self.grade_a, 1), (self.grade_c, 1)])
        self.env.flush_all()  # the report reads the tables, as the next request would
        rows = {r.disposition_id: r for r in report.search([("line_id", "=", line.id)])}
        self.assertEqual(set(rows), {self.restock, self.liquidate})
        expected_a, expected_c = 2 * 0.75 * self.UNIT_A, 2 * 0.25 * self.UNIT_C
        realised_a, realised_c = self.UNIT_A, self.UNIT_C  # one unit each went its grade's way
        self.assertAlmostEqual(rows[self.restock].expected_amount, expected_a)
        self.assertAlmostEqual(rows[self.restock].realised_amount, realised_a)
        self.assertAlmostEqual(rows[self.restock].difference_amount, realised_a - expected_a)
        self.assertAlmostEqual(rows[self.liquidate].expected_amount, expected_c)
        self.assertAlmostEqual(rows[self.liquidate].realised_amount, realised_c)
        self.assertAlmostEqual(rows[self.liquidate].difference_amount, realised_c - expected_c)
        self.assertEqual(rows[self.restock].product_id, self.product)
        # The history's return had no estimate: it is not compared.
        self.assertEqual(report.search([("product_id", "=", self.product.id)]).line_id, line)
        totals = report.read_group([("product_id", "=", self.product.id)],
                                   ["expected_amount:sum", "realised_amount:sum"], ["product_id"])
        self.assertAlmostEqual(totals[0]["expected_amount"], expected_a + expected_c)
        self.assertAlmostEqual(totals[0]["realised_amount"], realised_a + realised_c)

    def test_attackers_see_no_estimate(self):
        self._history()
        ret = self._submitted(2)
        line = ret.line_ids
        self._process(ret, [(self.grade_a, 2)])
        self.env.flush_all()
        # Another company's clerk: no estimate rows, no report rows.
        self.assertFalse(self.env["return.recovery.estimate"].with_user(self.other_clerk).search(
            [("line_id", "=", line.id)]))
        self.assertFalse(self.env["return.recovery.estimate.report"].with_user(self.other_clerk).search(
            [("line_id", "=", line.id)]))
        with self.assertRaises(AccessError):
            line.expected_recovery_ids.with_user(self.other_clerk).read(["expected_amount"])
        # The customer: the estimate is the company's, never his.
        with self.assertRaises(AccessError):
            line.with_user(self.portal_user).read(["expected_recovery_amount"])
        with self.assertRaises(AccessError):
            self.env["return.recovery.estimate.report"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.env["return.recovery.estimate"].with_user(self.portal_user).search([])
        # A forged context changes nothing: the fields stay the flow's.
        with self.assertRaises(UserError):
            line.with_user(self.clerk).with_context(install_mode=True).write({"expected_net_amount": 1e6})
