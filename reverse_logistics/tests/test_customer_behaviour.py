"""Customer return behaviour (issue 26, item 4): a customer crossing a threshold of the policy has his next
returns decided by a manager; the reasons are the team's, never the customer's."""
import json
import re

from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCustomerBehaviour(ReverseLogisticsCommon, ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.clerk = new_test_user(cls.env, "rl_cb_clerk", password="rl_cb_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_cb_manager", password="rl_cb_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                    **company)
        cls.portal_user = new_test_user(cls.env, "rl_cb_portal", password="rl_cb_portal",
                                        groups="base.group_portal", partner_id=cls.partner.id)
        cls.grade_c = cls.env.ref("reverse_logistics.grade_c")
        cls._stock_in(cls.product, 30)
        cls.Behaviour = cls.env["return.customer.behaviour"]

    def _submitted_return(self, sale, qty, reason=None):
        ret = self._new_return(sale, qty=qty, reason=reason).with_user(self.clerk)
        ret.action_submit()
        return ret

    def test_no_threshold_flags_nobody(self):
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        self._submitted_return(sale, 2)
        behaviour = self.Behaviour.browse(
            self.Behaviour.with_user(self.manager).action_recompute_partner(self.partner.id))
        self.assertEqual(behaviour.rate_qty, 100.0)
        self.assertFalse(behaviour.is_flagged)
        second, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        self.assertEqual(self._submitted_return(second, 1).state, "approved")

    def test_customer_crossing_the_rate_waits_for_a_manager(self):
        self.policy.with_user(self.manager).write({"behaviour_max_rate_qty": 30.0, "behaviour_max_rate_value": 50.0})
        sale, _delivery, _invoice = self._sell([(self.product, 10, 100.0, 0.0)])
        first = self._submitted_return(sale, 4)
        self.assertEqual(first.state, "approved", "no behaviour computed yet: the policy approves")

        ids = self.Behaviour.with_user(self.manager).action_recompute_partner(self.partner.id)
        behaviour = self.Behaviour.with_user(self.clerk).browse(ids)
        delivered, returned, price = 10, 4, 100.0
        self.assertEqual(behaviour.partner_id, self.partner.commercial_partner_id)
        self.assertEqual(behaviour.qty_delivered, delivered)
        self.assertEqual(behaviour.qty_returned, returned)
        self.assertAlmostEqual(behaviour.rate_qty, 100.0 * returned / delivered)
        self.assertAlmostEqual(behaviour.value_invoiced, delivered * price)
        self.assertAlmostEqual(behaviour.value_returned, returned * price)
        self.assertAlmostEqual(behaviour.rate_value, 100.0 * returned * price / (delivered * price))
        self.assertTrue(behaviour.is_flagged)
        self.assertIn("40.0 % of the units", behaviour.flag_reasons)
        self.assertNotIn("of the value", behaviour.flag_reasons, "40 % of the value is under 50 %")

        # His next return: to a manager, the reason on the activity and on the form, for the team.
        nxt = self._submitted_return(sale, 1)
        self.assertEqual(nxt.state, "draft")
        self.assertIn("40.0 % of the units", nxt.customer_behaviour_flags)
        activity = nxt.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("reverse_logistics.mail_activity_return_approval"))
        self.assertEqual(len(activity), 1)
        self.assertIn("40.0 % of the units", activity.note)
        self.assertTrue(activity.user_id.has_group("reverse_logistics.group_return_manager"))
        with self.assertRaises(AccessError):
            nxt.action_approve()
        nxt.with_user(self.manager).action_approve()
        self.assertEqual(nxt.state, "approved")

        # The threshold raised by the manager: the next one goes through again.
        self.policy.with_user(self.manager).behaviour_max_rate_qty = 60.0
        third = self._submitted_return(sale, 1)
        self.assertEqual(third.state, "approved")

    def test_lot_mismatch_and_used_said_unused(self):
        self.policy.with_user(self.manager).write({
            "behaviour_max_lot_mismatches": 1, "behaviour_max_used_unused": 1,
        })
        self.reason_unwanted.claims_unused = True
        self.grade_c.shows_use = True
        self._stock_in(self.product_lot, 5, lot_name="LOT-SOLD")
        other_lot = self.env["stock.lot"].create({
            "name": "LOT-NEVER-SOLD", "product_id": self.product_lot.id, "company_id": self.company.id})
        sale, _delivery, _invoice = self._sell([(self.product_lot, 5, 12.0, 0.0), (self.product, 2, 100.0, 0.0)])
        ret = self._new_return(sale).with_user(self.clerk)
        ret.line_ids.filtered(lambda ln: ln.product_id == self.product_lot).write(
            {"lot_id": other_lot.id, "product_uom_qty": 1})
        ret.line_ids.filtered(lambda ln: ln.product_id == self.product).product_uom_qty = 1
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self._receive(ret.receipt_ids)
        line = ret.line_ids.filtered(lambda ln: ln.product_id == self.product)
        self.env["return.grading.station"].with_user(self.clerk).grade(line.id, self.grade_c.id, 1)

        self.env["return.customer.behaviour"].sudo()._cron_compute_customer_behaviour()
        behaviour = self.Behaviour.with_user(self.manager).search([("partner_id", "=", self.partner.id)])
        self.assertEqual(behaviour.lot_mismatch_count, 1)
        self.assertEqual(behaviour.used_claimed_unused_count, 1)
        self.assertIn("did not match the delivery", behaviour.flag_reasons)
        self.assertIn("graded as used", behaviour.flag_reasons)
        # The cron run again the same day: nothing to do, still one row per customer.
        self.assertEqual(self.env["return.customer.behaviour"].sudo()._cron_compute_customer_behaviour(), 0)
        self.assertEqual(self.Behaviour.sudo().search_count(
            [("partner_id", "=", self.partner.id), ("company_id", "=", self.company.id)]), 1)
        nxt = self._submitted_return(sale, 1)
        self.assertEqual(nxt.state, "draft")

    # ------------------------------------------------------------------
    # Who may read and compute it
    # ------------------------------------------------------------------
    def test_attacks(self):
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        self._submitted_return(sale, 1)
        behaviour = self.Behaviour.browse(
            self.Behaviour.with_user(self.manager).action_recompute_partner(self.partner.id))
        # A clerk reads, never computes nor writes.
        with self.assertRaises(AccessError):
            behaviour.with_user(self.clerk).action_recompute()
        with self.assertRaises(AccessError):
            self.Behaviour.with_user(self.clerk).action_recompute_partner(self.partner.id)
        with self.assertRaises(AccessError):
            behaviour.with_user(self.manager).write({"is_flagged": False})
        with self.assertRaises(AccessError):
            self.Behaviour.with_user(self.manager).create({
                "partner_id": self.partner.id, "company_id": self.company.id})
        with self.assertRaises(UserError):
            self.Behaviour.with_user(self.manager).action_recompute_partner(0)
        # Another company's manager sees nothing of this company's customers and computes only his own.
        other_company = self.env["res.company"].create({"name": "Other Returns Co"})
        outsider = new_test_user(self.env, "rl_cb_outsider",
                                 groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                 company_id=other_company.id, company_ids=[Command.set(other_company.ids)])
        self.assertFalse(self.Behaviour.with_user(outsider).search([("id", "=", behaviour.id)]))
        with self.assertRaises(AccessError):
            behaviour.with_user(outsider).action_recompute()
        with self.assertRaises(AccessError):
            self.Behaviour.with_user(outsider).with_context(
                allowed_company_ids=self.company.ids).action_recompute_partner(self.partner.id)

    def test_portal_never_reads_the_behaviour(self):
        self.policy.write({"behaviour_max_rate_qty": 10.0})
        sale, delivery, _invoice = self._sell([(self.product, 3, 100.0, 0.0)])
        self._submitted_return(sale, 1)
        self.Behaviour.with_user(self.manager).action_recompute_partner(self.partner.id)
        waiting = self._submitted_return(sale, 1)
        self.assertEqual(waiting.state, "draft")
        self.assertIn("33.33 % of the units", waiting.customer_behaviour_flags)
        behaviour = self.Behaviour._get_for(self.partner, self.company)

        self.authenticate("rl_cb_portal", "rl_cb_portal")
        for model, method, args, kwargs in [
            ("return.customer.behaviour", "search_read", [[]], {"fields": ["flag_reasons"]}),
            ("return.customer.behaviour", "read", [behaviour.ids, ["flag_reasons"]], {}),
            ("return.customer.behaviour", "action_recompute", [behaviour.ids], {}),
            ("return.customer.behaviour", "action_recompute_partner", [self.partner.id], {}),
            ("return.order", "read", [waiting.ids, ["customer_behaviour_flags"]], {}),
        ]:
            response = self.url_open("/web/dataset/call_kw", data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 0,
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}}),
                headers={"Content-Type": "application/json"})
            error = response.json().get("error")
            self.assertTrue(error, f"{model}.{method} answered a portal user")
            self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError")
        # What he asks for on the portal waits for a manager too, and its page says nothing of why.
        form = self.url_open(f"/my/orders/{sale.id}/return")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        self.url_open(f"/my/orders/{sale.id}/return", data={
            "csrf_token": csrf, f"qty_{delivery.move_ids.id}-0": "1",
            "reason_id": self.reason_unwanted.id})
        asked = self.env["return.order"].search([("sale_order_id", "=", sale.id)], order="id desc", limit=1)
        self.assertNotIn(asked, waiting)
        self.assertEqual(asked.state, "draft", "a flagged customer's portal request waits for a manager")
        for ret in (waiting, asked):
            page = self.url_open(f"/my/returns/{ret.id}")
            self.assertEqual(page.status_code, 200)
            self.assertIn(ret.name, page.text)
            self.assertNotIn("of the units delivered", page.text)
            self.assertNotIn("Customer Flagged", page.text)

    def test_cron_in_chunks(self):
        for partner in (self.partner, self.partner_b):
            sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)], partner=partner)
            self._submitted_return(sale, 1)
        cron = self.env["return.customer.behaviour"].sudo()
        calls = 0
        while cron._cron_compute_customer_behaviour(batch_size=1):
            calls += 1
            self.assertLess(calls, 1000)
        rows = self.Behaviour.sudo().search([("company_id", "=", self.company.id)])
        self.assertEqual(rows.partner_id, self.partner.commercial_partner_id | self.partner_b.commercial_partner_id)
        self.assertEqual(calls, self.Behaviour.sudo().search_count([]), "one customer per call, each once")
        self.assertEqual(rows.mapped("rate_qty"), [50.0, 50.0])
