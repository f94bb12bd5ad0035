import re

from odoo import Command
from odoo.tests import tagged

from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestReturnPortal(ReverseLogisticsHttpCase):
    """Customers see their own returns on the portal, and only theirs."""

    def test_portal_returns(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = env["product.product"].create({"name": "Portal Kettle", "is_storable": True, "list_price": 30})
        partner = env["res.partner"].create({"name": "Kettle Fan", "email": "kettle@example.com"})
        env["res.users"].create({
            "name": "Kettle Fan", "login": "kettle_fan", "password": "kettle_fan", "partner_id": partner.id,
            "groups_id": [Command.set(env.ref("base.group_portal").ids)],
        })
        mine, other = env["return.order"].create([{
            "partner_id": p.id, "company_id": company.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
        } for p in (partner, env.ref("base.res_partner_2"))])

        self.authenticate("kettle_fan", "kettle_fan")
        listing = self.url_open("/my/returns")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(mine.name, listing.text)
        self.assertNotIn(other.name, listing.text)
        self.assertIn(f'href="/my/returns/{mine.id}"', listing.text)
        mine.invalidate_recordset(["access_token"])
        self.assertFalse(mine.access_token, "the list writes nothing: it may run on a read replica")
        page = self.url_open(f"/my/returns/{mine.id}")
        self.assertIn("Portal Kettle", page.text)
        refused = self.url_open(f"/my/returns/{other.id}")
        self.assertNotIn(other.name, refused.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/returns", home.text)

    def test_portal_return_request(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = env["product.product"].create({
            "name": "Portal Toaster", "is_storable": True, "list_price": 40, "invoice_policy": "delivery"})
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 5)
        partner = env["res.partner"].create({"name": "Toast Lover", "email": "toast@example.com"})
        env["res.users"].create({
            "name": "Toast Lover", "login": "toast_lover", "password": "toast_lover", "partner_id": partner.id,
            "groups_id": [Command.set(env.ref("base.group_portal").ids)],
        })
        order = env["sale.order"].create({
            "partner_id": partner.id, "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 3})],
        })
        order.action_confirm()
        order.picking_ids.move_ids.quantity = 3
        order.picking_ids.move_ids.picked = True
        order.picking_ids.button_validate()
        other = env["sale.order"].create({
            "partner_id": env.ref("base.res_partner_2").id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
        })
        reason = env.ref("reverse_logistics.return_reason_not_needed")

        self.authenticate("toast_lover", "toast_lover")
        self.assertIn("/return", self.url_open(f"/my/orders/{order.id}").text, "the order page offers a return")
        form = self.url_open(f"/my/orders/{order.id}/return")
        self.assertEqual(form.status_code, 200)
        self.assertIn("Portal Toaster", form.text)
        key = f"{order.picking_ids.move_ids.id}-0"
        self.assertIn(f"qty_{key}", form.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

        # More than was delivered: refused with a message, nothing created.
        too_many = self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "4", "reason_id": reason.id})
        self.assertIn("alert-danger", too_many.text)
        self.assertFalse(env["return.order"].search([("sale_order_id", "=", order.id)]))

        done = self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "2", "reason_id": reason.id, "note": "Too many toasters."})
        ret = env["return.order"].search([("sale_order_id", "=", order.id)])
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.partner_id, partner)
        self.assertEqual(ret.line_ids.product_uom_qty, 2)
        self.assertEqual(ret.line_ids.reason_id, reason)
        self.assertEqual(ret.state, "approved", "inside the policy: approved at once")
        self.assertIn(f"/my/returns/{ret.id}", done.url)
        self.assertIn(ret.name, done.text)
        # Only one unit is left to ask for.
        again = self.url_open(f"/my/orders/{order.id}/return")
        self.assertIn(">1 ", again.text.replace("\n", " "))
        self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "1", "reason_id": reason.id, "resolution": "store_credit"})
        credit = env["return.order"].search([("sale_order_id", "=", order.id)]) - ret
        self.assertEqual((credit.resolution, credit.line_ids.product_uom_qty), ("store_credit", 1))
        bogus = self.url_open(f"/my/orders/{order.id}/return", data={
            "csrf_token": csrf, f"qty_{key}": "1", "reason_id": reason.id, "resolution": "none"})
        self.assertIn("alert-danger", bogus.text)
        # Somebody else's order is not reachable.
        refused = self.url_open(f"/my/orders/{other.id}/return")
        self.assertNotIn("Return items from", refused.text)
