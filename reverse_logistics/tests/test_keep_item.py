"""Keep-the-item refunds (issue 26, item 2): the policy credits a line without a return when bringing it back
costs more than it recovers; nothing comes back, the sale's delivered quantity stays and the sale line never
offers the credited units for invoicing again."""
import json
import re

from odoo import Command
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestKeepItem(CreditCommon, ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({
            "restocking_fee_percent": 0.0,
            "keep_item_allowed": True,
            "keep_item_max_line_amount": 300.0,
            "keep_item_reason_ids": [Command.set(cls.reason_defect.ids)],
        })
        cls._stock_in(cls.product, 30)
        cls.price, cls.tax_rate = 100.0, cls.tax.amount / 100.0
        cls.portal_user = new_test_user(cls.env, "rl_keep_portal", password="rl_keep_portal",
                                        groups="base.group_portal", partner_id=cls.partner.id)

    def _sold(self, qty=5):
        order = self._order([(self.product, qty, self.price, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        return order

    def _estimated(self, ret, recovery, cost):
        # Setup: the estimate frozen on the lines as the submission would freeze it (the estimate itself is
        # tested from a graded history in test_recovery_estimate.py); a line already estimated keeps it.
        ret.line_ids.sudo().write({"expected_recovery_basis": "product", "expected_recovery_amount": recovery,
                                   "return_cost_amount": cost})
        return ret

    def _moves_of(self, ret):
        return self.env["stock.move"].sudo().search([("return_line_id", "in", ret.line_ids.ids)])

    def test_kept_line_credited_without_receipt(self):
        order = self._sold(5)
        sale_line = order.order_line
        moves_before = self.env["stock.move"].sudo().search_count([])
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()

        line = ret.line_ids
        self.assertTrue(line.kept_by_customer)
        self.assertFalse(ret.receipt_ids, "no receipt for a kept line")
        self.assertFalse(self._moves_of(ret), "no stock move for a kept line")
        self.assertEqual(self.env["stock.move"].sudo().search_count([]), moves_before, "nothing enters stock")
        note = ret.sudo().credit_note_ids
        self.assertEqual(len(note), 1)
        self.assertEqual(note.state, "posted")
        self.assertAlmostEqual(note.amount_untaxed, 2 * self.price)
        self.assertAlmostEqual(note.amount_total, r2(2 * self.price) + r2(2 * self.price * self.tax_rate))
        self.assertEqual(note.reversed_entry_id, order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice"))
        self._assert_allocations_match_credit_notes(ret)
        # The goods stay with the customer: the credit reverses no cost of goods (nothing comes back to
        # stock, which a receipt would value from the interim account).
        accounts = self._product_accounts(self.product)
        self.assertEqual(self.product.categ_id.property_valuation, "real_time")
        self._assert_balances(note, [
            (accounts["income"], 2 * self.price), (self.tax.invoice_repartition_line_ids.filtered(
                "account_id").account_id, r2(2 * self.price * self.tax_rate)),
            (note.partner_id.property_account_receivable_id, -note.amount_total)])
        self.assertEqual(line.qty_refunded, 2)
        self.assertEqual(line.qty_received, 0)
        self.assertEqual(ret.state, "done", "nothing to receive: done once credited")
        self.assertTrue(self.partner.email)
        mails = ret.sudo().customer_mail_steps.split()
        self.assertIn("resolved", mails)
        self.assertNotIn("approved", mails, "no slip to print, nothing to send")
        self.assertEqual(sale_line.qty_delivered, 5, "the sale's delivered quantity stays")
        self.assertEqual(sale_line.qty_invoiced, 3)
        self.assertEqual(sale_line.qty_kept_by_customer, 2)
        self.assertEqual(sale_line.qty_to_invoice, 0, "the credited units are never offered for invoicing again")
        # As after a return received: Odoo says nothing is to invoice on the order.
        self.assertEqual(order.invoice_status, "no")
        self.assertIn("kept by the customer", " ".join(ret.sudo().message_ids.mapped("body")))
        # Ledger and analysis.
        self.assertAlmostEqual(line.refund_amount, 2 * self.price)
        self.env.flush_all()
        row = self.env["return.analysis"].with_user(self.returns_manager).search([("line_id", "=", line.id)])
        self.assertEqual(row.qty_kept, 2)
        self.assertAlmostEqual(row.kept_value, 2 * self.price)
        dashboard = self.env["return.metrics.dashboard"].with_user(self.returns_manager).create(
            {"company_id": self.company.id})
        self.assertEqual(dashboard.units_kept, 2)
        self.assertAlmostEqual(dashboard.kept_value, 2 * self.price)
        self.assertIn(ret, self.env["return.order"].with_user(self.clerk).search(
            [("line_ids.kept_by_customer", "=", True)]))
        # A second return of the same units finds nothing left to credit beyond the invoice.
        again = self._return_as(self.clerk, order, qty=3, reason=self.reason_unwanted)
        again.action_submit()
        self._receive(again.receipt_ids.with_user(self.clerk))
        self.assertAlmostEqual(again.sudo().credit_note_ids.amount_untaxed, 3 * self.price)
        self.assertEqual(sale_line.qty_delivered, 2)
        self.assertEqual(sale_line.qty_invoiced, 0)
        self.assertEqual(sale_line.qty_to_invoice, 0)

    def test_kept_and_returned_lines_on_one_return(self):
        other = self._create_rl_product("Milk Frother", cost=10.0, price=40.0)
        self._stock_in(other, 5)
        order = self._order([(self.product, 2, self.price, 0.0, self.tax), (other, 3, 40.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, reason=self.reason_defect)
        kept_line = ret.line_ids.filtered(lambda rl: rl.product_id == other)
        back_line = ret.line_ids - kept_line
        kept_line.sudo().write({"expected_recovery_basis": "product",
                                "expected_recovery_amount": 5.0, "return_cost_amount": 15.0})
        back_line.sudo().write({"expected_recovery_basis": "product",
                                "expected_recovery_amount": 70.0, "return_cost_amount": 15.0})
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self.assertTrue(kept_line.kept_by_customer)
        self.assertFalse(back_line.kept_by_customer)
        self.assertEqual(ret.receipt_ids.move_ids.product_id, self.product, "only the line that comes back")
        self.assertEqual(ret.sudo()._get_slip_states(), ("approved", "receiving"))
        slip = self.env["ir.actions.report"].sudo()._render_qweb_html(
            "reverse_logistics.report_return_slip", ret.ids)[0].decode()
        self.assertIn(self.product.display_name, slip)
        self.assertNotIn(other.display_name, slip, "the slip lists only what is sent back")
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_untaxed, 3 * 40.0, msg="the kept line credited at approval")
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertAlmostEqual(sum(ret.sudo().credit_note_ids.mapped("amount_untaxed")), 3 * 40.0 + 2 * self.price)
        self.assertEqual(ret.state, "done")
        lines = {sl.product_id: sl for sl in order.order_line}
        self.assertEqual(lines[other].qty_delivered, 3)
        self.assertEqual(lines[other].qty_to_invoice, 0)
        self.assertEqual(lines[self.product].qty_delivered, 0)
        self.assertEqual(lines[self.product].qty_to_invoice, 0)

    def _assert_comes_back(self, ret):
        self.assertFalse(ret.line_ids.kept_by_customer)
        self.assertTrue(ret.receipt_ids, "a normal return: the goods come back")
        self.assertTrue(self._moves_of(ret))
        self.assertFalse(ret.sudo().credit_note_ids, "credited on receipt, as the policy says")

    def test_above_ceiling_comes_back(self):
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=4, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()  # 400.00 > 300.00 per line
        self._assert_comes_back(ret)
        self.assertIn("above the ceiling per line", " ".join(ret.sudo().message_ids.mapped("body")))

    def test_ceiling_per_return(self):
        self.policy.keep_item_max_amount = 250.0
        other = self._create_rl_product("Milk Jug", cost=10.0, price=100.0)
        self._stock_in(other, 5)
        order = self._order([(self.product, 2, self.price, 0.0, self.tax), (other, 1, 100.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._estimated(self._return_as(self.clerk, order, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        # 200.00 kept, the next 100.00 would pass 250.00: it comes back.
        self.assertEqual(ret.line_ids.filtered("kept_by_customer").product_id, self.product)
        self.assertEqual(ret.receipt_ids.move_ids.product_id, other)

    def test_ceilings_hold_across_requests(self):
        """Found by the sixth attack round: one unit per request went under both ceilings each time."""
        self.policy.keep_item_max_amount = 250.0
        order = self._sold(5)
        kept = []
        for _i in range(4):
            ret = self._estimated(self._return_as(self.clerk, order, qty=1, reason=self.reason_defect), 20.0, 35.0)
            ret.action_submit()
            kept.append(ret.line_ids.kept_by_customer)
        # 100.00 each: the 3rd unit of the sale line would make 300.00 kept, above 250.00 per return (and
        # the line's 300.00 ceiling is reached by the 4th).
        self.assertEqual(kept, [True, True, False, False])
        self.assertIn("ceiling per return", " ".join(ret.sudo().message_ids.mapped("body")))

    def test_ceiling_per_line_across_requests(self):
        order = self._sold(5)
        first = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        first.action_submit()
        self.assertTrue(first.line_ids.kept_by_customer)
        second = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        second.action_submit()  # 200.00 kept before + 200.00 > 300.00 per line
        self._assert_comes_back(second)
        self.assertIn("above the ceiling per line", " ".join(second.sudo().message_ids.mapped("body")))
        # A cancelled earlier return keeps nothing: it counts for nothing.
        self.assertFalse(first.line_ids.filtered(lambda rl: rl.order_id.state in ("cancel", "rejected")))

    def test_reason_not_listed_comes_back(self):
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_unwanted), 20.0, 35.0)
        ret.action_submit()
        self._assert_comes_back(ret)

    def test_recovery_worth_it_comes_back(self):
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 35.0, 35.0)
        ret.action_submit()
        self._assert_comes_back(ret)

    def test_policy_off_by_default(self):
        policy = self.env["return.policy"].create({"name": "Fresh policy", "company_id": self.company.id})
        self.assertFalse(policy.keep_item_allowed)
        self.assertFalse(policy.keep_item_reason_ids)
        self.policy.keep_item_allowed = False
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        self._assert_comes_back(ret)

    def test_flagged_customer_never_keeps(self):
        self.policy.with_user(self.returns_manager).behaviour_max_rate_qty = 10.0
        order = self._sold(10)
        first = self._return_as(self.clerk, order, qty=2, reason=self.reason_unwanted)
        first.action_submit()
        self.env["return.customer.behaviour"].with_user(self.returns_manager).action_recompute_partner(
            self.partner.id)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "a flagged customer's return waits for a manager")
        ret.with_user(self.returns_manager).action_approve()
        self._assert_comes_back(ret)
        self.assertIn("flagged", " ".join(ret.sudo().message_ids.mapped("body")))

    def test_attacks(self):
        order = self._sold(5)
        ret = self._return_as(self.clerk, order, qty=2, reason=self.reason_defect)
        for field in ("kept_by_customer", "expected_recovery_amount", "return_cost_amount"):
            with self.assertRaisesRegex(UserError, "cannot be set by hand"):
                ret.line_ids.write({field: 1 if field != "kept_by_customer" else True})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self.env["return.order.line"].with_user(self.clerk).create({
                "order_id": ret.id, "product_id": self.product.id, "product_uom_qty": 1,
                "kept_by_customer": True})
        # A forged context default is no way in either.
        line = self.env["return.order.line"].with_user(self.clerk).with_context(
            default_kept_by_customer=True).create({"order_id": ret.id, "product_id": self.product.id,
                                                   "product_uom_qty": 1, "sale_line_id": order.order_line.id})
        self.assertFalse(line.kept_by_customer)
        line.unlink()
        for vals in ({"keep_item_allowed": True}, {"keep_item_max_line_amount": 1e6},
                     {"keep_item_reason_ids": [Command.set(self.reason_unwanted.ids)]}):
            with self.assertRaises(AccessError):
                self.policy.with_user(self.clerk).write(vals)
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            self.policy.with_user(self.returns_manager).keep_item_max_line_amount = -1.0
        ret.action_submit()
        self.assertFalse(ret.line_ids.kept_by_customer, "no estimate: nothing says it costs more to bring back")
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            ret.line_ids.with_user(self.returns_manager).write({"kept_by_customer": True})

    def test_portal_page_says_keep_it(self):
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        self.assertTrue(ret.line_ids.kept_by_customer)
        self.authenticate("rl_keep_portal", "rl_keep_portal")
        page = self.url_open(f"/my/returns/{ret.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("nothing to send back", page.text)
        self.assertNotIn("35.00", page.text, "the estimate is the team's, not the customer's")

    def test_portal_cannot_ask_to_keep(self):
        order = self._sold(5)
        ret = self._return_as(self.clerk, order, qty=2, reason=self.reason_defect)
        self.authenticate("rl_keep_portal", "rl_keep_portal")
        for model, method, args in [
            ("return.order.line", "write", [ret.line_ids.ids, {"kept_by_customer": True}]),
            ("return.policy", "write", [self.policy.ids, {"keep_item_max_line_amount": 1e6}]),
        ]:
            response = self.url_open("/web/dataset/call_kw", data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 0,
                "params": {"model": model, "method": method, "args": args, "kwargs": {}}}),
                headers={"Content-Type": "application/json"})
            error = response.json().get("error")
            self.assertTrue(error, f"{model}.{method} answered a portal user")
            self.assertIn(error["data"]["name"], ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"))
        self.assertFalse(ret.line_ids.kept_by_customer)
        self.assertTrue(self.policy.keep_item_allowed)
        self.assertEqual(self.policy.keep_item_max_line_amount, 300.0)

    def test_portal_request_form_cannot_ask_to_keep(self):
        order = self._sold(5)
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.authenticate("rl_keep_portal", "rl_keep_portal")
        form = self.url_open(f"/my/orders/{order.id}/return")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        self.assertNotIn("kept_by_customer", form.text, "the form offers no keep-the-item choice")
        self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{delivery.move_ids.id}-0": "2", "reason_id": self.reason_defect.id,
            # Forged: the form has no such fields.
            "kept_by_customer": "1", "expected_recovery_amount": "0", "return_cost_amount": "1000"})
        asked = self.env["return.order"].search([("sale_order_id", "=", order.id)], order="id desc", limit=1)
        self.assertTrue(asked)
        self.assertEqual(asked.line_ids.product_uom_qty, 2)
        self.assertFalse(asked.line_ids.kept_by_customer)
        self.assertEqual(asked.line_ids.return_cost_amount, 0.0)
        self.assertTrue(asked.receipt_ids, "approved by the policy, the goods come back")

    def test_manager_approval_and_accountant_posting(self):
        """Above the auto-approval limit a manager approves: the policy decides the kept lines all the same;
        credit notes left in draft for an accountant close the return once posted."""
        self.policy.write({"auto_approve_max_amount": 100.0, "auto_post_credit_note": False})
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "200.00 is above the 100.00 the policy approves alone")
        with self.assertRaises(AccessError):
            ret.action_approve()
        ret.with_user(self.returns_manager).action_approve()
        self.assertTrue(ret.line_ids.kept_by_customer)
        self.assertFalse(ret.receipt_ids)
        note = ret.sudo().credit_note_ids
        self.assertEqual(note.state, "draft")
        self.assertEqual(ret.state, "received", "nothing to receive, not credited yet")
        self.assertEqual(order.order_line.qty_to_invoice, 0, "a draft credit note lowers the invoiced quantity too")
        note.with_user(self.accountant).action_post()
        self.assertAlmostEqual(note.amount_total, r2(2 * self.price) + r2(2 * self.price * self.tax_rate))
        self.assertEqual(ret.state, "done")
        self.assertEqual(order.order_line.qty_to_invoice, 0)

    def test_credit_on_approval_policy(self):
        self.policy.refund_step = "approval"
        other = self._create_rl_product("Descaler", cost=2.0, price=10.0)
        self._stock_in(other, 5)
        order = self._order([(self.product, 1, self.price, 0.0, self.tax), (other, 4, 10.0, 0.0, self.tax)])
        self._deliver(order)
        self._invoice(order)
        ret = self._return_as(self.clerk, order, reason=self.reason_defect)
        kept_line = ret.line_ids.filtered(lambda rl: rl.product_id == other)
        kept_line.sudo().write({"expected_recovery_basis": "product",
                                "expected_recovery_amount": 1.0, "return_cost_amount": 8.0})
        (ret.line_ids - kept_line).sudo().write({"expected_recovery_basis": "product",
                                "expected_recovery_amount": 50.0, "return_cost_amount": 8.0})
        ret.action_submit()
        # One credit note for both lines at approval, as the policy says; only the machine travels back.
        note = ret.sudo().credit_note_ids
        self.assertEqual(len(note), 1)
        self.assertAlmostEqual(note.amount_untaxed, self.price + 4 * 10.0)
        self.assertEqual(ret.receipt_ids.move_ids.product_id, self.product)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(len(ret.sudo().credit_note_ids), 1, "nothing credited twice")
        self.assertEqual(ret.state, "done")

    def test_kept_units_never_invoiced(self):
        order = self._order([(self.product, 10, self.price, 0.0, self.tax)])
        self._deliver(order, {self.product: 5})
        self._invoice(order)
        self._deliver(order)  # 5 more delivered, never invoiced
        ret = self._estimated(self._return_as(self.clerk, order, qty=7, reason=self.reason_defect), 20.0, 35.0)
        self.policy.keep_item_max_line_amount = 1000.0
        ret.action_submit()
        lines = ret.line_ids
        self.assertEqual(set(lines.mapped("kept_by_customer")), {True})
        self.assertEqual(sum(lines.mapped("qty_not_invoiced")), 5)
        self.assertEqual(sum(lines.mapped("qty_refunded")), 2)
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_untaxed, 2 * self.price)
        sale_line = order.order_line
        self.assertEqual(sale_line.qty_delivered, 10)
        self.assertEqual(sale_line.qty_invoiced, 3)
        self.assertEqual(sale_line.qty_kept_by_customer, 7)
        self.assertEqual(sale_line.qty_to_invoice, 0, "neither the credited nor the never invoiced kept units")

    def test_reset_and_approved_again_is_decided_again(self):
        self.policy.auto_post_credit_note = False
        order = self._sold(5)
        ret = self._estimated(self._return_as(self.clerk, order, qty=2, reason=self.reason_defect), 20.0, 35.0)
        ret.action_submit()
        self.assertTrue(ret.line_ids.kept_by_customer)
        ret.action_cancel()
        self.assertEqual(order.order_line.qty_to_invoice, 0)
        ret.action_draft()
        self.policy.keep_item_allowed = False
        ret.action_submit()
        self.assertFalse(ret.line_ids.kept_by_customer, "decided again under today's policy")
        self.assertTrue(ret.receipt_ids.filtered(lambda p: p.state != "cancel"))
        self.assertFalse(ret.sudo().credit_note_ids.filtered(lambda m: m.state != "cancel"))
