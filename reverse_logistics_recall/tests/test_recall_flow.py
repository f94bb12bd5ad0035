from datetime import timedelta

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import Request
from odoo.tests import new_test_user, tagged


class RecallCommon(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics_recall.group_recall_manager")
        cls.quarantine = cls.warehouse.quarantine_location_id
        cls.lot_bad = cls._stock_in(cls.product_lot, 30, "BEANS-BAD")
        cls.lot_good = cls._stock_in(cls.product_lot, 30, "BEANS-GOOD")
        cls.customers = cls.env["res.partner"].create([
            {"name": f"Cafe {name}", "email": f"{name.lower()}@example.com", "is_company": True}
            for name in ("Alpha", "Beta", "Gamma")
        ])
        cls.sales = []
        for customer, qty in zip(cls.customers, (5, 8, 4), strict=True):
            sale = cls._sell_lot(customer, qty, cls.lot_bad)
            cls.sales.append(sale)
        cls._sell_lot(cls.customers[0], 6, cls.lot_good)
        cls.remedies = cls.env.ref("reverse_logistics_recall.remedy_refund") \
            | cls.env.ref("reverse_logistics_recall.remedy_replace")

    @classmethod
    def _sell_lot(cls, partner, qty, lot):
        order = cls.env["sale.order"].create({
            "partner_id": partner.id, "company_id": cls.company.id, "warehouse_id": cls.warehouse.id,
            "order_line": [Command.create({"product_id": cls.product_lot.id, "product_uom_qty": qty,
                                           "price_unit": 12.0, "tax_id": [Command.set(cls.tax.ids)]})],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": cls.product_lot.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": cls.stock_location.id, "location_dest_id": cls.customer_location.id,
        })], "picked": True})
        picking.button_validate()
        order._create_invoices().action_post()
        return order

    def _campaign(self, **vals):
        return self.env["recall.campaign"].create({
            "title": "Beans with glass splinters",
            "company_id": self.company.id,
            "product_ids": [Command.set(self.product_lot.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)],
            "reason": "Glass splinters found in lot BEANS-BAD.",
            "remedy_ids": [Command.set(self.remedies.ids)],
            **vals,
        })


