from odoo import Command
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnsDashboardTour(ReverseLogisticsHttpCase):
    """In chromium, as a Returns Manager with Billing rights: dashboard, drill-down, return, credit note."""

    def test_returns_dashboard_tour(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        # Setup as superuser: a delivered, invoiced sale and its return, credited on receipt.
        customer = env["res.partner"].create({"name": "Tour Dashboard Customer", "email": "tour@example.com"})
        product = env["product.product"].create({
            "name": "Tour Dashboard Toaster", "is_storable": True, "list_price": 50.0, "standard_price": 20.0,
            "invoice_policy": "delivery",
        })
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 5)
        sale = env["sale.order"].create({
            "partner_id": customer.id, "company_id": company.id, "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2, "price_unit": 50.0,
                                           "tax_id": False})],
        })
        sale.action_confirm()
        sale.picking_ids.move_ids.picked = True
        sale.picking_ids.button_validate()
        sale._create_invoices().action_post()
        wizard = env["return.order.create"].browse(sale.action_create_return_order()["res_id"])
        ret = env["return.order"].browse(wizard.action_create_return_all()["res_id"])
        ret.line_ids.reason_id = env.ref("reverse_logistics.return_reason_not_needed")
        ret.action_submit()
        if ret.state == "draft":
            ret.action_approve()
        ret.receipt_ids.move_ids.picked = True
        ret.receipt_ids.button_validate()
        if not ret.credit_note_ids:
            ret.action_create_credit_note()
        self.assertEqual(len(ret.credit_note_ids), 1)
        # Two units at 50, less the policy's restocking fee for the reason.
        fee = ret.line_ids.restocking_fee_percent
        self.assertAlmostEqual(ret.credit_note_ids.amount_untaxed, 2 * 50.0 * (1 - fee / 100.0))

        new_test_user(
            env, "rl_tour_manager", groups="base.group_user,reverse_logistics.group_return_manager,"
            "account.group_account_invoice", company_id=company.id,
        )
        dashboard = env.ref("reverse_logistics_spreadsheet_dashboard.spreadsheet_dashboard_returns")
        self.start_tour(f"/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action?dashboard_id={dashboard.id}",
                        "reverse_logistics_returns_dashboard", login="rl_tour_manager")
