"""Recall returns bounded by what each consignee holds across all its deliveries, less what was retrieved or
destroyed; receipts above it refused; answers checked the same way from the portal, the coordinator's form
and JSON-RPC; mock recalls change nothing whatever is called."""
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import UserError, ValidationError
from odoo.http import Request
from odoo.tests import Form, new_test_user, tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallReturns(RecallRolesCommon):

    def _answer(self, consignee, units, remedy="reverse_logistics_recall.remedy_refund", method="phone"):
        """The Recall Manager records the answer on the form's wizard."""
        form = Form(self.env["recall.consignee.answer"].with_user(self.recall_manager).with_context(
            default_consignee_id=consignee.id))
        form.method = method
        form.units_held = units
        form.remedy_id = self.env.ref(remedy)
        return form.save().action_confirm()

    def test_consignee_shipped_in_two_deliveries_returns_both(self):
        """The issue's case: shipped 5 then 3, a recall return of 8 was refused (tied to the latest delivery)."""
        gamma = self.customers[2]
        second = self._sell_lot(gamma, 3, self.lot_bad)
        campaign = self._active_campaign()
        consignee = self._as(self.recall_manager, self._consignee(campaign, gamma))
        self.assertEqual(consignee.units_exposed, 4 + 3)
        self._answer(consignee, 7)
        recall_return = consignee.action_create_return()
        deliveries = (self.sales[2] | second).picking_ids.move_ids
        self.assertEqual(sorted((line.origin_move_id.id, line.product_uom_qty) for line in recall_return.line_ids),
                         sorted((move.id, move.quantity) for move in deliveries))
        self.assertEqual(recall_return.state, "approved")
        # The recall's type, a record whose flags the core reads: the core never names it.
        self.assertEqual(recall_return.return_type_id, self.env.ref("reverse_logistics_recall.return_type_recall"))
        self.assertTrue(recall_return.return_type_id.is_recall)
        self.assertFalse(recall_return._is_customer_mail_sent("mail_approved"))
        self.assertFalse(recall_return.return_type_id.restocking_fee_applies)
        self.assertFalse(any(recall_return.line_ids.mapped("restocking_fee_percent")))
        self.assertEqual(recall_return.receipt_ids.location_dest_id, self.quarantine)
        self._receive_as(self.clerk, recall_return.receipt_ids)
        self.assertEqual(consignee.units_retrieved, 7)
        self.assertAlmostEqual(consignee.effectiveness, 100.0)
        # One credit note per invoice, each reversing its own delivery's units at 12.00 + tax, no fee.
        credit_notes = recall_return.sudo().credit_note_ids
        self.assertEqual(credit_notes.reversed_entry_id, (self.sales[2] | second).invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice"))
        expected = round(4 * 12.0 * (1 + self.tax.amount / 100), 2) + round(3 * 12.0 * (1 + self.tax.amount / 100), 2)
        self.assertAlmostEqual(sum(credit_notes.mapped("amount_total")), expected)
        self.assertEqual(recall_return.state, "done")

    def test_receipt_above_what_the_consignee_holds_is_refused(self):
        """The issue's case: 5 units received for a consignee shipped fewer, with a replacement for 5."""
        gamma = self.customers[2]
        campaign = self._active_campaign()
        consignee = self._as(self.recall_manager, self._consignee(campaign, gamma))
        self._answer(consignee, 4, remedy="reverse_logistics_recall.remedy_replace")
        recall_return = consignee.action_create_return()
        receipt = recall_return.receipt_ids
        with self.assertRaisesRegex(UserError, "holds at most 4 .*5 cannot be received"):
            self._receive_as(self.clerk, receipt, {self.lot_bad: 5})
        self.assertNotEqual(receipt.state, "done")
        self.assertEqual(consignee.units_retrieved, 0)
        self.assertFalse(recall_return.sudo().exchange_order_ids)
        self._receive_as(self.clerk, receipt, {self.lot_bad: 4})
        self.assertEqual(consignee.units_retrieved, 4)
        replacement = recall_return.sudo().exchange_order_ids
        self.assertEqual(replacement.order_line.product_uom_qty, 4)
        self.assertAlmostEqual(consignee.effectiveness, 100.0)

    def test_units_destroyed_on_site_are_no_longer_held(self):
        beta = self.customers[1]
        campaign = self._active_campaign()
        consignee = self._as(self.recall_manager, self._consignee(campaign, beta))
        wizard = Form(self.env["recall.consignee.destruction"].with_user(self.recall_manager).with_context(
            default_consignee_id=consignee.id))
        with wizard.line_ids.edit(0) as line:
            line.qty_destroyed = 6
        wizard.save().action_confirm()
        self.assertEqual(consignee.units_destroyed, 6)
        self.assertEqual(consignee._get_max_units_held(), 8 - 6)
        with self.assertRaisesRegex(UserError, "cannot hold more than the 2 units"):
            self._answer(consignee, 3)
        with self.assertRaisesRegex(UserError, "more units destroyed than Cafe Beta still holds"):
            consignee._confirm_destroyed({consignee.exposure_ids: 3})
        self.assertEqual((consignee.state, consignee.units_held, consignee.units_destroyed), ("notified", 0, 6))
        self._answer(consignee, 2)
        recall_return = consignee.action_create_return()
        self.assertEqual(recall_return.line_ids.product_uom_qty, 2)
        with self.assertRaisesRegex(UserError, "holds at most 2"):
            self._receive_as(self.clerk, recall_return.receipt_ids, {self.lot_bad: 3})
        self._receive_as(self.clerk, recall_return.receipt_ids)
        self.assertAlmostEqual(consignee.effectiveness, 100.0)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * (6 + 2) / (5 + 8 + 4))

    def test_nonsense_answers_are_refused_on_the_form(self):
        campaign = self._active_campaign()
        consignee = self._as(self.recall_manager, self._consignee(campaign, self.customers[0]))
        for units, message in ((-1, "cannot be negative"), (1e308, "cannot hold more"), (float("nan"), "a number"),
                               (6, "cannot hold more than the 5 units")):
            with self.assertRaisesRegex(UserError, message):
                consignee._register_response(units, self.remedies[0], method="phone")
        with self.assertRaisesRegex(UserError, "not offered"):
            self._answer(consignee, 1, remedy="reverse_logistics_recall.remedy_repair")
        with self.assertRaisesRegex(UserError, "how the answer was received"):
            consignee._register_response(1, self.remedies[0], method="carrier pigeon")
        self.assertEqual((consignee.state, consignee.units_held, consignee.response_count), ("notified", 0, 0))
        self._answer(consignee, 5, method="letter")
        self.assertEqual((consignee.state, consignee.units_held, consignee.response_method),
                         ("acknowledged", 5, "letter"))

    def test_mock_recall_changes_nothing_whatever_is_called(self):
        campaign = self._as(self.recall_manager, self._campaign())
        campaign.action_mock_recall()
        consignee = campaign.consignee_ids[:1]
        row = consignee.exposure_ids[:1]

        def snapshot():
            self.env.invalidate_all()
            return (campaign.read(["state", "is_mock", "date_activated", "date_released"]),
                    campaign.consignee_ids.read(["state", "units_held", "units_destroyed", "date_notified"]),
                    self._on_hand(self.stock_location, self.lot_bad), self._on_hand(self.quarantine, self.lot_bad),
                    self.env["return.order"].search_count([("recall_campaign_id", "=", campaign.id)]),
                    self.env["mail.mail"].search_count([("model", "=", "recall.consignee")]),
                    self.env["stock.picking"].search_count([("recall_campaign_id", "=", campaign.id)]))

        before = snapshot()
        calls = [
            campaign.action_activate, campaign.action_quarantine, campaign.action_release_quarantine,
            campaign.action_notify_new_consignees, campaign.action_monitor, consignee.action_notify,
            consignee.action_create_return, consignee.action_record_answer, consignee.action_confirm_destruction,
            lambda: consignee._register_response(1, self.remedies[0], method="phone"),
            lambda: consignee._confirm_destroyed({row: 1}),
        ]
        for call in calls:
            with self.assertRaisesRegex(UserError, "mock recall|never activated|is not active|only an active"):
                call()
        with self.assertRaises(ValidationError):
            self.env["recall.effectiveness.check"].with_user(self.recall_manager).create({
                "campaign_id": campaign.id, "consignee_id": consignee.id, "result": "effective"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            campaign.write({"is_mock": False})
        self.assertEqual(snapshot(), before)
        # The stock of a mock recall's lot goes on moving as usual.
        self._sell_lot(self.customers[0], 1, self.lot_bad)
        campaign.action_close()
        self.assertEqual(campaign.state, "closed")


@tagged("post_install", "-at_install")
class TestRecallPortalAnswers(RecallRolesCommon, ReverseLogisticsHttpCase):
    """The consignee answers on the portal with the notice's link; the same checks as on the form."""

    def _post_answer(self, consignee, token, units):
        return self.url_open(f"/my/recall/{consignee.id}/answer", data={
            "access_token": token, "units_held": units, "remedy_id": str(self.remedies[0].id),
            "csrf_token": Request.csrf_token(self),
        })

    def test_portal_answer_bounded_by_what_is_left(self):
        campaign = self._active_campaign()
        beta, gamma = (self._consignee(campaign, p) for p in self.customers[1:])
        self._as(self.recall_manager, beta)._confirm_destroyed({beta.exposure_ids: 5})
        self.authenticate(None, None)
        page = self._post_answer(beta, beta.access_token, "4")
        self.assertIn("cannot hold more than the 3 units", page.text)
        beta.invalidate_recordset()
        self.assertEqual((beta.state, beta.units_held), ("notified", 0))
        # Gamma's token answers for Gamma only.
        self._post_answer(beta, gamma.access_token, "1")
        beta.invalidate_recordset()
        self.assertEqual(beta.state, "notified")
        self._post_answer(beta, beta.access_token, "3")
        beta.invalidate_recordset()
        self.assertEqual((beta.state, beta.units_held, beta.response_method), ("acknowledged", 3, "portal"))
        # A consignee with a portal account reads its own notice only, not its neighbour's.
        portal = new_test_user(self.env, login="rl_recall_portal", password="rl_recall_portal",
                               groups="base.group_portal", partner_id=self.customers[2].id)
        self.authenticate(portal.login, "rl_recall_portal")
        self.assertIn(campaign.title, self.url_open(f"/my/recall/{gamma.id}").text)
        self.assertNotIn(campaign.title, self.url_open(f"/my/recall/{beta.id}").text)
        page = self._post_answer(beta, "", "1")
        beta.invalidate_recordset()
        self.assertEqual(beta.units_held, 3)
        # Once the recall is over it takes no answers.
        self._as(self.recall_manager, campaign).action_close()
        self.authenticate(None, None)
        page = self._post_answer(gamma, gamma.access_token, "1")
        self.assertIn("is not active", page.text)
        gamma.invalidate_recordset()
        self.assertEqual(gamma.state, "notified")