@tagged("post_install", "-at_install")
class TestRecallFlow(RecallCommon):

    def test_trace_finds_consignees_and_stock(self):
        campaign = self._campaign()
        campaign.action_trace()
        self.assertEqual(campaign.state, "traced")
        rows = campaign.consignee_exposure_ids
        self.assertEqual(rows.partner_id, self.customers)
        self.assertEqual({r.partner_id.name: r.qty_exposed for r in rows},
                         {"Cafe Alpha": 5, "Cafe Beta": 8, "Cafe Gamma": 4})
        self.assertEqual(rows.lot_id, self.lot_bad, "the good lot sold to Alpha is not exposed")
        self.assertEqual(campaign.stock_exposure_ids.qty_on_hand, 13)
        self.assertEqual(campaign.units_shipped, 17)
        self.assertEqual(len(campaign.consignee_ids), 3)
        self.assertEqual(len(campaign.trace_run_ids), 1)
        self.assertTrue(all(rows.mapped("references")))

        # A second trace after a customer returned part of it says what changed.
        wizard = self.env["stock.return.picking"].with_context(
            active_id=self.sales[1].picking_ids.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = 3
        return_picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return_picking.move_ids.move_line_ids.lot_id = self.lot_bad
        return_picking.move_ids.picked = True
        return_picking.button_validate()
        campaign.action_trace()
        beta = campaign.consignee_exposure_ids.filtered(lambda r: r.partner_id == self.customers[1])
        self.assertEqual(beta.qty_returned_before, 3)
        self.assertEqual(beta.qty_exposed, 5)
        self.assertIn("1 changed", campaign.trace_run_ids[0].changes)

    def test_bad_scope(self):
        with self.assertRaisesRegex(UserError, "no affected lots"):
            self._campaign(lot_ids=False).action_trace()
        with self.assertRaisesRegex(ValidationError, "not tracked by lot"):
            self._campaign(product_ids=[Command.set(self.product.ids)])

    def test_add_lots_from_dates(self):
        # To tomorrow: the receipt below may be dated after midnight.
        campaign = self._campaign(lot_ids=False, lot_date_from=fields.Date.today(),
                                  lot_date_to=fields.Date.today() + timedelta(days=1))
        # Inventory adjustments are neither receipts nor production.
        with self.assertRaisesRegex(UserError, "No lot of these products"):
            campaign.action_add_lots_from_dates()
        receipt = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.in_type_id.id,
            "partner_id": self.partner_b.id,
            "location_id": self.env.ref("stock.stock_location_suppliers").id,
            "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "beans", "product_id": self.product_lot.id, "product_uom_qty": 10,
                "product_uom": self.product_lot.uom_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock_location.id,
            })],
        })
        receipt.action_confirm()
        receipt.move_ids.move_line_ids.lot_name = "BEANS-NEW"
        receipt.move_ids.picked = True
        receipt.button_validate()
        campaign.action_add_lots_from_dates()
        self.assertEqual(campaign.lot_ids.mapped("name"), ["BEANS-NEW"])

    def test_activation_quarantines_and_blocks(self):
        # An open delivery has the bad lot reserved.
        open_order = self.env["sale.order"].create({
            "partner_id": self.customers[2].id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.product_lot.id, "product_uom_qty": 2})],
        })
        open_order.action_confirm()
        picking = open_order.picking_ids
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 2,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
        })]})
        campaign = self._campaign()
        campaign.action_trace()
        self.assertIn(open_order, campaign.open_sale_order_ids)
        with self.assertRaisesRegex(UserError, "at least two remedies"):
            campaign.remedy_ids = self.remedies[:1]
            campaign.action_activate()
        campaign.remedy_ids = self.remedies
        campaign.action_activate()
        self.assertEqual(campaign.state, "active")
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 0)
        self.assertEqual(picking.move_line_ids.lot_id, self.lot_good,
                         "the open delivery gave up the recalled lot and took a good one")
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_good), 22)
        self.assertEqual(campaign.quarantine_picking_ids.state, "done")
        self.assertEqual(set(campaign.consignee_ids.mapped("state")), {"notified"})
        self.assertEqual(len(self.env["mail.mail"].search([("model", "=", "recall.consignee"),
                                                          ("res_id", "in", campaign.consignee_ids.ids)])), 3)

        # Nothing leaves quarantine while the recall is active.
        move = self.env["stock.move"].create({
            "name": "sneak out", "product_id": self.product_lot.id, "product_uom_qty": 1,
            "product_uom": self.product_lot.uom_id.id, "location_id": self.quarantine.id,
            "location_dest_id": self.stock_location.id, "picked": True,
            "move_line_ids": [Command.create({
                "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 1,
                "location_id": self.quarantine.id, "location_dest_id": self.stock_location.id})],
        })
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            move._action_done()
        clerk = self.env["res.users"].create({
            "name": "Clerk", "login": "recall_clerk", "company_id": self.company.id,
            "company_ids": [Command.set(self.company.ids)],
            "groups_id": [Command.set(self.env.ref("reverse_logistics.group_return_user").ids)],
        })
        with self.assertRaises(AccessError):
            campaign.with_user(clerk).action_release_quarantine()
        campaign.action_release_quarantine()
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 13)

    def test_answers_returns_effectiveness_close(self):
        campaign = self._campaign()
        campaign.action_trace()
        campaign.action_activate()
        alpha, beta, gamma = (campaign.consignee_ids.filtered(lambda c, p=p: c.partner_id == p)
                              for p in self.customers)
        refund = self.env.ref("reverse_logistics_recall.remedy_refund")
        beta._register_response(8, refund)
        beta._register_response(6, refund, "Two were already used up")
        self.assertEqual(beta.units_held, 6, "the last answer stands")
        self.assertEqual(beta.response_count, 2)
        self.assertEqual(len(beta.message_ids.filtered(lambda m: "Answer #" in (m.body or ""))), 2)
        with self.assertRaisesRegex(UserError, "not offered"):
            beta._register_response(1, self.env.ref("reverse_logistics_recall.remedy_repair"))

        recall_return = beta.action_create_return()
        self.assertEqual(recall_return.return_type_id.code, "recall")
        self.assertEqual(recall_return.state, "approved")
        self.assertEqual(recall_return.line_ids.product_uom_qty, 6)
        self.assertEqual(recall_return.line_ids.restocking_fee_percent, 0)
        self.assertEqual(recall_return.receipt_ids.location_dest_id, self.quarantine)
        self._receive(recall_return.receipt_ids)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 6)
        credit = recall_return.credit_note_ids
        self.assertAlmostEqual(credit.amount_untaxed, 72.0, msg="6 x 12, no restocking fee on a recall")

        row_gamma = gamma.exposure_ids
        gamma._confirm_destroyed({row_gamma: 4})
        with self.assertRaisesRegex(UserError, "more units destroyed"):
            gamma._confirm_destroyed({row_gamma: 1})
        self.assertAlmostEqual(campaign.units_retrieved, 6)
        self.assertAlmostEqual(campaign.units_destroyed, 4)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * 10 / 17)
        self.assertAlmostEqual(beta.effectiveness, 75.0)

        # Reminders go to the consignee who never answered, once per period.
        campaign.consignee_ids.sudo().write({"date_notified": fields.Datetime.now() - timedelta(days=10)})
        campaign._cron_send_reminders()
        campaign._cron_send_reminders()
        self.assertEqual(alpha.reminder_count, 1)
        self.assertEqual(beta.reminder_count, 0)

        other_return = alpha._register_response(5, refund) and alpha.action_create_return()
        with self.assertRaisesRegex(UserError, "open recall returns"):
            campaign.action_close()
        other_return.action_cancel()
        status = campaign._get_status_report_values()
        self.assertEqual(status["notified"], 3)
        self.assertEqual(status["responded"], 2)
        report = self.env["ir.actions.report"]._render_qweb_html(
            "reverse_logistics_recall.report_recall_closeout", campaign.ids)[0]
        self.assertIn(b"Units confirmed destroyed", report)
        # Drawn for real by wkhtmltopdf too, not only as the HTML tests get by default.
        pdf, kind = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "reverse_logistics_recall.report_recall_closeout", campaign.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        action = campaign.action_export_fsma204()
        self.assertIn("/web/content/", action["url"])
        campaign.action_close()
        self.assertEqual(campaign.state, "closed")

    def test_mock_recall(self):
        campaign = self._campaign()
        campaign.action_mock_recall()
        self.assertTrue(campaign.is_mock)
        self.assertEqual(campaign.state, "traced")
        run = campaign.trace_run_ids
        self.assertTrue(run.is_mock)
        self.assertGreater(run.duration_ms, 0)
        self.assertEqual(run.consignee_count, 3)
        with self.assertRaisesRegex(UserError, "never activated"):
            campaign.action_activate()
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 0)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "recall.consignee"),
                                                       ("res_id", "in", campaign.consignee_ids.ids)]))


