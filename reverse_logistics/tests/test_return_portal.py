from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestReturnPortal(HttpCase):
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
            "partner_id": p.id, "return_type": "distributor", "company_id": company.id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
        } for p in (partner, env.ref("base.res_partner_2"))])

        self.authenticate("kettle_fan", "kettle_fan")
        listing = self.url_open("/my/returns")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(mine.name, listing.text)
        self.assertNotIn(other.name, listing.text)
        page = self.url_open(f"/my/returns/{mine.id}")
        self.assertIn("Portal Kettle", page.text)
        refused = self.url_open(f"/my/returns/{other.id}")
        self.assertNotIn(other.name, refused.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/returns", home.text)
