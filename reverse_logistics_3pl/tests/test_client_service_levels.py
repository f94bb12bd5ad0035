from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestClientServiceLevels(ThirdPartyLogisticsCommon):
    """Alpine Brews buys grading within 24 hours and disposition within 72 of receipt, warned 4 hours
    before; the company's own returns keep the core's grading SLA only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy_a = cls.env["return.policy"].with_user(cls.manager).create({
            "name": "Alpine Brews terms", "client_id": cls.brand_a.id, "is_default": True, "auto_approve": True,
            "grading_sla_hours": 24, "disposition_sla_hours": 72, "sla_warning_hours": 4,
            "user_id": cls.manager.id,
        })
        cls.grading_due = cls.env.ref("reverse_logistics_3pl.mail_activity_client_grading_due")
        cls.disposition_due = cls.env.ref("reverse_logistics_3pl.mail_activity_client_disposition_due")

    def _received_hours_ago(self, ret, hours):
        self._receive(ret.receipt_ids.with_user(self.clerk))
        # Setup: the units arrived `hours` ago.
        ret.sudo().date_first_receipt = fields.Datetime.now() - timedelta(hours=hours)
        return ret

    def _activities(self, ret, activity_type):
        return ret.sudo().activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def test_deadlines_per_return(self):
        ret = self._client_return(self.brand_a, self.shopper_a, 2)
        self._received_hours_ago(ret, 1)
        start = ret.date_first_receipt
        self.assertEqual(ret.client_graded_deadline, start + timedelta(hours=24))
        self.assertEqual(ret.client_dispositioned_deadline, start + timedelta(hours=72))
        self.assertFalse(ret.client_sla_late)
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        own = self._new_return(sale, qty=1)
        own.action_submit()
        self._receive(own.receipt_ids)
        self.assertFalse(own.client_graded_deadline, "the company's own return has no client target")
        self.assertFalse(own.client_dispositioned_deadline)

    def test_cron_warns_once_before_the_target(self):
        ret = self._client_return(self.brand_a, self.shopper_a, 2)
        self._received_hours_ago(ret, 21)  # 3 hours left of 24: within the 4-hour warning
        cron = self.env["return.order"]
        cron._cron_grading_sla()
        cron._cron_grading_sla()
        activities = self._activities(ret, self.grading_due)
        self.assertEqual(len(activities), 1, "one warning however often the cron runs")
        self.assertEqual(activities.user_id, self.manager, "the policy's responsible is warned")
        self.assertFalse(self._activities(ret, self.disposition_due), "the disposition target is 51 hours away")
        self.assertFalse(ret.client_graded_late)
        # Graded in time: the warning is done and nothing is late.
        self._grade_as_clerk(ret, self.grade_a, 2, self.restock)
        self.assertFalse(self._activities(ret, self.grading_due))
        self.assertFalse(ret.client_graded_late)
        cron._cron_grading_sla()
        self.assertFalse(self._activities(ret, self.grading_due), "no second warning once graded")

    def test_missed_targets_are_marked_late(self):
        ret = self._client_return(self.brand_a, self.shopper_a, 2)
        self._received_hours_ago(ret, 70)
        self.env["return.order"]._cron_grading_sla()
        self.assertTrue(ret.client_graded_late)
        self.assertFalse(ret.client_dispositioned_late, "2 hours left to disposition")
        self.assertEqual(len(self._activities(ret, self.grading_due)), 1)
        self.assertEqual(len(self._activities(ret, self.disposition_due)), 1)
        self.assertTrue(ret.client_sla_late)
        grading = self._grade_as_clerk(ret, self.grade_a, 2, self.restock)
        grading.action_dispose()
        self.assertTrue(ret.date_dispositioned)
        self.assertFalse(ret.client_dispositioned_late, "dispositioned before its deadline")
        self.assertFalse(self._activities(ret, self.disposition_due))
        self.assertTrue(ret.client_graded_late, "a missed target stays missed")

    def test_late_counts_per_client(self):
        late = self._client_return(self.brand_a, self.shopper_a, 1)
        self._received_hours_ago(late, 30)
        on_time = self._client_return(self.brand_a, self.shopper_a, 1)
        self._received_hours_ago(on_time, 1)
        other = self._client_return(self.brand_b, self.shopper_b, 1)
        self._received_hours_ago(other, 30)
        self.env["return.order"]._cron_grading_sla()
        groups = self.env["return.order"].with_user(self.manager).read_group(
            [("client_id", "in", (self.brand_a | self.brand_b).ids)], ["client_id"],
            ["client_id", "client_sla_late"], lazy=False)
        counts = {(g["client_id"][0], g["client_sla_late"]): g["__count"] for g in groups}
        self.assertEqual(counts, {(self.brand_a.id, True): 1, (self.brand_a.id, False): 1,
                                  (self.brand_b.id, False): 1},
                         "Bold Roasters has no policy of its own: the company policy's 48 hours are not missed")

    def test_company_returns_unchanged(self):
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        own = self._new_return(sale, qty=1)
        own.action_submit()
        self._receive(own.receipt_ids)
        own.sudo().date_first_receipt = fields.Datetime.now() - timedelta(hours=100)
        self.env["return.order"]._cron_grading_sla()
        self.assertFalse(self._activities(own, self.grading_due) | self._activities(own, self.disposition_due))
        self.assertFalse(own.client_sla_late)
        overdue = self.env.ref("reverse_logistics.mail_activity_return_grading_overdue")
        self.assertEqual(len(self._activities(own, overdue)), 1, "the core's overdue grading activity as before")

    def test_clerk_cannot_set_targets_or_facts(self):
        with self.assertRaises(AccessError):
            self.policy_a.with_user(self.clerk).disposition_sla_hours = 1000
        ret = self._client_return(self.brand_a, self.shopper_a, 1)
        self._received_hours_ago(ret, 30)
        self.env["return.order"]._cron_grading_sla()
        for vals in ({"client_graded_late": False}, {"client_graded_warned": False},
                     {"client_graded_deadline": fields.Datetime.now() + timedelta(days=30)}):
            with self.assertRaises(UserError):
                ret.with_user(self.clerk).write(vals)
            with self.assertRaises(UserError):
                ret.with_user(self.manager).write(vals)
        self.assertTrue(ret.client_graded_late)

    def test_negative_targets_refused(self):
        with self.assertRaises(UserError):
            self.policy_a.with_user(self.manager).disposition_sla_hours = -1

    def test_another_companys_manager_sees_nothing(self):
        other = self.env["res.company"].create({"name": "Other 3PL"})
        outsider = self.env["res.users"].with_context(no_reset_password=True).create({
            "login": "tpl_outsider", "name": "Outsider", "company_id": other.id, "company_ids": other.ids,
            "groups_id": [(4, self.env.ref("reverse_logistics.group_return_manager").id),
                          (4, self.env.ref("stock.group_stock_user").id)]})
        with self.assertRaises(AccessError):
            self.policy_a.with_user(outsider).sla_warning_hours = 0
        ret = self._client_return(self.brand_a, self.shopper_a, 1)
        with self.assertRaises(AccessError):
            ret.with_user(outsider).read(["client_graded_deadline"])