@tagged("post_install", "-at_install")
class TestRecallPortal(ReverseLogisticsHttpCase):
    """A consignee answers on the portal with the link of the notice; others cannot."""

    def test_portal_answer_and_access(self):
        env = self.env
        company = env.ref("base.main_company")
        product = env["product.product"].create({"name": "Portal Jam", "is_storable": True, "tracking": "lot"})
        lot = env["stock.lot"].create({"name": "JAM-1", "product_id": product.id, "company_id": company.id})
        partner = env["res.partner"].create({"name": "Jam Shop", "email": "jam@example.com"})
        other = env["res.partner"].create({"name": "Other Shop", "email": "other@example.com"})
        remedies = env["recall.remedy"].search([("code", "in", ("refund", "replace"))])
        campaign = env["recall.campaign"].create({
            "title": "Jam mould", "company_id": company.id, "product_ids": [Command.set(product.ids)],
            "lot_ids": [Command.set(lot.ids)], "reason": "Mould", "remedy_ids": [Command.set(remedies.ids)],
            "state": "active",
        })
        consignee = env["recall.consignee"].create({"campaign_id": campaign.id, "partner_id": partner.id})
        env["recall.exposure"].create({
            "campaign_id": campaign.id, "kind": "consignee", "partner_id": partner.id, "product_id": product.id,
            "lot_id": lot.id, "qty_shipped": 9, "qty_exposed": 9, "consignee_id": consignee.id,
        })
        stranger = env["recall.consignee"].create({"campaign_id": campaign.id, "partner_id": other.id})
        consignee._portal_ensure_token()
        stranger._portal_ensure_token()

        page = self.url_open(f"/my/recall/{consignee.id}?access_token={consignee.access_token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Jam mould", page.text)
        self.assertIn("JAM-1", page.text)
        # A wrong token shows nothing of the recall.
        wrong = self.url_open(f"/my/recall/{consignee.id}?access_token={stranger.access_token}")
        self.assertNotIn("JAM-1", wrong.text)

        self.authenticate(None, None)
        self.url_open(f"/my/recall/{consignee.id}/answer", data={
            "access_token": consignee.access_token, "units_held": "7", "remedy_id": str(remedies[0].id),
            "csrf_token": Request.csrf_token(self),
        })
        consignee.invalidate_recordset()
        self.assertEqual(consignee.state, "acknowledged")
        self.assertEqual(consignee.units_held, 7)
        self.assertEqual(consignee.remedy_id, remedies[0])
        # The stranger's token cannot answer for this consignee.
        self.url_open(f"/my/recall/{consignee.id}/answer", data={
            "access_token": stranger.access_token, "units_held": "1", "remedy_id": str(remedies[0].id),
            "csrf_token": Request.csrf_token(self),
        })
        consignee.invalidate_recordset()
        self.assertEqual(consignee.units_held, 7)
        # Nonsense answers are refused with a message, and the last good answer stands.
        for units, remedy, expected in (("nan", remedies[0].id, "must be a number"),
                                        ("1e308", remedies[0].id, "cannot hold more than"),
                                        ("-1", remedies[0].id, "cannot be negative"),
                                        ("2", 999999, "not offered")):
            page = self.url_open(f"/my/recall/{consignee.id}/answer", data={
                "access_token": consignee.access_token, "units_held": units, "remedy_id": str(remedy),
                "csrf_token": Request.csrf_token(self),
            })
            self.assertIn(expected, page.text, units)
            consignee.invalidate_recordset()
            self.assertEqual(consignee.units_held, 7)
            self.assertEqual(consignee.remedy_id, remedies[0])

    def test_drills_and_unannounced_recalls_stay_hidden(self):
        """A consignee of a mock recall, or of a recall still traced only, sees nothing of it: not with the
        link's token, not logged in, not over JSON-RPC (found by an outside tester)."""
        env = self.env
        company = env.ref("base.main_company")
        product = env["product.product"].create({"name": "Drill Jam", "is_storable": True, "tracking": "lot"})
        lot = env["stock.lot"].create({"name": "DRILL-1", "product_id": product.id, "company_id": company.id})
        portal_user = new_test_user(env, "rl_recall_drill_portal", groups="base.group_portal")
        partner = portal_user.partner_id
        for state, mock in (("traced", False), ("traced", True), ("closed", True)):
            campaign = env["recall.campaign"].create({
                "title": "Annual traceability drill", "company_id": company.id, "is_mock": mock,
                "product_ids": [Command.set(product.ids)], "lot_ids": [Command.set(lot.ids)],
                "reason": "Drill", "state": state,
            })
            consignee = env["recall.consignee"].create({"campaign_id": campaign.id, "partner_id": partner.id})
            consignee._portal_ensure_token()
            self.authenticate(None, None)
            page = self.url_open(f"/my/recall/{consignee.id}?access_token={consignee.access_token}")
            self.assertNotIn("Annual traceability drill", page.text, (state, mock))
            answer = self.url_open(f"/my/recall/{consignee.id}/answer", data={
                "access_token": consignee.access_token, "units_held": "1", "csrf_token": Request.csrf_token(self)})
            self.assertNotIn("Annual traceability drill", answer.text)
            self.assertFalse(consignee.date_acknowledged)
            self.authenticate("rl_recall_drill_portal", "rl_recall_drill_portal")
            self.assertNotIn("Annual traceability drill", self.url_open(f"/my/recall/{consignee.id}").text)
            self.assertFalse(env["recall.consignee"].with_user(portal_user).search([("id", "=", consignee.id)]))
        # Once announced, the same consignee reads it.
        campaign.write({"is_mock": False, "state": "active"})
        self.assertIn("Annual traceability drill", self.url_open(f"/my/recall/{consignee.id}").text)


