from odoo import Command
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_recall_flow import RecallCommon


@tagged("post_install", "-at_install")
class TestRecallQuarantineBackground(RecallCommon):
    """A quarantine of more stock records than one request should move is flagged on the campaign and
    moved by its cron, chunk by chunk, with progress reported to the cron and shown on the campaign."""

    def test_quarantine_above_limit_runs_in_chunks(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics_recall.quarantine_sync_limit", 1)
        params.set_param("reverse_logistics_recall.quarantine_chunk_size", 1)
        shelf = self.env["stock.location"].create({"name": "Shelf 9", "location_id": self.stock_location.id})
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": self.product_lot.id, "location_id": shelf.id, "lot_id": self.lot_bad.id,
            "inventory_quantity": 4,
        }).action_apply_inventory()
        # An open delivery has the bad lot reserved: it gives it up at activation and looks for other
        # stock only once the whole quarantine is done.
        open_order = self.env["sale.order"].create({
            "partner_id": self.customers[2].id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.product_lot.id, "product_uom_qty": 2})],
        })
        open_order.action_confirm()
        delivery = open_order.picking_ids
        delivery.move_ids.move_line_ids.unlink()
        delivery.move_ids.write({"move_line_ids": [Command.create({
            "product_id": self.product_lot.id, "lot_id": self.lot_bad.id, "quantity": 2,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
        })]})
        campaign = self._campaign()
        campaign.action_trace()
        campaign.action_activate()
        # Two stock records of the bad lot (stock 13, shelf 4): flagged on the campaign, nothing moved yet.
        self.assertTrue(campaign.quarantine_pending)
        self.assertEqual(campaign.quarantine_reassign_move_ids, delivery.move_ids)
        self.assertIn("2 stock records", campaign.quarantine_progress)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 0)
        self.assertFalse(delivery.move_line_ids, "the reservation of the recalled lot was released")
        with self.assertRaisesRegex(UserError, "still being moved in the background"):
            campaign.action_release_quarantine()

        cron = self.env.ref("reverse_logistics_recall.ir_cron_recall_quarantine")
        campaigns = self.env["recall.campaign"]
        cron, progress = cron._add_progress()
        campaigns.with_context(ir_cron_progress_id=progress.id)._cron_quarantine()
        self.assertEqual((progress.done, progress.remaining), (1, 1))
        self.assertTrue(campaign.quarantine_pending)
        self.assertIn("1 stock records left", campaign.quarantine_progress)
        self.assertEqual(len(campaign.quarantine_picking_ids), 1)
        self.assertFalse(delivery.move_line_ids, "no reassign before the whole quarantine is done")

        # A crash in the middle of the next chunk rolls back its transfer with its progress: the stock
        # left to move is read again from the quants, so the runs after it move nothing twice.
        with self.assertRaisesRegex(RuntimeError, "crash"), self.env.cr.savepoint():
            campaigns._cron_quarantine()
            self.assertEqual(len(campaign.quarantine_picking_ids), 2)
            raise RuntimeError("crash")
        self.assertTrue(campaign.quarantine_pending)
        self.assertEqual(len(campaign.quarantine_picking_ids), 1)
        for _run in range(3):
            campaigns._cron_quarantine()
        self.assertFalse(campaign.quarantine_pending)
        self.assertFalse(campaign.quarantine_progress)
        self.assertFalse(campaign.quarantine_reassign_move_ids)
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 17)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 0)
        self.assertEqual(self._quant_qty(self.product_lot, shelf, self.lot_bad), 0)
        self.assertEqual(len(campaign.quarantine_picking_ids), 2)
        self.assertEqual(sum(campaign.quarantine_picking_ids.move_ids.mapped("quantity")), 17)
        self.assertIn("is done", campaign.message_ids[0].body)
        self.assertEqual(delivery.move_line_ids.lot_id, self.lot_good,
                         "at the end, the open delivery took a good lot")

    def test_quarantine_request_checks_rights(self):
        """The background work only finishes what a Recall Manager asked for: the request is refused to
        anyone else, with nothing flagged."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics_recall.quarantine_sync_limit", 1)
        campaign = self._campaign()
        campaign.action_trace()
        clerk = new_test_user(self.env, login="recall_bg_clerk",
                              groups="base.group_user,stock.group_stock_user,reverse_logistics.group_return_user")
        with self.assertRaises(AccessError):
            campaign.with_user(clerk).action_activate()
        self.assertFalse(campaign.quarantine_pending)


@tagged("post_install", "-at_install")
class TestRecallFsmaDownload(ReverseLogisticsHttpCase):
    """The FSMA spreadsheet is built and streamed by a controller; nothing is stored."""

    def test_fsma_download_streams_without_attachment(self):
        company = self.env.ref("base.main_company")
        product = self.env["product.product"].create({"name": "FSMA Jam", "is_storable": True, "tracking": "lot"})
        lot = self.env["stock.lot"].create({"name": "FSMA-1", "product_id": product.id, "company_id": company.id})
        campaign = self.env["recall.campaign"].create({
            "title": "Jam glass", "company_id": company.id, "product_ids": [Command.set(product.ids)],
            "lot_ids": [Command.set(lot.ids)], "reason": "Glass",
        })
        new_test_user(self.env, login="fsma_manager", password="fsma_manager_pw",
                      groups="base.group_user,stock.group_stock_user,reverse_logistics.group_return_user,"
                             "reverse_logistics_recall.group_recall_manager")
        attachments = self.env["ir.attachment"].search_count([])
        url = campaign.action_export_fsma204()["url"]
        self.authenticate("fsma_manager", "fsma_manager_pw")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertIn("-fsma204.xlsx", response.headers["Content-Disposition"])
        self.assertTrue(response.content.startswith(b"PK"), "an xlsx file is a zip archive")
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments)
        # Someone without access to recalls gets nothing.
        new_test_user(self.env, login="fsma_portal", password="fsma_portal_pw", groups="base.group_portal")
        self.authenticate("fsma_portal", "fsma_portal_pw")
        self.assertNotEqual(self.url_open(url).status_code, 200)
