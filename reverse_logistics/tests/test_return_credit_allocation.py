"""The credit allocation kept as records (`return.credit.allocation`): for each returned unit, the invoice
line it was credited against (or that it was never invoiced), by which credit note line, when and for how
much; read by accountants and Returns Managers, written by nobody."""
import importlib.util
import json
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import float_round

from .credit_common import CreditCommon
from .http_common import ReverseLogisticsHttpCase

MIGRATION = Path(__file__).resolve().parent.parent / "migrations" / "18.0.1.2.0" / "post-migrate.py"


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestReturnCreditAllocation(CreditCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 10.0
        cls._stock_in(cls.product, 40)

    def _partly_invoiced_sale(self):
        """12 sold at 100.00 and delivered in three deliveries of 4: the first two invoiced one by one
        (two invoices for the one sale line), the last 4 never invoiced."""
        order = self._order([(self.product, 12, 100.0, 0.0, self.tax)])
        self._deliver(order, {self.product: 4})
        first = self._invoice(order)
        self._deliver(order, {self.product: 4})
        second = self._invoice(order)
        self._deliver(order)
        return order, first, second

    def test_return_crossing_two_invoices_and_uninvoiced_units(self):
        order, first, second = self._partly_invoiced_sale()
        ret = self._return_as(self.clerk, order, qty=10)
        self.assertEqual(ret.line_ids.mapped("product_uom_qty"), [4, 4, 2], "one line per delivered move")
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(ret.state, "done")

        # Delivered 12, invoiced 8: 4 of the 10 returned were never invoiced (the first line's), the
        # next 4 are credited against the newest invoice, the last 2 against the first one.
        first_line, second_line, third_line = ret.line_ids
        allocations = ret.with_user(self.accountant).credit_allocation_ids
        got = sorted((a.return_line_id.id, a.kind, a.invoice_id.id, a.qty, a.amount) for a in allocations)
        self.assertEqual(got, sorted([
            (first_line.id, "not_invoiced", False, 4.0, 0.0),
            (second_line.id, "credited", second.id, 4.0, r2(4 * 100.0)),
            (third_line.id, "credited", first.id, 2.0, r2(2 * 100.0)),
        ]))
        self.assertEqual(set(allocations.mapped("state")), {"done"})
        self.assertEqual(first_line.qty_not_invoiced, 4)
        # The amount credited is the units' (the 10 % fee is its own line of the credit note).
        notes = ret.sudo().credit_note_ids
        self.assertAlmostEqual(sum(notes.mapped("amount_untaxed")), r2(6 * 100.0) - r2(6 * 100.0 * 0.10))
        self.assertEqual(allocations.filtered(lambda a: a.invoice_id == second).credit_note_id.reversed_entry_id,
                         second)
        self.assertEqual(allocations.create_uid, self.clerk, "who triggered the credit")
        self._assert_allocations_match_credit_notes(ret)
        # The credit note's smart button counts its returned units.
        on_second = notes.filtered(lambda m: m.reversed_entry_id == second).with_user(self.accountant)
        self.assertEqual(on_second.return_credit_allocation_count, 1)

    def test_cancelled_credit_note_shows_cancelled_and_credits_again(self):
        self.policy.auto_post_credit_note = False
        order, first, second = self._partly_invoiced_sale()
        ret = self._return_as(self.clerk, order, qty=7, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        drafts = ret.sudo().credit_note_ids
        self.assertEqual(set(drafts.mapped("state")), {"draft"})
        allocations = ret.with_user(self.accountant).credit_allocation_ids
        self.assertEqual(set(allocations.filtered(lambda a: a.kind == "credited").mapped("state")), {"draft"})
        self._assert_allocations_match_credit_notes(ret)

        drafts.with_user(self.accountant).button_cancel()
        credited = allocations.filtered(lambda a: a.kind == "credited")
        self.assertEqual(set(credited.mapped("state")), {"cancel"}, "kept, shown cancelled")
        self.assertEqual(sum(ret.line_ids.mapped("qty_refunded")), 0)
        self.assertEqual(sum(ret.line_ids.mapped("qty_not_invoiced")), 4, "never invoiced stays so")
        self._assert_allocations_match_credit_notes(ret)

        # Credited again by hand: new allocations, against the same invoice lines.
        ret.with_user(self.accountant).action_create_credit_note()
        new_notes = ret.sudo().credit_note_ids - drafts
        new_notes.with_user(self.accountant).action_post()
        allocations = ret.with_user(self.accountant).credit_allocation_ids
        live = allocations.filtered(lambda a: a.kind == "credited" and a.state == "done")
        self.assertEqual(live.credit_note_id, new_notes)
        self.assertEqual(sorted((a.invoice_id.id, a.qty) for a in live), sorted([(second.id, 3.0)]))
        self.assertAlmostEqual(sum(live.mapped("amount")), r2(3 * 100.0))
        self.assertEqual(len(allocations.filtered(lambda a: a.state == "cancel")), len(credited))
        self.assertEqual(sum(ret.line_ids.mapped("qty_refunded")), 3)
        self._assert_allocations_match_credit_notes(ret)

    def test_deleted_draft_credit_note_takes_its_allocations(self):
        self.policy.auto_post_credit_note = False
        order, _first, _second = self._partly_invoiced_sale()
        ret = self._return_as(self.clerk, order, qty=6, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        drafts = ret.sudo().credit_note_ids
        drafts.with_user(self.accountant).unlink()
        allocations = ret.with_user(self.accountant).credit_allocation_ids
        self.assertEqual(allocations.mapped("kind"), ["not_invoiced"], "the drafts never were in the books")
        self._assert_allocations_match_credit_notes(ret)

    def test_return_without_sale_credited_at_its_own_price(self):
        ret = self.env["return.order"].create({
            "partner_id": self.partner.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "line_ids": [Command.create({"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 80.0,
                                         "reason_id": self.reason_defect.id})],
        })
        ret.with_user(self.returns_manager).action_submit()
        if ret.state == "draft":
            ret.with_user(self.returns_manager).action_approve()
        self.assertEqual(ret.state, "approved", "a price typed by hand goes to a manager")
        self._receive(ret.receipt_ids.with_user(self.clerk))
        allocation = ret.credit_allocation_ids
        self.assertEqual(allocation.kind, "credited")
        self.assertFalse(allocation.invoice_line_id)
        self.assertAlmostEqual(allocation.amount, r2(2 * 80.0))
        self._assert_allocations_match_credit_notes(ret)

    def test_migration_backfills_from_credit_notes(self):
        order, first, second = self._partly_invoiced_sale()
        ret = self._return_as(self.clerk, order, qty=10, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        ret = ret.sudo()
        made = {(a.return_line_id.id, a.kind, a.invoice_line_id.id, a.credit_note_line_id.id, a.qty, a.amount,
                 a.create_uid.id) for a in ret.credit_allocation_ids}
        waived = ret.line_ids.mapped("qty_not_invoiced")
        # As before the upgrade: no allocation, the units never invoiced only counted on the line.
        ret.sudo().credit_allocation_ids.unlink()
        self.env.flush_all()
        for line, qty in zip(ret.line_ids, waived, strict=True):
            self.env.cr.execute("UPDATE return_order_line SET qty_not_invoiced = %s WHERE id = %s", (qty, line.id))
        ret.line_ids.invalidate_recordset(["qty_not_invoiced"])
        self.assertFalse(ret.credit_allocation_ids)
        spec = importlib.util.spec_from_file_location("rl_post_migrate_18_0_1_2_0", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.backfill_credit_allocations(self.env(su=True))
        ret.invalidate_recordset(["credit_allocation_ids"])
        backfilled = {(a.return_line_id.id, a.kind, a.invoice_line_id.id, a.credit_note_line_id.id, a.qty,
                       a.amount, a.create_uid.id if a.kind == "credited" else self.clerk.id)
                      for a in ret.credit_allocation_ids}
        self.assertEqual(backfilled, made)
        self.assertEqual(ret.line_ids.mapped("qty_not_invoiced"), waived)
        self._assert_allocations_match_credit_notes(ret)
        migration.backfill_credit_allocations(self.env(su=True))
        self.assertEqual(len(ret.credit_allocation_ids), len(made), "run twice, nothing doubled")


@tagged("post_install", "-at_install")
class TestReturnCreditAllocationAccess(CreditCommon, ReverseLogisticsHttpCase):
    """Who reads the allocations, and nobody writes them, through the ORM or JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 0.0
        cls._stock_in(cls.product, 10)
        order = cls._order([(cls.product, 3, 100.0, 0.0, cls.tax)])
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        cls.invoice = order._create_invoices()
        cls.invoice.action_post()
        cls.order = order
        cls.portal_user = new_test_user(cls.env, login="rl_alloc_portal", groups="base.group_portal",
                                        partner_id=cls.partner.id)
        cls.auditor = new_test_user(cls.env, login="rl_alloc_auditor", groups="account.group_account_readonly",
                                    company_id=cls.company.id, company_ids=cls.company.ids)

    def _credited_return(self):
        ret = self._return_as(self.clerk, self.order, qty=2, reason=self.reason_defect)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        allocation = ret.sudo().credit_allocation_ids
        self.assertEqual(len(allocation), 1)
        return ret, allocation

    def _refused(self, login, model, method, args, kwargs=None):
        self.authenticate(login, login)
        response = self.url_open("/web/dataset/call_kw", data=json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": 0,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        error = response.json().get("error")
        self.assertTrue(error, f"{login}: {model}.{method} was not refused")
        return error["data"]["name"], error["data"]["message"]

    def test_readers(self):
        ret, allocation = self._credited_return()
        for user in (self.accountant, self.returns_manager, self.auditor):
            mine = self.env["return.credit.allocation"].with_user(user).search([("order_id", "=", ret.id)])
            self.assertEqual(mine, allocation, user.login)
            self.assertEqual(mine.qty, 2)
            self.assertAlmostEqual(mine.amount, r2(2 * 100.0))
            self.assertEqual(mine.invoice_id, self.invoice)
        self.assertEqual(ret.with_user(self.returns_manager).credit_allocation_ids, allocation)
        note = ret.sudo().credit_note_ids.with_user(self.accountant)
        self.assertEqual(note.return_credit_allocation_ids, allocation)

    def test_clerk_and_portal_read_nothing(self):
        ret, allocation = self._credited_return()
        for user in (self.clerk, self.portal_user):
            with self.assertRaises(AccessError, msg=user.login):
                self.env["return.credit.allocation"].with_user(user).search([])
            with self.assertRaises(AccessError, msg=user.login):
                allocation.with_user(user).read(["qty"])
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).read(["credit_allocation_ids"])
        # The clerk still reads the line's quantities, never-invoiced units included.
        self.assertEqual(ret.line_ids.with_user(self.clerk).read(["qty_not_invoiced"])[0]["qty_not_invoiced"], 0)

    def test_other_company_reads_nothing(self):
        _ret, allocation = self._credited_return()
        other_company = self.setup_other_company(name="RL Alloc Other")["company"]
        other = new_test_user(
            self.env, login="rl_alloc_other_accountant",
            groups="account.group_account_invoice,reverse_logistics.group_return_manager",
            company_id=other_company.id, company_ids=other_company.ids)
        self.assertFalse(self.env["return.credit.allocation"].with_user(other).search([]))
        with self.assertRaises(AccessError):
            allocation.with_user(other).read(["qty", "amount"])
        name, _message = self._refused(other.login, "return.credit.allocation", "read", [allocation.ids, ["qty"]])
        self.assertEqual(name, "odoo.exceptions.AccessError")

    def test_nobody_writes_over_rpc(self):
        ret, allocation = self._credited_return()
        line = ret.line_ids
        vals = {"return_line_id": line.id, "company_id": self.company.id, "product_id": self.product.id,
                "qty": 5.0, "product_uom_id": self.product.uom_id.id, "kind": "not_invoiced"}
        for user in (self.accountant, self.returns_manager, self.auditor, self.clerk):
            for method, args in (("create", [vals]), ("write", [allocation.ids, {"qty": 99.0}]),
                                 ("unlink", [allocation.ids])):
                name, _message = self._refused(user.login, "return.credit.allocation", method, args)
                self.assertEqual(name, "odoo.exceptions.AccessError", f"{user.login} {method}")
        # Nor through the documents that show them, nor with a context a client forges.
        name, message = self._refused(self.returns_manager.login, "return.order", "write",
                                      [ret.ids, {"credit_allocation_ids": [Command.create(vals)]}])
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("Credit Allocations", message)
        name, message = self._refused(self.returns_manager.login, "return.order.line", "write",
                                      [line.ids, {"qty_not_invoiced": 2.0}])
        self.assertEqual(name, "odoo.exceptions.UserError")
        name, _message = self._refused(self.accountant.login, "return.credit.allocation", "create", [vals],
                                       {"context": {"sudo": True, "install_mode": True}})
        self.assertEqual(name, "odoo.exceptions.AccessError")
        with self.assertRaises(UserError):
            line.with_user(self.returns_manager).write({"credit_allocation_ids": [Command.unlink(allocation.id)]})
        self.assertEqual(ret.sudo().credit_allocation_ids, allocation)
        self.assertEqual(allocation.qty, 2)
        self.assertEqual(line.qty_not_invoiced, 0)