@tagged("post_install", "-at_install")
class TestRecallFsmaDownload(ReverseLogisticsHttpCase):
    """The FSMA 204 spreadsheet route: the recall's own company gets it; another company's recall and a
    recall that does not exist get the same 404, so no id of another company is told."""

    def test_fsma_download_tells_no_other_company_id(self):
        env = self.env
        company_a = env.ref("base.main_company")
        company_b = env["res.company"].create({"name": "Recall Co B"})
        product = env["product.product"].create({"name": "FSMA Jam", "is_storable": True, "tracking": "lot"})
        lot = env["stock.lot"].create({"name": "FSMA-1", "product_id": product.id, "company_id": company_a.id})
        campaign = env["recall.campaign"].create({
            "title": "FSMA check", "company_id": company_a.id, "product_ids": [Command.set(product.ids)],
            "lot_ids": [Command.set(lot.ids)], "reason": "Listeria", "state": "active",
        })
        for login, company in (("rl_fsma_a", company_a), ("rl_fsma_b", company_b)):
            new_test_user(env, login, groups="reverse_logistics_recall.group_recall_manager",
                          company_id=company.id, company_ids=company.ids)
        self.authenticate("rl_fsma_a", "rl_fsma_a")
        own = self.url_open(f"/web/content/recall_fsma204/{campaign.id}")
        self.assertEqual(own.status_code, 200)
        self.assertTrue(own.content.startswith(b"PK"), "an xlsx file")
        self.authenticate("rl_fsma_b", "rl_fsma_b")
        other = self.url_open(f"/web/content/recall_fsma204/{campaign.id}")
        missing = self.url_open(f"/web/content/recall_fsma204/{campaign.id + 100000}")
        self.assertEqual((other.status_code, missing.status_code), (404, 404))
