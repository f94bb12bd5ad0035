"""Defect signals (issue 26, item 5): a product returned above its category's threshold opens one activity
for its responsible, once however often the cron runs; from it the lots go on hold and back to the vendor."""
from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDefectSignal(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.clerk = new_test_user(cls.env, "rl_ds_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_ds_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                    **company)
        # Categories are Inventory Administrators' configuration (who are Returns Managers too).
        cls.inventory_admin = new_test_user(cls.env, "rl_ds_inventory_admin", groups="stock.group_stock_manager",
                                            **company)
        cls.categ = cls.stock_account_product_categ.with_user(cls.inventory_admin)
        cls.Signal = cls.env["return.defect.signal"]
        cls.activity_type = cls.env.ref("reverse_logistics.mail_activity_defect_signal")
        cls.lot_a = cls._stock_in(cls.product_lot, 15, lot_name="BEANS-A")
        cls.product_lot.responsible_id = cls.manager
        cls.product_lot.seller_ids = [Command.create({"partner_id": cls.partner_b.id, "price": 4.0})]

    def _returned(self, delivered, returned, reason=None):
        sale, _delivery, _invoice = self._sell([(self.product_lot, delivered, 12.0, 0.0)])
        ret = self._new_return(sale, qty=returned, reason=reason or self.reason_defect).with_user(self.clerk)
        ret.line_ids.lot_id = self.lot_a
        ret.action_submit()
        self._receive(ret.receipt_ids)
        return ret

    def _run_cron(self):
        return self.env["return.defect.signal"].sudo()._cron_detect_defect_signals()

    def test_no_threshold_no_signal(self):
        self._returned(10, 9)
        self._run_cron()
        self.assertFalse(self.Signal.sudo().search([("product_id", "=", self.product_lot.id)]))

    def test_below_threshold_no_signal(self):
        self.categ.write({"defect_min_returns": 2, "defect_max_rate": 40.0})
        self._returned(10, 3)
        self._run_cron()
        self.assertFalse(self.Signal.sudo().search([("product_id", "=", self.product_lot.id)]))

    def test_threshold_opens_one_activity_then_hold_and_claim(self):
        self.categ.write({"defect_min_returns": 2, "defect_max_rate": 20.0})
        delivered, returned = 10, 3
        ret = self._returned(delivered, returned)
        self._run_cron()
        self._run_cron()
        signal = self.Signal.with_user(self.manager).search([("product_id", "=", self.product_lot.id)])
        self.assertEqual(len(signal), 1, "the cron run twice: still one signal")
        self.assertEqual(signal.qty_delivered, delivered)
        self.assertEqual(signal.qty_returned, returned)
        self.assertAlmostEqual(signal.rate, 100.0 * returned / delivered)
        self.assertEqual(signal.vendor_id, self.partner_b)
        self.assertEqual(signal.lot_ids, self.lot_a)
        self.assertEqual(signal.return_ids, ret)
        self.assertIn(f"{self.reason_defect.name}: 3", signal.reason_summary)
        self.assertEqual(signal.lot_summary, "BEANS-A: 3 returned of 10 delivered")
        activities = signal.activity_ids.filtered(lambda a: a.activity_type_id == self.activity_type)
        self.assertEqual(len(activities), 1, "the cron run twice: still one activity")
        self.assertEqual(activities.user_id, self.manager)
        self.assertIn(ret.name, activities.note)
        self.assertIn("30.0 %", activities.note)

        # Quality hold: the 5 units of BEANS-A left in stock move to the hold location.
        in_stock = 15 - delivered
        action = signal.action_quality_hold()
        hold = self.env["stock.picking"].browse(action["res_id"])
        self.assertEqual(hold.picking_type_id, self.warehouse.int_type_id)
        self.assertEqual(hold.move_ids.product_uom_qty, in_stock)
        self.assertEqual(hold.move_ids.move_line_ids.lot_id, self.lot_a)
        # The clerk moves the goods.
        hold_clerk = hold.with_user(self.clerk)
        hold_clerk.move_ids.picked = True
        hold_clerk.button_validate()
        self.assertEqual(hold.state, "done")
        self.assertEqual(self._quant_qty(self.product_lot, hold.location_dest_id, self.lot_a), in_stock)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_a), 0)

        # Claim to vendor: a draft return of the held units to the main vendor.
        action = signal.action_claim_vendor()
        claim = self.env["stock.picking"].browse(action["res_id"])
        self.assertEqual(claim.state, "draft")
        self.assertEqual(claim.partner_id, self.partner_b)
        self.assertEqual(claim.location_id, hold.location_dest_id)
        self.assertEqual(claim.location_dest_id, self.partner_b.property_stock_supplier)
        self.assertEqual(claim.move_ids.product_uom_qty, in_stock)
        self.assertEqual(signal.vendor_picking_ids, claim)

        signal.action_close()
        self.assertEqual(signal.state, "closed")
        self.assertFalse(signal.activity_ids)
        with self.assertRaisesRegex(UserError, "closed"):
            signal.action_quality_hold()

    def test_refresh_keeps_one_activity(self):
        self.categ.write({"defect_max_rate": 20.0})
        self._returned(10, 3)
        self._run_cron()
        self._returned(5, 2)
        self._run_cron()
        signal = self.Signal.sudo().search([("product_id", "=", self.product_lot.id)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.qty_delivered, 15)
        self.assertEqual(signal.qty_returned, 5)
        self.assertEqual(len(signal.activity_ids), 1)
        self.assertEqual(len(signal.return_ids), 2)

    def test_attacks(self):
        self.categ.write({"defect_max_rate": 20.0})
        self._returned(10, 3)
        self._run_cron()
        signal = self.Signal.sudo().search([("product_id", "=", self.product_lot.id)])
        clerk_signal = signal.with_user(self.clerk)
        self.assertEqual(clerk_signal.qty_returned, 3, "the clerk reads the evidence")
        for action in ("action_quality_hold", "action_claim_vendor", "action_close"):
            with self.assertRaises(AccessError):
                getattr(clerk_signal, action)()
            with self.assertRaises(AccessError):
                getattr(clerk_signal.with_context(su=True, is_manager=True), action)()
        with self.assertRaises(AccessError):
            clerk_signal.write({"note": "<p>hidden</p>"})
        manager_signal = signal.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "Units Returned"):
            manager_signal.write({"qty_returned": 0})
        with self.assertRaisesRegex(UserError, "State"):
            manager_signal.write({"state": "closed"})
        with self.assertRaises(AccessError):
            self.Signal.with_user(self.manager).create({
                "product_id": self.product.id, "company_id": self.company.id})
        manager_signal.note = "<p>Supplier informed</p>"
        self.assertIn("Supplier informed", manager_signal.note)
        # Another company's manager: cannot read nor act on this company's signals.
        other_company = self.env["res.company"].create({"name": "Other Defects Co"})
        outsider = new_test_user(self.env, "rl_ds_outsider",
                                 groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                 company_id=other_company.id, company_ids=[Command.set(other_company.ids)])
        self.assertFalse(self.Signal.with_user(outsider).search([]))
        for action in ("action_quality_hold", "action_claim_vendor", "action_close"):
            with self.assertRaises(AccessError):
                getattr(signal.with_user(outsider), action)()
        # A portal user reads nothing.
        portal = new_test_user(self.env, "rl_ds_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            signal.with_user(portal).read(["qty_returned"])
        self.assertEqual(signal.state, "open")
        self.assertFalse(signal.hold_picking_ids)

    def test_hold_leaves_what_deliveries_reserved(self):
        self.categ.write({"defect_max_rate": 20.0})
        self._returned(10, 3)
        self._run_cron()
        signal = self.Signal.with_user(self.manager).search([("product_id", "=", self.product_lot.id)])
        pending = self.env["sale.order"].create({
            "partner_id": self.partner_b.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.product_lot.id, "product_uom_qty": 2})]})
        pending.action_confirm()
        pending.picking_ids.action_assign()
        self.assertEqual(pending.picking_ids.state, "assigned")
        in_stock, reserved = 15 - 10, 2
        hold = self.env["stock.picking"].browse(signal.action_quality_hold()["res_id"])
        self.assertEqual(hold.move_ids.product_uom_qty, in_stock - reserved)
        self.assertEqual(sum(hold.move_ids.move_line_ids.mapped("quantity")), in_stock - reserved)
        self.assertEqual(pending.picking_ids.state, "assigned", "the pending delivery keeps its units")
        # Nothing free left: a second hold says so and makes nothing.
        hold.with_user(self.clerk).move_ids.picked = True
        hold.with_user(self.clerk).button_validate()
        with self.assertRaisesRegex(UserError, "No free unit"):
            signal.action_quality_hold()
        self.assertEqual(signal.hold_picking_ids, hold)
