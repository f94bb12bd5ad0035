"""Every public and portal route of the core, fed what a browser never sends: an answer (a page, a
message, a redirect), never a server error, and nothing created."""
import re

from odoo import Command
from odoo.tests import new_test_user, tagged

from .http_common import ReverseLogisticsHttpCase

HUGE_ID = 10**20


@tagged("post_install", "-at_install")
class TestReturnRoutesBadInput(ReverseLogisticsHttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.ref("base.main_company").id)], limit=1)
        product = env["product.product"].create({
            "name": "Route Kettle", "is_storable": True, "list_price": 30, "invoice_policy": "delivery"})
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
        cls.partner = env["res.partner"].create({"name": "Route Fan", "email": "route@example.com", "zip": "4000"})
        new_test_user(env, login="route_fan", password="route_fan_pw", groups="base.group_portal",
                      partner_id=cls.partner.id)
        cls.order = env["sale.order"].create({
            "name": "RLROUTE-1", "partner_id": cls.partner.id, "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 3})]})
        cls.order.action_confirm()
        cls.order.picking_ids.move_ids.picked = True
        cls.order.picking_ids.button_validate()
        cls.key = f"{cls.order.picking_ids.move_ids.id}-0"
        cls.reason = env.ref("reverse_logistics.return_reason_not_needed")
        cls.ret = env["return.order"]._create_from_portal(cls.order, {cls.key: 1}, cls.reason)

    def _csrf(self, url):
        page = self.url_open(url)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.assertTrue(match, f"{url}: {page.status_code} {page.url} {page.text[:3000]}")
        return match.group(1)

    def _returns(self):
        return self.env["return.order"].search_count([("sale_order_id", "=", self.order.id)])

    def _answered(self, response, label):
        self.assertLess(response.status_code, 500, label)
        self.assertNotIn("Traceback", response.text, label)

    def test_bad_input_everywhere(self):
        count = self._returns()
        bad_quantities = ("1e308", "-1e308", "nan", "inf", "-1", "abc", "1" * 400, "0x10", "", " ")
        bad_reasons = ("-1", "9" * 30, "abc", "1.5", str(HUGE_ID))
        for visitor in ("public", "portal"):
            if visitor == "portal":
                self.authenticate("route_fan", "route_fan_pw")
            # The look-up, then the capability's form.
            csrf = self._csrf("/returns/guest")
            for reference, contact in (("RLROUTE-1\\", "4000"), ("%_\\%", "%"), ("x" * 100000, "y" * 100000),
                                       ("RLROUTE-1", "\x00"), ("", "")):
                response = self.url_open("/returns/guest", data={
                    "csrf_token": csrf, "reference": reference, "contact": contact})
                self._answered(response, f"look-up {reference[:20]!r}")
            found = self.url_open("/returns/guest", data={"csrf_token": csrf, "reference": "RLROUTE-1",
                                                          "contact": "4000"})
            forms = [found.url, f"/my/orders/{self.order.id}/return?access_token={self.order._portal_ensure_token()}"]
            for url in forms:
                csrf = self._csrf(url)
                for qty in bad_quantities:
                    self._answered(self.url_open(url, data={
                        "csrf_token": csrf, f"qty_{self.key}": qty, "reason_id": self.reason.id}), f"{url} qty {qty}")
                for reason in bad_reasons:
                    self._answered(self.url_open(url, data={
                        "csrf_token": csrf, f"qty_{self.key}": "1", "reason_id": reason}), f"{url} reason {reason}")
                for extra in ({f"qty_{self.key}": "1", "resolution": "x" * 1000},
                              {f"qty_{self.key}": "1", "note": "x" * 100000},
                              {f"qty_{HUGE_ID}-{HUGE_ID}": "1"}, {"qty_": "1"}, {"qty_x-y": "1"},
                              {f"qty_{self.key}": ["-1", "1"]}):
                    self._answered(self.url_open(url, data={"csrf_token": csrf, "reason_id": self.reason.id, **extra}),
                                   f"{url} {list(extra)[-1][:20]}")
            # The return's pages, with ids and tokens that are no ids or tokens.
            token = self.ret._portal_ensure_token()
            for url in (f"/returns/guest/{HUGE_ID}?token=1.x", f"/returns/guest/{self.order.id}?token=" + "9" * 5000,
                        f"/my/returns/{HUGE_ID}", f"/my/returns/{self.ret.id}?access_token=" + "x" * 5000,
                        f"/my/returns/{self.ret.id}/slip?access_token={token}&download=maybe",
                        f"/my/returns/{HUGE_ID}/slip", f"/my/returns/page/{HUGE_ID}", "/my/returns/page/0",
                        f"/my/orders/{HUGE_ID}/return"):
                self._answered(self.url_open(url), url)
            csrf = self._csrf(f"/my/returns/{self.ret.id}?access_token={token}")
            # (The signed-in customer may cancel his own return: the forged token only for the public.)
            for url in (f"/my/returns/{HUGE_ID}/cancel",
                        *([f"/my/returns/{self.ret.id}/cancel?access_token=forged"] if visitor == "public" else [])):
                self._answered(self.url_open(url, data={"csrf_token": csrf}), url)
        self.assertEqual(self._returns(), count, "nothing was created")
        self.assertEqual(self.ret.state, "approved", "nor cancelled")
