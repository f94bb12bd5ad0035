"""A recalled lot is blocked wherever it is and however it comes back, while its recall is live; release
sends the retrieved units to their disposition, never to stock; companies never act on each other's stock."""
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .roles_common import RecallRolesCommon


@tagged("post_install", "-at_install")
class TestRecallBlock(RecallRolesCommon):

    def _retrieved(self, campaign, partner):
        return self._consignee(campaign, partner).units_retrieved

    def test_units_sent_back_with_odoo_return_wizard_go_to_quarantine_only(self):
        campaign = self._active_campaign()
        beta = self.customers[1]
        delivery = self.sales[1].picking_ids
        # Into WH/Stock, where Odoo's wizard sends them by default: refused, nothing moves.
        with self.assertRaisesRegex(UserError, "quarantined by recall .* may only go into quarantine"):
            self._return_with_odoo_wizard(self.clerk, delivery, 2, self.lot_bad)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 0)
        self.assertEqual(self._retrieved(campaign, beta), 0)
        # Into quarantine: accepted, and retrieved by the recall.
        self._return_with_odoo_wizard(self.clerk, delivery, 2, self.lot_bad, destination=self.quarantine)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 2)
        self.assertEqual(self._retrieved(campaign, beta), 2)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * 2 / (5 + 8 + 4))

    def test_recalled_units_never_ship_again(self):
        self._active_campaign()
        order = self.env["sale.order"].create({
            "partner_id": self.customers[2].id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.product_lot.id, "product_uom_qty": 1})],
        })
        order.action_confirm()
        picking = order.picking_ids.with_user(self.clerk)
        picking.move_ids.move_line_ids.unlink()
        # The clerk picks a recalled unit where it lies, in quarantine.
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 1,
            "location_id": self.quarantine.id, "location_dest_id": self.customer_location.id,
        })], "picked": True})
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            picking.button_validate()
        self.assertNotEqual(picking.state, "done")
        self.assertEqual(self._on_hand(self.quarantine, self.lot_bad), 13)

    def test_receipts_and_counts_of_a_recalled_lot_land_in_quarantine_only(self):
        self._active_campaign()
        supplier_location = self.env.ref("stock.stock_location_suppliers")

        def receipt(destination):
            picking = self.env["stock.picking"].with_user(self.clerk).create({
                "picking_type_id": self.warehouse.in_type_id.id, "partner_id": self.partner_b.id,
                "location_id": supplier_location.id, "location_dest_id": destination.id,
                "move_ids": [Command.create({
                    "name": "beans", "product_id": self.product_lot.id, "product_uom_qty": 3,
                    "product_uom": self.product_lot.uom_id.id, "location_id": supplier_location.id,
                    "location_dest_id": destination.id,
                })],
            })
            picking.action_confirm()
            picking.move_ids.move_line_ids.write({"lot_id": self.lot_bad.id, "quantity": 3})
            picking.move_ids.picked = True
            picking.button_validate()
            return picking

        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            receipt(self.stock_location)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 0)
        receipt(self.quarantine)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 3)
        # A unit found on a shelf by an inventory count is counted into quarantine, not onto the shelf.
        shelf = self.env["stock.location"].create({"name": "Shelf 4", "location_id": self.stock_location.id})
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            self.env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": self.product_lot.id, "location_id": shelf.id, "lot_id": self.lot_bad.id,
                "inventory_quantity": 1,
            }).action_apply_inventory()
        self.assertEqual(self._quant_qty(self.product_lot, shelf, self.lot_bad), 0)
        # Moving between internal locations outside quarantine is refused too, from quarantine as well.
        move = self.env["stock.move"].with_user(self.clerk).create({
            "name": "to the shelf", "product_id": self.product_lot.id, "product_uom_qty": 1,
            "product_uom": self.product_lot.uom_id.id, "location_id": self.quarantine.id,
            "location_dest_id": shelf.id, "picked": True,
            "move_line_ids": [Command.create({
                "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 1,
                "location_id": self.quarantine.id, "location_dest_id": shelf.id})],
        })
        with self.assertRaisesRegex(UserError, "quarantined by recall"):
            move._action_done()
        self.assertEqual(self._on_hand(shelf, self.lot_bad), 0)
        move._action_cancel()
        # Scrapping a recalled unit out of quarantine is what quarantine is for.
        scrap = self.env["stock.scrap"].with_user(self.clerk).create({
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "scrap_qty": 2,
            "location_id": self.quarantine.id, "company_id": self.company.id,
        })
        scrap.action_validate()
        self.assertEqual(scrap.state, "done")
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 3 - 2)

    def test_companies_never_act_on_each_others_stock(self):
        """A lot shared by two companies: company A's recall neither quarantines nor blocks company B's units,
        and A's release moves A's units only."""
        company_b = self.env["res.company"].create({"name": "Beans B Ltd"})
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)], limit=1)
        shared = self.env["stock.lot"].create({"name": "BEANS-SHARED", "product_id": self.product_lot.id,
                                               "company_id": False})
        self._stock_in(self.product_lot, 4)  # unrelated stock, so the lot of A below is the shared one
        quant_model = self.env["stock.quant"].with_context(inventory_mode=True)
        quant_model.create({"product_id": self.product_lot.id, "location_id": self.stock_location.id,
                            "lot_id": shared.id, "inventory_quantity": 5}).action_apply_inventory()
        quant_model.with_company(company_b).create({
            "product_id": self.product_lot.id, "location_id": warehouse_b.quarantine_location_id.id,
            "lot_id": shared.id, "inventory_quantity": 2}).action_apply_inventory()
        quant_model.with_company(company_b).create({
            "product_id": self.product_lot.id, "location_id": warehouse_b.lot_stock_id.id,
            "lot_id": shared.id, "inventory_quantity": 3}).action_apply_inventory()
        self._active_campaign(lot_ids=[Command.set(shared.ids)])
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, shared), 5)
        self.assertEqual(self._quant_qty(self.product_lot, warehouse_b.lot_stock_id, shared), 3,
                         "company B's stock is not quarantined by company A's recall")
        clerk_b = new_test_user(self.env, login="rl_recall_clerk_b", groups="stock.group_stock_user",
                                company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        move = self.env["stock.move"].with_user(clerk_b).with_company(company_b).create({
            "name": "B's own unit", "product_id": self.product_lot.id, "product_uom_qty": 2,
            "product_uom": self.product_lot.uom_id.id, "location_id": warehouse_b.quarantine_location_id.id,
            "location_dest_id": warehouse_b.lot_stock_id.id, "company_id": company_b.id, "picked": True,
            "move_line_ids": [Command.create({
                "product_id": self.product_lot.id, "lot_id": shared.id, "quantity": 2,
                "location_id": warehouse_b.quarantine_location_id.id,
                "location_dest_id": warehouse_b.lot_stock_id.id, "company_id": company_b.id})],
        })
        move._action_done()
        self.assertEqual(self._quant_qty(self.product_lot, warehouse_b.lot_stock_id, shared), 5)

    def _recall_return_received(self, campaign, partner, units):
        consignee = self._consignee(campaign, partner)
        consignee._register_response(units, self.env.ref("reverse_logistics_recall.remedy_refund"), method="phone")
        recall_return = consignee.action_create_return()
        self._receive_as(self.clerk, recall_return.receipt_ids)
        return recall_return

    def test_release_sends_retrieved_units_to_grading_never_to_stock(self):
        campaign = self._active_campaign()
        recall_return = self._recall_return_received(campaign, self.customers[1], 8)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 8)
        with self.assertRaises(AccessError):
            self._as(self.clerk, campaign).action_release_quarantine()
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 13 + 8)
        campaign.action_release_quarantine()
        # The company's own 13 units go back on sale; the 8 recalled ones wait for grading in triage.
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 13)
        self.assertEqual(self._quant_qty(self.product_lot, self.triage_location, self.lot_bad), 8)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 0)
        self.assertTrue(campaign.date_released)
        # They are graded and dispositioned from triage like any other return.
        station = self.env["return.grading.station"].with_user(self.clerk)
        grading = self.env["return.grading"].with_user(self.clerk).browse(station.grade(
            recall_return.line_ids.id, self.env.ref("reverse_logistics.grade_d").id, 8,
            lot_id=self.lot_bad.id)["grading_id"])
        grading.disposition_id = self.env.ref("reverse_logistics.disposition_dispose")
        grading.action_dispose()
        self.assertEqual(grading.scrap_ids.location_id, self.triage_location)
        self.assertEqual(self._quant_qty(self.product_lot, self.triage_location, self.lot_bad), 0)
        with self.assertRaisesRegex(UserError, "already released"):
            campaign.action_release_quarantine()

    def test_release_after_close_scraps_retrieved_units(self):
        campaign = self._active_campaign(retrieved_disposition="scrap")
        recall_return = self._recall_return_received(campaign, self.customers[0], 5)
        self.assertEqual(recall_return.state, "done", "received and credited")
        campaign.action_close()
        self.assertEqual(campaign.state, "closed")
        campaign.action_release_quarantine()
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 13)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 0)
        self.assertEqual(self._quant_qty(self.product_lot, self.triage_location, self.lot_bad), 0)
        scraps = self.env["stock.scrap"].search([("origin", "=", campaign.name)])
        self.assertEqual((sum(scraps.mapped("scrap_qty")), set(scraps.mapped("state"))), (5, {"done"}))
        self.assertEqual(scraps.lot_id, self.lot_bad)
