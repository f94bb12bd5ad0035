from odoo import Command
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import new_test_user, tagged

from .test_recall_flow import RecallCommon


@tagged("post_install", "-at_install")
class TestRecallQuarantineBatch(RecallCommon):
    """A quarantine of more stock records than one request should move goes through the batch cron."""

    def test_quarantine_above_limit_runs_in_chunks(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics.batch_limit.quarantine", 1)
        params.set_param("reverse_logistics.batch_limit.quarantine_chunk", 1)
        shelf = self.env["stock.location"].create({"name": "Shelf 9", "location_id": self.stock_location.id})
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": self.product_lot.id, "location_id": shelf.id, "lot_id": self.lot_bad.id,
            "inventory_quantity": 4,
        }).action_apply_inventory()
        campaign = self._campaign()
        campaign.action_trace()
        campaign.action_activate()
        # Two stock records of the bad lot (stock 13, shelf 4): queued, nothing moved yet.
        batch = self.env["reverse.logistics.batch"].search([("origin_model", "=", "recall.campaign"),
                                                            ("origin_id", "=", campaign.id)])
        self.assertEqual((batch.state, batch.total_count), ("queued", 2))
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 0)

        self.env["reverse.logistics.batch"]._cron_process()
        self.assertEqual(batch.done_count, 1)
        # A re-run of the first chunk (its progress lost in a crash) moves nothing twice.
        batch.sudo().done_count = 0
        for _run in range(3):
            self.env["reverse.logistics.batch"]._cron_process()
        self.assertEqual((batch.state, batch.done_count), ("done", 2))
        self.assertEqual(self._quant_qty(self.product_lot, self.quarantine, self.lot_bad), 17)
        self.assertEqual(self._quant_qty(self.product_lot, self.stock_location, self.lot_bad), 0)
        self.assertEqual(self._quant_qty(self.product_lot, shelf, self.lot_bad), 0)
        self.assertEqual(len(campaign.quarantine_picking_ids), 2)
        self.assertEqual(sum(campaign.quarantine_picking_ids.move_ids.mapped("quantity")), 17)
        self.assertIn("is done", campaign.message_ids[0].body)


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
