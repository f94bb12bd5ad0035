"""A defect signal's next step when recalls are installed: a draft recall pre-filled with the lots."""
from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRecallDefectSignal(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.clerk = new_test_user(cls.env, "rl_rds_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_rds_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                    **company)
        cls.recall_manager = new_test_user(
            cls.env, "rl_rds_recall", groups="stock.group_stock_user,reverse_logistics_recall.group_recall_manager",
            **company)
        cls.lot = cls._stock_in(cls.product_lot, 10, lot_name="BEANS-R")
        cls.stock_account_product_categ.defect_max_rate = 20.0
        sale, _delivery, _invoice = cls._sell([(cls.product_lot, 10, 12.0, 0.0)])
        action = cls._click_return_all(sale)
        ret = cls.env["return.order"].browse(action["res_id"])
        ret.line_ids.write({"product_uom_qty": 4, "reason_id": cls.reason_defect.id, "lot_id": cls.lot.id})
        ret.action_submit()
        cls.env["return.defect.signal"].sudo()._cron_detect_defect_signals()
        cls.signal = cls.env["return.defect.signal"].search([("product_id", "=", cls.product_lot.id)])

    def test_recall_manager_starts_a_prefilled_recall(self):
        action = self.signal.with_user(self.recall_manager).action_create_recall()
        campaign = self.env["recall.campaign"].browse(action["res_id"])
        self.assertEqual(campaign.state, "draft")
        self.assertEqual(campaign.product_ids, self.product_lot)
        self.assertEqual(campaign.lot_ids, self.lot)
        self.assertIn("4 of 10 units", campaign.reason)
        self.assertEqual(self.signal.recall_campaign_ids, campaign)

    def test_only_recall_managers(self):
        for user in (self.clerk, self.manager):
            with self.assertRaises(AccessError):
                self.signal.with_user(user).action_create_recall()
            with self.assertRaises(AccessError):
                self.signal.with_user(user).with_context(default_state="active").action_create_recall()
        action = self.signal.with_user(self.recall_manager).with_context(
            default_state="active", default_name="FORGED").action_create_recall()
        campaign = self.env["recall.campaign"].browse(action["res_id"])
        self.assertEqual(campaign.state, "draft", "a forged default changes nothing")
        self.assertNotEqual(campaign.name, "FORGED")
        with self.assertRaisesRegex(UserError, "Recalls"):
            self.signal.with_user(self.manager).write({"recall_campaign_ids": [Command.clear()]})
        self.assertEqual(self.signal.recall_campaign_ids, campaign)
