"""A recall's fields are protected per state by a short list that raises with the field names (as the
core's models do); a field an extension or Studio adds is the users' to write, unless it protects it."""
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallProtectedFields(RecallRolesCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # What Studio does: a custom field on the recall, its consignees and its checks.
        for model in ("recall.campaign", "recall.consignee", "recall.effectiveness.check"):
            cls.env["ir.model.fields"].create({
                "model_id": cls.env["ir.model"]._get_id(model), "name": "x_rl_note",
                "field_description": "Coordinator's Remark", "ttype": "char", "state": "manual",
            })

    def test_added_field_is_writable_protected_ones_refused_by_name(self):
        campaign = self._active_campaign()
        as_manager = self._as(self.recall_manager, campaign)
        as_manager.write({"x_rl_note": "Called the FDA district office", "title": "Peanut traces, lot L-BAD"})
        self.assertEqual(campaign.x_rl_note, "Called the FDA district office")
        for vals, label in (({"lot_ids": [Command.set(self.lot_good.ids)]}, "Affected Lots/Serials"),
                            ({"is_mock": True}, "Mock Recall"), ({"state": "closed"}, "State"),
                            ({"effectiveness": 100.0}, r"Effectiveness \(%\)"),
                            ({"name": "RC-FORGED"}, "Reference")):
            with self.assertRaisesRegex(UserError, f"{label}.*cannot be set by hand"):
                as_manager.write(vals)
        consignee = self._consignee(campaign, self.customers[0])
        self._as(self.recall_manager, consignee).write({"x_rl_note": "Store manager on leave", "depth": "consumer"})
        self.assertEqual((consignee.x_rl_note, consignee.depth), ("Store manager on leave", "consumer"))
        with self.assertRaisesRegex(UserError, "Units Held.*cannot be set by hand"):
            self._as(self.recall_manager, consignee).write({"units_held": 0.0, "x_rl_note": "none left"})
        self.assertEqual(consignee.x_rl_note, "Store manager on leave", "nothing of a refused write is kept")
        # The clerk reads the recall; writing it, even the added field, is the Recall Manager's.
        with self.assertRaises(AccessError):
            self._as(self.clerk, campaign).write({"x_rl_note": "clerk"})

    def test_closed_recall_is_history(self):
        campaign = self._active_campaign()
        campaign.sudo().write({"state": "closed"})
        consignee = campaign.consignee_ids[:1]
        self.assertTrue(consignee)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self._as(self.recall_manager, campaign).write({"x_rl_note": "late remark"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self._as(self.recall_manager, campaign).write({"title": "Renamed afterwards"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self._as(self.recall_manager, consignee).write({"depth": "wholesale"})
        # Mail stays free: the coordinator still follows and is followed up.
        self._as(self.recall_manager, campaign).message_post(body="Closed by the authority's letter")

    def test_forged_context_defaults_fill_nothing_protected(self):
        as_manager = self._as(self.recall_manager, self.env["recall.campaign"]).with_context(
            default_state="active", default_date_activated="2026-01-01 00:00:00", default_x_rl_note="drill 3")
        campaign = as_manager.create({"title": "Forged defaults", "reason": "test",
                                      "lot_ids": [Command.set(self.lot_bad.ids)],
                                      "product_ids": [Command.set(self.product_lot.ids)]})
        self.assertEqual((campaign.state, campaign.date_activated, campaign.x_rl_note), ("draft", False, "drill 3"))
