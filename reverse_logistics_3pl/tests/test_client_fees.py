from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestClientFees(ThirdPartyLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fees = {"received": 5.0, "graded": 1.5, "disposal": 2.25}
        cls.env["return.client.fee"].create([
            {"client_id": cls.brand_a.id, "kind": kind, "amount": amount} for kind, amount in cls.fees.items()
        ] + [{"client_id": cls.brand_b.id, "kind": "received", "amount": 7.0}])

    def _events(self, client):
        return self.env["return.client.fee.event"].search([("client_id", "=", client.id)])

    def _work_for_brand_a(self):
        ret = self._client_return(self.brand_a, self.shopper_a, 4)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        restock = self._grade_as_clerk(ret, self.grade_a, 3, self.restock)
        scrap = self._grade_as_clerk(ret, self.grade_d, 1, self.dispose)
        (restock | scrap).action_dispose()
        return ret

    def test_events_frozen_and_monthly_invoice_equals_the_fees(self):
        ret = self._work_for_brand_a()
        other = self._client_return(self.brand_b, self.shopper_b, 1)
        self._receive(other.receipt_ids.with_user(self.clerk))
        # The company's own return charges nobody.
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        own = self._new_return(sale, qty=1)
        own.action_submit()
        self._receive(own.receipt_ids)
        self.assertFalse(self.env["return.client.fee.event"].search([("order_id", "=", own.id)]))

        events = self._events(self.brand_a)
        self.assertEqual(sorted(events.mapped("kind")), ["disposal", "disposal", "graded", "graded", "received"])
        self.assertEqual(set(events.order_id.ids), {ret.id})
        # Changing the schedule now changes nothing of what was done.
        self.env["return.client.fee"].search([("client_id", "=", self.brand_a.id)]).amount = 99.0
        expected = {"received": 1 * 5.0, "graded": (3 + 1) * 1.5, "disposal": (3 + 1) * 2.25}
        self.assertAlmostEqual(sum(events.mapped("amount")), sum(expected.values()))

        with self.assertRaises(AccessError):
            self.env["return.client.fee.event"].with_user(self.clerk).action_invoice_client_fees()
        with self.assertRaises(AccessError):
            self.env["return.client.fee.event"].with_user(self.portal_a).action_invoice_client_fees()
        invoice_ids = self.env["return.client.fee.event"].with_user(self.manager).action_invoice_client_fees()
        invoices = self.env["account.move"].browse(invoice_ids)
        self.assertEqual(invoices.partner_id, self.brand_a | self.brand_b)
        invoice_a = invoices.filtered(lambda m: m.partner_id == self.brand_a)
        self.assertEqual(invoice_a.move_type, "out_invoice")
        self.assertAlmostEqual(invoice_a.amount_untaxed, 1 * 5.0 + 4 * 1.5 + 4 * 2.25)
        by_price = {line.price_unit: line.quantity for line in invoice_a.invoice_line_ids}
        self.assertEqual(by_price, {5.0: 1.0, 1.5: 4.0, 2.25: 4.0})
        for event in events:
            self.assertEqual(event.invoice_id, invoice_a)
            self.assertEqual(event.invoice_line_id.price_unit, event.unit_amount)
        invoice_b = invoices - invoice_a
        self.assertAlmostEqual(invoice_b.amount_untaxed, 7.0)
        self.assertEqual(self._events(self.brand_b).invoice_id, invoice_b)
        # Invoiced once.
        with self.assertRaisesRegex(UserError, "Nothing to invoice"):
            self.env["return.client.fee.event"].with_user(self.manager).action_invoice_client_fees()
        with self.assertRaisesRegex(UserError, "never deleted"):
            events[:1].sudo().unlink()

    def test_cron_invoices_past_months_only(self):
        self._work_for_brand_a()
        events = self._events(self.brand_a)
        last_month = events.filtered(lambda e: e.kind != "disposal")
        last_month.sudo().write({"date": fields.Datetime.now() - timedelta(days=40)})
        invoices = self.env["return.client.fee.event"]._cron_invoice_client_fees()
        self.assertEqual(len(invoices), 1)
        self.assertAlmostEqual(invoices.amount_untaxed, 1 * 5.0 + 4 * 1.5)
        self.assertEqual(last_month.invoice_id, invoices)
        self.assertFalse((events - last_month).invoice_line_id, "this month's work waits for next month")

    def test_refurbish_disposed_and_days_in_triage(self):
        """Per unit refurbished, per unit disposed of, per unit and day in triage beyond the free days: each
        charged from what was done, at the fee of the day it was done."""
        self.env["return.client.fee"].create([
            {"client_id": self.brand_a.id, "kind": "refurbish", "amount": 12.0},
            {"client_id": self.brand_a.id, "kind": "disposed", "amount": 4.0},
            {"client_id": self.brand_a.id, "kind": "triage_day", "amount": 0.25, "free_days": 2},
        ])
        self.product.can_be_refurbished = True
        ret = self._client_return(self.brand_a, self.shopper_a, 4)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        # The units arrived five days and three hours ago: five whole days in triage, two of them free.
        self.env.flush_all()
        self.env.cr.execute("UPDATE stock_move SET date = now() at time zone 'UTC' - interval '5 days 3 hours' "
                            "WHERE return_line_id = %s", [ret.line_ids.id])
        self.env.invalidate_all()
        refurbish = self.env.ref("reverse_logistics.disposition_refurbish")
        restock = self._grade_as_clerk(ret, self.grade_a, 2, self.restock)
        scrap = self._grade_as_clerk(ret, self.grade_d, 1, self.dispose)
        repair = self._grade_as_clerk(ret, self.grade_d, 1, refurbish)
        (restock | scrap | repair).action_dispose()

        events = self._events(self.brand_a)
        by_kind = {kind: events.filtered(lambda e, k=kind: e.kind == k) for kind in set(events.mapped("kind"))}
        self.assertEqual(by_kind["refurbish"].grading_id, repair)
        self.assertEqual(by_kind["refurbish"].quantity, 1)
        self.assertEqual(by_kind["disposed"].grading_id, scrap, "scrapped: disposed of; restocked: not")
        self.assertEqual(by_kind["disposed"].quantity, 1)
        days = by_kind["triage_day"]
        self.assertEqual(set(days.mapped("triage_days")), {5 - 2})
        self.assertEqual(sorted(days.mapped("quantity")), [1 * 3, 1 * 3, 2 * 3])
        self.assertAlmostEqual(sum(days.mapped("amount")), (2 + 1 + 1) * 3 * 0.25)
        # The unit in repair stays the brand's.
        self.assertEqual(repair.repair_id.partner_id, self.brand_a)
        repair.repair_id.sudo().action_repair_start()
        repair.repair_id.sudo().action_repair_end()
        self.assertEqual(repair.repair_id.move_id.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_a), 6 + 2 + 1)

        invoice = self.env["account.move"].browse(
            self.env["return.client.fee.event"].with_user(self.manager).action_invoice_client_fees())
        received, graded, dispositioned = 1 * 5.0, 4 * 1.5, 4 * 2.25
        self.assertAlmostEqual(invoice.amount_untaxed,
                               received + graded + dispositioned + 1 * 12.0 + 1 * 4.0 + 4 * 3 * 0.25)

    def test_days_in_triage_within_the_free_days_cost_nothing(self):
        self.env["return.client.fee"].create(
            {"client_id": self.brand_a.id, "kind": "triage_day", "amount": 0.25, "free_days": 7})
        self._work_for_brand_a()
        self.assertFalse(self._events(self.brand_a).filtered(lambda e: e.kind == "triage_day"))
