import base64
import io
import re

from PIL import Image

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import png_claiming
from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestReturnPortalPolish(ReverseLogisticsHttpCase):
    """Photos, product images, unit rounding, cancelling and breadcrumbs on the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.ref("base.main_company").id)], limit=1)
        png = io.BytesIO()
        Image.new("RGB", (8, 8), "red").save(png, "PNG")
        cls.png = png.getvalue()
        cls.product = env["product.product"].create({
            "name": "Polish Kettle", "is_storable": True, "list_price": 30, "invoice_policy": "delivery",
            "image_1920": base64.b64encode(cls.png)})
        env["stock.quant"]._update_available_quantity(cls.product, warehouse.lot_stock_id, 10)
        cls.partner = env["res.partner"].create({"name": "Polish Fan", "email": "polish@example.com"})
        new_test_user(env, login="polish_fan", password="polish_fan_pw", groups="base.group_portal",
                      partner_id=cls.partner.id)
        cls.stranger = env["res.partner"].create({"name": "Polish Stranger", "email": "stranger@example.com"})
        cls.orders = {}
        for partner in (cls.partner, cls.stranger):
            order = env["sale.order"].create({
                "partner_id": partner.id, "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 3})],
            })
            order.action_confirm()
            order.picking_ids.move_ids.picked = True
            order.picking_ids.button_validate()
            cls.orders[partner] = order
        cls.order = cls.orders[cls.partner]
        cls.key = f"{cls.order.picking_ids.move_ids.id}-0"
        cls.reason = env.ref("reverse_logistics.return_reason_not_needed")

    def _form(self):
        form = self.url_open(f"/my/orders/{self.order.id}/return")
        return form, re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

    def _request(self, csrf, files=None, qty="1"):
        return self.url_open(f"/my/orders/{self.order.id}/return", data={
            "csrf_token": csrf, f"qty_{self.key}": qty, "reason_id": self.reason.id}, files=files)

    def _returns(self):
        return self.env["return.order"].search([("sale_order_id", "=", self.order.id)])

    def test_photos_images_units(self):
        self.authenticate("polish_fan", "polish_fan_pw")
        form, csrf = self._form()
        self.assertIn('enctype="multipart/form-data"', form.text)
        self.assertIn('class="me-2 rounded o_rl_product_image"', form.text, "the product's image")
        self.assertIn(">3 Units", form.text.replace("\n", " "), "3, not 3.0: the unit's rounding")
        self.assertIn("Request a Return</li>", form.text, "breadcrumb")

        # Not an image, though it says so: refused, nothing created.
        refused = self._request(csrf, files=[("photos", ("leak.png", b"#!/bin/sh\nrm -rf /\n", "image/png"))])
        self.assertIn("leak.png is not a photo", refused.text)
        self.assertFalse(self._returns())
        big = self.png + b"\0" * (5 * 1024 * 1024)
        refused = self._request(csrf, files=[("photos", ("huge.png", big, "image/png"))])
        self.assertIn("huge.png is too large", refused.text)
        self.assertFalse(self._returns())
        too_many = [("photos", (f"p{i}.png", self.png, "image/png")) for i in range(6)]
        self.assertIn("5 photos at most", self._request(csrf, files=too_many).text)
        self.assertFalse(self._returns())

        done = self._request(csrf, files=[("photos", ("leak.png", self.png, "image/png"))])
        ret = self._returns()
        self.assertEqual(len(ret), 1)
        # (The approval mail's slip is attached to the return too.)
        photo = self.env["ir.attachment"].search([
            ("res_model", "=", "return.order"), ("res_id", "=", ret.id), ("mimetype", "=like", "image/%")])
        self.assertEqual((photo.name, photo.mimetype, photo.raw), ("leak.png", "image/png", self.png))
        self.assertIn(photo, ret.message_ids.attachment_ids)
        # The return's page: breadcrumbs, the image, the quantity as the unit shows it.
        self.assertIn('<a href="/my/returns">Returns</a>', done.text)
        self.assertIn('o_rl_product_image', done.text)
        self.assertRegex(done.text, r'<td class="text-end">1</td>')


    def test_photo_attacks(self):
        """Polyglots, HTML and SVG under image names, a decompression bomb: refused with a message, or
        stored as the image they really are, never as script."""
        self.authenticate("polish_fan", "polish_fan_pw")
        _form, csrf = self._form()
        script = b"=1;fetch('/web/session/get_session_info').then(r=>r.text()).then(alert)//"
        gif = io.BytesIO()
        Image.new("P", (4, 4)).save(gif, "GIF")
        for name, content, claimed, message in (
            ("x.js", b"GIF89a" + script, "text/javascript", "x.js is not a photo"),
            ("x.png", b"<html><script>alert(1)</script></html>", "image/png", "x.png is not a photo"),
            ("x.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/png", "not a photo"),
            ("bomb.png", png_claiming(100000, 100000), "image/png", "bomb.png has too many pixels"),
            ("big.png", png_claiming(8000, 8000), "image/png", "big.png has too many pixels"),
        ):
            response = self._request(csrf, files=[("photos", (name, content, claimed))])
            self.assertEqual(response.status_code, 200, name)
            self.assertIn(message, response.text, name)
            self.assertFalse(self._returns(), name)
        # A real GIF with a script after its end: it is a GIF, stored and served as one, under a .gif name.
        polyglot = gif.getvalue() + b"\n" + script
        self._request(csrf, files=[("photos", ("../../x.js", polyglot, "text/javascript"))])
        ret = self._returns()
        self.assertEqual(len(ret), 1)
        photo = ret.message_ids.attachment_ids.filtered(lambda a: a.mimetype.startswith("image/"))
        self.assertEqual((photo.name, photo.mimetype, photo.raw), ("x.gif", "image/gif", polyglot))
        # As the returns team opens it from the chatter.
        self.authenticate("admin", "admin")
        served = self.url_open(f"/web/content/{photo.id}")
        self.assertEqual(served.status_code, 200)
        self.assertEqual(served.headers["Content-Type"], "image/gif")
        self.assertEqual(served.headers.get("X-Content-Type-Options"), "nosniff")

    def test_cancel(self):
        mine = self.env["return.order"]._create_from_portal(self.order, {self.key: 1}, self.reason)
        other_order = self.orders[self.stranger]
        other = self.env["return.order"]._create_from_portal(
            other_order, {f"{other_order.picking_ids.move_ids.id}-0": 1}, self.reason)
        self.assertEqual((mine.state, other.state), ("approved", "approved"))
        self.authenticate("polish_fan", "polish_fan_pw")
        page = self.url_open(f"/my/returns/{mine.id}")
        self.assertIn(f"/my/returns/{mine.id}/cancel", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # Not without a valid CSRF token, and never another customer's return.
        self.assertEqual(self.url_open(f"/my/returns/{mine.id}/cancel", data={"csrf_token": "x"}).status_code, 400)
        self.url_open(f"/my/returns/{other.id}/cancel", data={"csrf_token": csrf})
        self.assertEqual((mine.state, other.state), ("approved", "approved"))

        self.url_open(f"/my/returns/{mine.id}/cancel", data={"csrf_token": csrf})
        self.assertEqual(mine.state, "cancel")
        self.assertEqual(mine.receipt_ids.mapped("state"), ["cancel"])
        self.assertNotIn(f"/my/returns/{mine.id}/cancel", self.url_open(f"/my/returns/{mine.id}").text)

        # Received goods: too late to cancel here, said clearly.
        late = self.env["return.order"]._create_from_portal(self.order, {self.key: 1}, self.reason)
        late.receipt_ids.move_ids.picked = True
        late.receipt_ids.button_validate()
        refused = self.url_open(f"/my/returns/{late.id}/cancel", data={"csrf_token": csrf})
        self.assertNotEqual(late.state, "cancel")
        self.assertNotIn(f"/my/returns/{late.id}/cancel", refused.text)
        listing = self.url_open("/my/returns")
        self.assertIn("Returns</li>", listing.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/returns", home.text)

    def test_a_reason_that_is_none_of_the_list(self):
        """Second round: a bad reason id was answered "Quantities must be numbers."."""
        self.authenticate("polish_fan", "polish_fan_pw")
        _form, csrf = self._form()
        for reason_id in ("-1", "1e3", "\u00b2", "999999999"):
            response = self.url_open(f"/my/orders/{self.order.id}/return", data={
                "csrf_token": csrf, f"qty_{self.key}": "1", "reason_id": reason_id})
            with self.subTest(reason_id=reason_id):
                self.assertEqual(response.status_code, 200)
                self.assertIn("Choose the reason for the return from the list.", response.text)
                self.assertNotIn("Quantities must be numbers", response.text)
        self.assertFalse(self._returns())
