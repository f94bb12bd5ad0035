"""What a recall coordinator needs: effectiveness checks per 21 CFR 7.42(b)(3) level, the 7.53(b) status
report, and the buttons to confirm destruction on site, record an answer, notify the consignees a re-trace
added and quarantine again. Everything as the Recall Manager; the clerk is refused."""
import base64
import math
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallCoordinator(RecallRolesCommon):

    def test_consignees_to_check_per_level(self):
        campaign_model = self.env["recall.campaign"]

        def level_b(population):
            # The sample estimating the share reached within +/- 10 points at 95 % (Cochran, p = 0.5, finite
            # population), strictly more than 10 % and less than 100 % of the consignees.
            n0 = 1.96 ** 2 * 0.5 * 0.5 / 0.10 ** 2
            sample = math.ceil(n0 * population / (n0 + population - 1) - 1e-9)
            return min(max(sample, population // 10 + 1), max(population - 1, 1))

        for population in (0, 1, 2, 3, 20, 100, 1000, 5000):
            expected = {
                "A": population, "B": level_b(population) if population else 0,
                "C": math.ceil(population * 10 / 100), "D": math.ceil(population * 2 / 100), "E": 0,
            }
            for level, count in expected.items():
                self.assertEqual(campaign_model._get_check_sample_size(level, population), count, (level, population))
        self.assertEqual([level_b(n) for n in (1, 2, 3, 20, 100, 1000)], [1, 1, 2, 17, 50, 101])
        for population in range(2, 300):
            share = level_b(population) / population
            self.assertTrue(0.10 < share < 1.0, population)

    def test_effectiveness_checks_and_status_report(self):
        campaign = self._active_campaign(effectiveness_level="A", date_completion_estimated="2031-03-31")
        alpha, beta, gamma = (self._consignee(campaign, p) for p in self.customers)
        self.assertEqual((campaign.check_required_count, campaign.check_done_count), (3, 0))
        # Recorded from the campaign's form, as the coordinator does.
        form = Form(campaign)
        for consignee, method, result in ((alpha, "phone", "effective"), (beta, "visit", "not_followed")):
            with form.effectiveness_check_ids.new() as check:
                check.consignee_id = consignee
                check.method = method
                check.result = result
        form.save()
        self.assertEqual(campaign.check_done_count, 2)
        check = campaign.effectiveness_check_ids.filtered(lambda c: c.consignee_id == beta)
        self.assertEqual((check.method, check.result, check.user_id, check.date),
                         ("visit", "not_followed", self.recall_manager, fields.Date.context_today(check)))
        # A check is a fact: annotated later, never rewritten or deleted; dated within the recall.
        check.note = "Shelves still stocked; told again."
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            check.result = "effective"
        with self.assertRaisesRegex(UserError, "stays on the recall's record"):
            check.unlink()
        checks = self.env["recall.effectiveness.check"].with_user(self.recall_manager)
        with self.assertRaisesRegex(ValidationError, "between its activation and today"):
            checks.create({"campaign_id": campaign.id, "consignee_id": gamma.id, "result": "effective",
                           "date": fields.Date.today() + timedelta(days=1)})
        other = self._as(self.recall_manager, self._campaign(title="Other recall"))
        other.action_trace()
        with self.assertRaisesRegex(ValidationError, "not a consignee of"):
            checks.create({"campaign_id": campaign.id, "consignee_id": other.consignee_ids[0].id,
                           "result": "effective"})
        with self.assertRaises(AccessError):
            self.env["recall.effectiveness.check"].with_user(self.clerk).create(
                {"campaign_id": campaign.id, "consignee_id": gamma.id, "result": "effective"})
        self.assertEqual(len(campaign.effectiveness_check_ids), 2)

        # Beta answered by phone, holding 6; Gamma destroyed 4 on site.
        beta._register_response(6, self.remedies[0], method="phone")
        gamma._confirm_destroyed({gamma.exposure_ids: 4})
        status = campaign._get_status_report_values()
        self.assertEqual((status["notified"], status["responded"], status["not_responded"]), (3, 1, 2))
        self.assertEqual(status["notification_methods"], {"E-mail": 3})
        self.assertEqual((status["units_held"], status["units_shipped"], status["units_destroyed"]),
                         (6, 5 + 8 + 4, 4))
        self.assertEqual(status["units_outstanding"], 5 + 8 + 4 - 4)
        self.assertEqual((status["checks_required"], status["checks_done"]), (3, 2))
        self.assertEqual(status["check_results"], {"Notice received, instructions followed": 1,
                                                   "Notice received, instructions not followed": 1})
        html = self.env["ir.actions.report"]._render_qweb_html(
            "reverse_logistics_recall.report_recall_closeout", campaign.ids)[0].decode()
        for text in ("Consignees to check", "Consignees checked", "Notice received, instructions not followed",
                     "Notified by E-mail", "Held (declared)", "Units outstanding", "Estimated completion",
                     "03/31/2031", beta.partner_id.name):
            self.assertIn(text, html)

    def test_destruction_on_site_with_its_proof(self):
        campaign = self._active_campaign()
        gamma, beta = self._consignee(campaign, self.customers[2]), self._consignee(campaign, self.customers[1])
        action = self._as(self.recall_manager, gamma).action_confirm_destruction()
        self.assertEqual(action["res_model"], "recall.consignee.destruction")
        with self.assertRaises(AccessError):
            self._as(self.clerk, gamma).action_confirm_destruction()
        wizards = self.env["recall.consignee.destruction"].with_user(self.recall_manager)
        wizard = wizards.create({"consignee_id": gamma.id})
        proof = self.env["ir.attachment"].with_user(self.recall_manager).create({
            "name": "destruction.pdf", "datas": base64.b64encode(b"%PDF-1.4 destroyed"),
            "res_model": wizard._name, "res_id": wizard.id})
        # Another record's attachment is never taken as proof, nor another consignee's row destroyed.
        foreign = self.env["ir.attachment"].create({
            "name": "beta.pdf", "datas": base64.b64encode(b"%PDF-1.4"), "res_model": "recall.consignee",
            "res_id": beta.id})
        wizard.write({"attachment_ids": [Command.set((proof | foreign).ids)]})
        wizard.line_ids.qty_destroyed = 3
        with self.assertRaisesRegex(UserError, "Upload the proof"):
            wizard.action_confirm()
        forged = wizards.create({"consignee_id": gamma.id, "line_ids": [
            Command.create({"exposure_id": beta.exposure_ids.id, "qty_destroyed": 8})]})
        forged.line_ids.filtered(lambda line: line.exposure_id == gamma.exposure_ids).qty_destroyed = 0
        with self.assertRaisesRegex(UserError, "belongs to another consignee"):
            forged.action_confirm()
        self.assertEqual((gamma.units_destroyed, beta.units_destroyed, foreign.res_id), (0, 0, beta.id))
        wizard.write({"attachment_ids": [Command.set(proof.ids)]})
        wizard.action_confirm()
        self.assertEqual(gamma.units_destroyed, 3)
        self.assertEqual(gamma.destruction_proof_ids, proof)
        self.assertEqual((proof.res_model, proof.res_id), ("recall.consignee", gamma.id))
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * 3 / (5 + 8 + 4))

    def test_notify_consignees_a_retrace_added(self):
        delta = self.env["res.partner"].create({"name": "Cafe Delta", "email": "delta@example.com"})
        delivery = self._sell_lot(delta, 2, self.lot_good).picking_ids
        campaign = self._active_campaign()
        mails = self.env["mail.mail"].search_count([("model", "=", "recall.consignee")])
        with self.assertRaisesRegex(UserError, "was notified"):
            campaign.action_notify_new_consignees()
        # The warehouse finds that Delta's parcel held the recalled lot: the done delivery is corrected.
        delivery.move_ids.move_line_ids.lot_id = self.lot_bad
        campaign.action_trace()
        new = self._consignee(campaign, delta)
        self.assertEqual((new.state, new.units_exposed), ("to_notify", 2))
        with self.assertRaises(AccessError):
            self._as(self.clerk, campaign).action_notify_new_consignees()
        campaign.action_notify_new_consignees()
        self.assertEqual((new.state, new.notification_method), ("notified", "email"))
        self.assertEqual(self.env["mail.mail"].search_count([("model", "=", "recall.consignee")]), mails + 1)
        self.assertAlmostEqual(campaign.units_shipped, 5 + 8 + 4 + 2)

    def test_quarantine_again_after_a_release(self):
        campaign = self._active_campaign()
        with self.assertRaisesRegex(UserError, "already in quarantine"):
            campaign.action_quarantine()
        campaign.action_release_quarantine()
        self.assertEqual(self._on_hand(self.stock_location, self.lot_bad), 13)
        with self.assertRaises(AccessError):
            self._as(self.clerk, campaign).action_quarantine()
        campaign.action_quarantine()
        self.assertFalse(campaign.date_released)
        self.assertEqual(self._on_hand(self.quarantine, self.lot_bad), 13)
        self.assertEqual(self._on_hand(self.stock_location, self.lot_bad), 0)
        # Blocked again: nothing leaves quarantine for stock.
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            self.env["stock.move"].with_user(self.clerk).create({
                "name": "sneak out", "product_id": self.product_lot.id, "product_uom_qty": 1,
                "product_uom": self.product_lot.uom_id.id, "location_id": self.quarantine.id,
                "location_dest_id": self.stock_location.id, "picked": True,
                "move_line_ids": [Command.create({
                    "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 1,
                    "location_id": self.quarantine.id, "location_dest_id": self.stock_location.id})],
            })._action_done()
        # A second release gives back the own units once more, never more than were quarantined.
        campaign.action_release_quarantine()
        self.assertEqual(self._on_hand(self.stock_location, self.lot_bad), 13)
