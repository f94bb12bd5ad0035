import re

from odoo import Command
from odoo.tests import tagged

from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestReturnGuest(ReverseLogisticsHttpCase):
    """Guests find their order by reference and e-mail or postal code, and nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.ref("base.main_company")
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.kettle = env["product.product"].create({
            "name": "Guest Tour Kettle", "is_storable": True, "list_price": 30, "invoice_policy": "delivery"})
        cls.mug = env["product.product"].create({
            "name": "Guest Tour Mug", "is_storable": True, "list_price": 5, "invoice_policy": "delivery"})
        for product in (cls.kettle, cls.mug):
            env["stock.quant"]._update_available_quantity(product, cls.warehouse.lot_stock_id, 10)
        cls.guest = env["res.partner"].create({
            "name": "Guest Tour", "email": "guest.tour@example.com", "zip": "1000 AB", "lang": "en_US"})
        cls.stranger = env["res.partner"].create({
            "name": "Stranger Danger", "email": "stranger@example.com", "zip": "9999"})
        cls.order = cls._sell(cls.guest, "RLGUEST-TOUR")
        cls.other_order = cls._sell(cls.stranger, "RLGUEST-OTHER")
        cls.reason = env.ref("reverse_logistics.return_reason_not_needed")

    @classmethod
    def _sell(cls, partner, name):
        order = cls.env["sale.order"].create({
            "name": name, "partner_id": partner.id, "warehouse_id": cls.warehouse.id,
            "order_line": [Command.create({"product_id": p.id, "product_uom_qty": 2}) for p in (cls.kettle, cls.mug)],
        })
        order.action_confirm()
        order.picking_ids.move_ids.picked = True
        order.picking_ids.button_validate()
        return order

    def _csrf(self, url="/returns/guest"):
        return re.search(r'name="csrf_token" value="([^"]+)"', self.url_open(url).text).group(1)

    def _look_up(self, reference, contact, csrf=None):
        return self.url_open("/returns/guest", data={
            "csrf_token": csrf or self._csrf(), "reference": reference, "contact": contact})

    def _alert(self, response):
        match = re.search(r'<div class="alert alert-danger" role="alert">([^<]*)</div>', response.text)
        return match and match.group(1)

    def test_guest_tour(self):
        self.start_tour("/returns/guest", "reverse_logistics_guest_return")
        ret = self.env["return.order"].search([("sale_order_id", "=", self.order.id)])
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.partner_id, self.guest)
        self.assertEqual(ret.state, "approved")
        self.assertEqual([(line.product_id, line.product_uom_qty) for line in ret.line_ids], [(self.kettle, 1)])
        # The slip the page links to, opened as the guest (no session: the return's access token).
        slip = self.url_open(ret.get_portal_url(suffix="/slip"))
        self.assertEqual(slip.status_code, 200)
        self.assertIn(ret.name, slip.text)
        self.assertIn("Guest Tour Kettle", slip.text)

    def test_guest_look_up(self):
        page = self.url_open("/returns/guest")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Order reference", page.text)
        csrf = self._csrf()
        # By e-mail (any case) and by postal code (spaces and case do not matter).
        for contact in ("Guest.Tour@Example.com", "1000ab"):
            found = self._look_up("rlguest-tour", contact, csrf)
            self.assertIn(f"/my/orders/{self.order.id}/return?access_token={self.order.access_token}", found.url)
            self.assertIn("Guest Tour Kettle", found.text)
            self.assertNotIn("RLGUEST-OTHER", found.text)
        # Any mismatch says the same, and shows nothing of any order.
        answers = {
            self._alert(response)
            for response in (
                self._look_up("RLGUEST-TOUR", "stranger@example.com", csrf),  # another customer's e-mail
                self._look_up("RLGUEST-OTHER", "guest.tour@example.com", csrf),  # another customer's order
                self._look_up("RLGUEST-NONE", "guest.tour@example.com", csrf),  # no such order
                self._look_up("RLGUEST-%", "guest.tour@example.com", csrf),  # a wildcard
                self._look_up("RLGUEST-TOUR", "", csrf),
            )
        }
        self.assertEqual(len(answers), 1)
        self.assertIn("could not find an order", answers.pop())
        # Without a valid CSRF token the post is refused outright.
        forged = self.url_open("/returns/guest", data={
            "csrf_token": "forged", "reference": "RLGUEST-TOUR", "contact": "1000AB"})
        self.assertEqual(forged.status_code, 400)
        self.assertNotIn("Guest Tour Kettle", forged.text)
        # The token of one order opens no other.
        wrong_token = self.url_open(
            f"/my/orders/{self.other_order.id}/return?access_token={self.order._portal_ensure_token()}")
        self.assertNotIn("Return items from", wrong_token.text)
        self.assertNotIn("RLGUEST-OTHER", wrong_token.text)

    def test_guest_forged_request(self):
        token = self.order._portal_ensure_token()
        url = f"/my/orders/{self.order.id}/return?access_token={token}"
        form = self.url_open(url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        other_key = f"{self.other_order.picking_ids.move_ids[0].id}-0"
        kettle_key = f"{self.order.picking_ids.move_ids.filtered(lambda m: m.product_id == self.kettle).id}-0"
        for data in (
            {f"qty_{other_key}": "1"},  # a product line of another order
            {f"qty_{kettle_key}": "3"},  # more than delivered
            {f"qty_{kettle_key}": "-1"},
            {f"qty_{kettle_key}": "nan"},
        ):
            response = self.url_open(url, data={"csrf_token": csrf, "reason_id": self.reason.id, **data})
            self.assertIn("alert-danger", response.text)
        orders = self.order | self.other_order
        self.assertFalse(self.env["return.order"].search([("sale_order_id", "in", orders.ids)]))
        refused = self.url_open(url, data={
            "csrf_token": "forged", "reason_id": self.reason.id, f"qty_{kettle_key}": "1"})
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(self.env["return.order"].search([("sale_order_id", "=", self.order.id)]))

    def test_guest_rate_limit(self):
        csrf = self._csrf()
        limit = self.env["return.guest.attempt"]._MAX_FAILURES
        for _i in range(limit):
            self.assertIn("could not find", self._alert(self._look_up("RLGUEST-TOUR", "wrong@example.com", csrf)))
        blocked = self._look_up("RLGUEST-TOUR", "guest.tour@example.com", csrf)
        self.assertIn("Too many attempts", self._alert(blocked))
        self.assertNotIn("Guest Tour Kettle", blocked.text)
        self.assertEqual(self.env["return.guest.attempt"].search_count([]), limit)
