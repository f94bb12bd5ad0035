from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestGradingStationQueue(ReverseLogisticsCommon):
    """The station's first screen, before anything is scanned: what waits to be graded, oldest first, with
    its age and SLA, and what was graded today; as the clerk who grades."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_queue_clerk", company_id=cls.company.id, company_ids=[cls.company.id],
            groups="stock.group_stock_user,reverse_logistics.group_return_user")
        cls.policy.grading_sla_hours = 48
        cls.grade_b = cls.env.ref("reverse_logistics.grade_b")

    def _received_return(self, qty, hours_ago):
        self._stock_in(self.product, qty)
        sale, _delivery, _invoice = self._sell([(self.product, qty, 100.0, 0.0)])
        ret = self._new_return(sale, qty=qty)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        # When the goods arrived: set as the system, as the receipt would have.
        ret.sudo().date_first_receipt = fields.Datetime.now() - timedelta(hours=hours_ago)
        return ret

    def _queue(self, user=None):
        return self.env["return.grading.station"].with_user(user or self.clerk).get_queue()

    def test_queue_oldest_first_with_age_sla_and_todays_count(self):
        recent = self._received_return(1, hours_ago=5)
        old = self._received_return(2, hours_ago=72)
        queue = self._queue()
        self.assertEqual(queue["waiting"], 2)
        self.assertEqual([row["order"] for row in queue["returns"]], [old.name, recent.name], "oldest first")
        old_row, recent_row = queue["returns"]
        self.assertEqual((old_row["order_id"], old_row["partner"], old_row["products"], old_row["qty_to_grade"]),
                         (old.id, self.partner.display_name, self.product.display_name, 2.0))
        self.assertAlmostEqual(old_row["age_hours"], 72.0, delta=0.2)
        self.assertEqual(old_row["sla_hours"], 48)
        self.assertTrue(old_row["overdue"], "72 hours waiting, for an SLA of 48")
        self.assertAlmostEqual(recent_row["age_hours"], 5.0, delta=0.2)
        self.assertFalse(recent_row["overdue"])
        self.assertEqual(fields.Datetime.to_datetime(old_row["received"]), old.date_first_receipt)
        self.assertEqual((queue["graded_today"], queue["graded_today_by_you"]), (0, 0))

        # The clerk grades the recent return's unit: it leaves the queue, today's count shows it.
        station = self.env["return.grading.station"].with_user(self.clerk)
        result = station.grade(recent.line_ids.id, self.grade_b.id, 1)
        self.assertNotIn("error", result)
        queue = self._queue()
        self.assertEqual(queue["waiting"], 1)
        self.assertEqual([row["order"] for row in queue["returns"]], [old.name])
        self.assertEqual((queue["graded_today"], queue["graded_today_by_you"]), (1, 1))
        # Half of the old one, by someone else: it stays with one unit; only the clerk's own count is his.
        self.env["return.grading.station"].grade(old.line_ids.id, self.grade_b.id, 1)
        queue = self._queue()
        self.assertEqual(queue["returns"][0]["qty_to_grade"], 1.0)
        self.assertEqual((queue["graded_today"], queue["graded_today_by_you"]), (2, 1))
        # A grading of yesterday is not today's.
        self.env["return.grading"].browse(result["grading_id"]).sudo().date_graded = (
            fields.Datetime.now() - timedelta(days=1, hours=1))
        self.assertEqual(self._queue()["graded_today"], 1)

    def test_queue_without_sla_and_when_nothing_waits(self):
        queue = self._queue()
        self.assertEqual((queue["waiting"], queue["returns"]), (0, []), "an empty queue says so")
        self.policy.grading_sla_hours = 0
        self._received_return(1, hours_ago=500)
        [row] = self._queue()["returns"]
        self.assertEqual((row["sla_hours"], row["overdue"]), (0, False), "no SLA: never overdue")

    def test_queue_attacks(self):
        ret = self._received_return(1, hours_ago=10)
        # Without the Returns User group (an inventory user, a salesman, a portal user): refused.
        for groups in ("stock.group_stock_user", "sales_team.group_sale_salesman_all_leads", "base.group_portal"):
            user = new_test_user(self.env, login=f"rl_queue_{groups}", groups=groups, company_id=self.company.id,
                                 company_ids=[self.company.id])
            with self.assertRaises(AccessError):
                self._queue(user)
        # A clerk of another company sees nothing of this company's returns, and cannot forge his way in.
        other = new_test_user(self.env, login="rl_queue_other", groups="reverse_logistics.group_return_user",
                              company_id=self.env.ref("base.main_company").id,
                              company_ids=[self.env.ref("base.main_company").id])
        self.assertNotIn(ret.id, [row["order_id"] for row in self._queue(other)["returns"]])
        station = self.env["return.grading.station"].with_user(other)
        with self.assertRaises(AccessError):
            station.with_context(allowed_company_ids=[self.company.id]).get_queue()
        # Context keys a client may send change nothing of what the clerk sees.
        forged = self.env["return.grading.station"].with_user(self.clerk).with_context(
            active_test=False, default_disposition_status="to_grade", default_date_graded="2000-01-01")
        def seen(queue):
            return queue["waiting"], [row["order_id"] for row in queue["returns"]], queue["graded_today"]
        self.assertEqual(seen(forged.get_queue()), seen(self._queue()))
        self.assertEqual(seen(self._queue()), (1, [ret.id], 0))
