from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestGradingStationTour(ReverseLogisticsHttpCase):
    """The grading station in chromium: the queue first, then scan, one key per grade, Enter, next unit."""

    def test_grading_station_tour(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = env["product.product"].create({
            "name": "Tour Kettle", "is_storable": True, "tracking": "serial", "barcode": "RLTOUR-KETTLE",
            "list_price": 40.0,
        })
        lots = env["stock.lot"].create([
            {"name": f"TOUR-SN-{i}", "product_id": product.id, "company_id": company.id} for i in (1, 2)
        ])
        ret = env["return.order"].create({
            "partner_id": env.ref("base.res_partner_2").id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "resolution": "none",
            "company_id": company.id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": 1, "lot_id": lot.id})
                         for lot in lots],
        })
        ret.action_approve()
        receipt = ret.receipt_ids
        receipt.move_ids.picked = True
        receipt.with_context(skip_sms=True).button_validate()
        self.assertEqual(ret.line_ids.mapped("qty_to_grade"), [1.0, 1.0])
        # Arrived three days ago, for a grading SLA of two: the queue shows it overdue.
        ret.policy_id.grading_sla_hours = 48
        ret.sudo().date_first_receipt = fields.Datetime.now() - timedelta(days=3, hours=1)

        self.start_tour("/odoo/action-reverse_logistics.action_grading_station",
                        "reverse_logistics_grading_station", login="admin")

        gradings = ret.grading_ids.sorted("id")
        self.assertEqual(gradings.mapped("grade_id.code"), ["B", "C"])
        self.assertEqual(gradings.mapped("lot_id.name"), ["TOUR-SN-1", "TOUR-SN-2"])
        self.assertEqual(ret.disposition_status, "to_dispose")
