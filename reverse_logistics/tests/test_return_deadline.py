from datetime import timedelta

from odoo import fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnDeadline(ReverseLogisticsCommon):
    """The receipt deadline and the grading SLA, run by their crons, twice, in batches."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_deadline_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(
            cls.env, login="rl_deadline_manager",
            groups="stock.group_stock_user,reverse_logistics.group_return_manager", **company)
        cls.partner.email = "customer.a@example.com"
        cls.policy.write({"receipt_deadline_days": 10, "grading_sla_hours": 24, "user_id": cls.manager.id})
        cls._stock_in(cls.product, 10)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 4, 100.0, 0.0)])

    def _run_cron(self, xmlid):
        """Run the scheduled action as Odoo does by hand; its progress record is what it reported."""
        cron = self.env.ref(xmlid)
        cron.method_direct_trigger()
        progress = self.env["ir.cron.progress"].search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        return progress.done, progress.remaining

    def _returnable(self):
        return sum(qty for _vals, qty in self.env["return.order"]._get_returnable_lines(self.sale.order_line.move_ids))

    def _age(self, orders, field, **delta):
        orders.sudo().write({field: fields.Datetime.now() - timedelta(**delta)})

    def test_expire_twice_in_batches(self):
        # Returns of the database already past their deadline (the demo's) expire first.
        self.env["return.order"]._cron_expire_returns(batch_size=10000)
        self.patch(type(self.env["return.order"]), "_CRON_BATCH_SIZE", 1)
        old_1 = self._new_return(self.sale, qty=2).with_user(self.clerk)
        old_2 = self._new_return(self.sale, qty=1).with_user(self.clerk)
        recent = self._new_return(self.sale, qty=1).with_user(self.clerk)
        (old_1 | old_2 | recent).action_submit()
        self.assertEqual(set((old_1 | old_2 | recent).mapped("state")), {"approved"})
        self.assertEqual(self._returnable(), 0)
        self._age(old_1 | old_2, "date_approved", days=11)
        self._age(recent, "date_approved", days=9)

        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_expire"), (1, 1))
        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_expire"), (1, 0))
        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_expire"), (0, 0))
        self.assertEqual((old_1.state, old_2.state, recent.state), ("expired", "expired", "approved"))
        self.assertEqual(old_1.sudo().receipt_ids.mapped("state"), ["cancel"])
        # Their units are returnable again; the recent return still holds its one.
        self.assertEqual(self._returnable(), 3)
        self._write_customer_mails()
        expired_mails = self.env["mail.message"].search([
            ("model", "=", "return.order"), ("res_id", "=", old_1.id),
            ("subject", "=", f"Your return {old_1.name} expired")])
        self.assertEqual(len(expired_mails), 1, "expired once, mailed once")
        self.assertEqual(expired_mails.partner_ids, self.partner)

        # Goods that arrive anyway are not received until a manager reopens the return.
        with self.assertRaisesRegex(UserError, "expired"):
            old_1.sudo().receipt_ids.with_user(self.clerk).button_validate()
        with self.assertRaises(AccessError):
            old_1.action_reopen_expired()
        old_1.with_user(self.manager).action_reopen_expired()
        self.assertEqual(old_1.state, "approved")
        receipt = old_1.sudo().receipt_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(receipt.move_ids.product_uom_qty, 2)
        self.assertEqual(self._returnable(), 1)
        self._receive(receipt.with_user(self.clerk))
        self.assertEqual(old_1.line_ids.qty_received, 2)

    def test_grading_sla_twice(self):
        # Returns already overdue in the database (the demo's, weeks old) get their activity first.
        self.env["return.order"]._cron_grading_sla(batch_size=10000)
        self.patch(type(self.env["return.order"]), "_CRON_BATCH_SIZE", 1)
        late_1 = self._new_return(self.sale, qty=1).with_user(self.clerk)
        late_2 = self._new_return(self.sale, qty=1).with_user(self.clerk)
        fresh = self._new_return(self.sale, qty=1).with_user(self.clerk)
        orders = late_1 | late_2 | fresh
        orders.action_submit()
        for order in orders:
            self._receive(order.sudo().receipt_ids.with_user(self.clerk))
        self.assertEqual(set(orders.mapped("disposition_status")), {"to_grade"})
        self._age(late_1 | late_2, "date_first_receipt", hours=25)
        self._age(fresh, "date_first_receipt", hours=23)

        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_grading_sla"), (1, 1))
        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_grading_sla"), (1, 0))
        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_grading_sla"), (0, 0))
        activity_type = self.env.ref("reverse_logistics.mail_activity_return_grading_overdue")
        activities = self.env["mail.activity"].search([
            ("res_model", "=", "return.order"), ("res_id", "in", orders.ids),
            ("activity_type_id", "=", activity_type.id)])
        self.assertEqual(sorted(activities.mapped("res_id")), sorted((late_1 | late_2).ids))
        self.assertEqual(activities.user_id, self.manager)

        # Graded: the activity is done, and the cron does not give it again.
        grade_a = self.env.ref("reverse_logistics.grade_a")
        self.env["return.grading.station"].with_user(self.clerk).grade(late_1.line_ids.id, grade_a.id, 1)
        self.assertEqual(late_1.disposition_status, "to_dispose")
        self.assertFalse(late_1.activity_ids.filtered(lambda a: a.activity_type_id == activity_type))
        self.assertEqual(self._run_cron("reverse_logistics.ir_cron_return_grading_sla"), (0, 0))
