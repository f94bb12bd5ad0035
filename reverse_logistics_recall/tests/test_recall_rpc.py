"""The recall's methods and figures attacked over JSON-RPC (`/web/dataset/call_kw`), as a colleague's browser
or script sends them: a clerk, a stock user, a Recall Manager writing figures by hand, forged context keys.
Each attack is refused and nothing changes."""
from odoo import Command
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.api import call_kw
from odoo.exceptions import AccessError
from odoo.tests import JsonRpcException, tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallRpc(RecallRolesCommon, ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls._campaign(cls)
        cls.campaign.with_user(cls.recall_manager).action_trace()
        cls.campaign.with_user(cls.recall_manager).action_activate()
        cls.beta = cls.campaign.consignee_ids.filtered(lambda c: c.partner_id == cls.customers[1])

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    def _refused(self, exception, model, method, args, kwargs=None):
        with self.assertRaises(JsonRpcException) as caught:
            self._call(model, method, args, kwargs)
        self.assertEqual(caught.exception.args[0], exception, f"{model}.{method}")

    def _snapshot(self):
        self.env.invalidate_all()
        consignees = self.campaign.consignee_ids
        return {
            "campaign": self.campaign.read(["state", "is_mock", "date_released", "units_retrieved",
                                            "units_destroyed"])[0],
            "consignees": consignees.read(["state", "units_held", "remedy_id", "units_destroyed", "response_count"]),
            "exposure": self.campaign.exposure_ids.read(["qty_exposed", "qty_retrieved", "qty_destroyed"]),
            "returns": self.env["return.order"].search_count([("recall_campaign_id", "=", self.campaign.id)]),
            "quarantine": self._on_hand(self.quarantine, self.lot_bad),
            "stock": self._on_hand(self.stock_location, self.lot_bad),
            "mails": self.env["mail.mail"].search_count([("model", "=", "recall.consignee")]),
        }

    def test_clerk_creates_no_recall_return(self):
        """Issue 20: a clerk called action_create_return and got an approved recall return with a refund for a
        consignee who never answered."""
        before = self._snapshot()
        self.authenticate("rl_recall_clerk", "rl_recall_clerk")
        self._refused("odoo.exceptions.AccessError", "recall.consignee", "action_create_return", [self.beta.ids])
        self.assertEqual(self._snapshot(), before)
        # The Recall Manager may, but only for a consignee that answered.
        self.authenticate("rl_recall_manager", "rl_recall_manager")
        self._refused("odoo.exceptions.UserError", "recall.consignee", "action_create_return", [self.beta.ids])
        self.assertEqual(self._snapshot(), before)

    def test_forged_release_context_lifts_no_quarantine(self):
        """Issue 20: button_validate with the context key recall_release moved quarantined lots out."""
        before = self._snapshot()
        self.authenticate("rl_recall_stock_user", "rl_recall_stock_user")
        picking_id = self._call("stock.picking", "create", [{
            "picking_type_id": self.warehouse.int_type_id.id,
            "location_id": self.quarantine.id, "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "out of quarantine", "product_id": self.product_lot.id, "product_uom_qty": 5,
                "product_uom": self.product_lot.uom_id.id, "location_id": self.quarantine.id,
                "location_dest_id": self.stock_location.id, "picked": True,
                "move_line_ids": [Command.create({
                    "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 5,
                    "location_id": self.quarantine.id, "location_dest_id": self.stock_location.id, "picked": True,
                })],
            })],
        }])
        for context in ({"recall_release": True}, {"recall_release": 1, "skip_backorder": True}):
            self._refused("odoo.exceptions.UserError", "stock.picking", "button_validate", [[picking_id]],
                          {"context": context})
        self.assertNotEqual(self.env["stock.picking"].browse(picking_id).state, "done")
        # Nor may a transfer pass for one of the recall's own, to count as its quarantine or release.
        self._refused("odoo.exceptions.UserError", "stock.picking", "write",
                      [[picking_id], {"recall_campaign_id": self.campaign.id}])
        self.env["stock.picking"].browse(picking_id).action_cancel()
        self.assertEqual(self._snapshot(), before)

    def test_recall_manager_cannot_write_answers_or_figures(self):
        before = self._snapshot()
        self.authenticate("rl_recall_manager", "rl_recall_manager")
        row = self.beta.exposure_ids
        for vals in ({"units_held": 99}, {"state": "closed"}, {"remedy_id": self.remedies[0].id},
                     {"units_retrieved": 8}, {"response_count": 0}):
            self._refused("odoo.exceptions.UserError", "recall.consignee", "write", [self.beta.ids, vals])
            self._refused("odoo.exceptions.UserError", "recall.consignee", "web_save", [self.beta.ids, vals],
                          {"specification": {}})
        for vals in ({"qty_destroyed": 8}, {"qty_retrieved": 8}, {"qty_exposed": 1}, {"qty_returned_before": 8}):
            # The exposure and the trace history are read-only to everyone: the access rights refuse.
            self._refused("odoo.exceptions.AccessError", "recall.exposure", "write", [row.ids, vals])
        self._refused("odoo.exceptions.AccessError", "recall.exposure", "create", [{
            "campaign_id": self.campaign.id, "kind": "consignee", "partner_id": self.partner.id,
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "qty_shipped": 99}])
        self._refused("odoo.exceptions.AccessError", "recall.exposure", "unlink", [row.ids])
        runs = self.campaign.trace_run_ids
        self.assertTrue(runs)
        self._refused("odoo.exceptions.AccessError", "recall.trace.run", "write", [runs.ids, {"duration_ms": 1.0}])
        self._refused("odoo.exceptions.AccessError", "recall.trace.run", "create", [{
            "campaign_id": self.campaign.id, "duration_ms": 1.0}])
        self._refused("odoo.exceptions.AccessError", "recall.trace.run", "unlink", [runs.ids])
        for vals in ({"state": "closed"}, {"is_mock": True}, {"date_released": "2026-01-01 00:00:00"},
                     {"lot_ids": [Command.set(self.lot_good.ids)]}, {"effectiveness": 100.0}):
            self._refused("odoo.exceptions.UserError", "recall.campaign", "write", [self.campaign.ids, vals])
        # A recall created in a state of its own choosing is refused too.
        self._refused("odoo.exceptions.UserError", "recall.campaign", "create", [{
            "title": "Forged", "reason": "x", "state": "active", "lot_ids": [Command.set(self.lot_bad.ids)]}])
        self._refused("odoo.exceptions.UserError", "recall.consignee", "create", [{
            "campaign_id": self.campaign.id, "partner_id": self.partner.id}])
        # The coordinator's own wizard checks the answer as the portal does.
        wizard_id = self._call("recall.consignee.answer", "create", [{
            "consignee_id": self.beta.id, "units_held": 99, "method": "phone"}])
        self._refused("odoo.exceptions.UserError", "recall.consignee.answer", "action_confirm", [[wizard_id]])
        self.assertEqual(self._snapshot(), before)

    def test_clerk_runs_no_recall_action(self):
        before = self._snapshot()
        self.authenticate("rl_recall_clerk", "rl_recall_clerk")
        for method in ("action_trace", "action_activate", "action_quarantine", "action_release_quarantine",
                       "action_monitor", "action_close", "action_notify_new_consignees", "action_mock_recall",
                       "action_add_lots_from_dates"):
            self._refused("odoo.exceptions.AccessError", "recall.campaign", method, [self.campaign.ids])
        for method in ("action_notify", "action_record_answer", "action_confirm_destruction",
                       "action_create_return"):
            self._refused("odoo.exceptions.AccessError", "recall.consignee", method, [self.beta.ids])
        for model, vals in (("recall.consignee.answer", {"consignee_id": self.beta.id, "units_held": 1}),
                            ("recall.consignee.destruction", {"consignee_id": self.beta.id}),
                            ("recall.effectiveness.check", {"campaign_id": self.campaign.id,
                                                            "consignee_id": self.beta.id, "result": "effective"})):
            self._refused("odoo.exceptions.AccessError", model, "create", [vals])
        # Forged context keys make no Recall Manager of him either.
        self._refused("odoo.exceptions.AccessError", "recall.campaign", "action_release_quarantine",
                      [self.campaign.ids], {"context": {"recall_release": True, "active_test": False}})
        # Reading stays his: the trace preview and the figures.
        preview = self._call("recall.campaign", "action_preview_trace", [self.campaign.ids])
        self.assertEqual(sum(r["qty_exposed"] for r in preview[0]["rows"]), 5 + 8 + 4)
        self.assertEqual(self._snapshot(), before)

    def test_no_consignee_or_recall_by_email(self):
        """An outside tester created an acknowledged consignee holding 999 units on a live recall through
        Odoo's public message_process, whose fallback route creates the record as the system."""
        raw = ("From: Someone <someone@example.com>\nTo: nobody@nowhere.example\nSubject: recall\n"
               "Message-ID: <rl-recall-{n}@relay.example>\nContent-Type: text/plain\n\nx\n")
        for n, (model, values) in enumerate((
                ("recall.consignee", {"campaign_id": self.campaign.id, "partner_id": self.partner.id,
                                      "state": "acknowledged", "units_held": 999}),
                ("recall.campaign", {"title": "Forged", "reason": "x"}))):
            before = self.env[model].search_count([])
            with self.subTest(model=model), self.assertRaises(AccessError):
                call_kw(self.env["mail.thread"].with_user(self.stock_user), "message_process",
                        [model, raw.format(n=n), values], {})
            self.assertEqual(self.env[model].search_count([]), before)
