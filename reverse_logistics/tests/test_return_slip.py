import base64
import io
import re

from PIL import Image, ImageChops

from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import new_test_user, tagged

from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestReturnSlip(ReverseLogisticsCommon):
    """The return slip: a real PDF whose barcode is the return number the grading station scans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, login="rl_slip_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls._stock_in(cls.product, 5)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 3, 100.0, 0.0)])
        cls.policy.slip_instructions = "<p>Tape the parcel twice.</p>"

    def assertDrawnIn(self, png, images):  # noqa: N802 (unittest style)
        """`png` is one of `images`: same size and the same pixels, give or take the renderer's
        anti-aliasing (one grey level); a barcode of any other value differs by whole bars."""
        expected = Image.open(io.BytesIO(png)).convert("L")
        self.assertTrue(any(
            image.size == expected.size and ImageChops.difference(image, expected).getextrema()[1] <= 8
            for image in images
        ), "the image is not on the slip")

    def test_slip_pdf_and_scan(self):
        ret = self._new_return(self.sale, qty=2).with_user(self.clerk)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        reports = self.env["ir.actions.report"].with_user(self.clerk)

        html = reports._render_qweb_html("reverse_logistics.action_report_return_slip", ret.ids)[0].decode()
        self.assertIn(ret.name, html)
        self.assertIn("Tape the parcel twice.", html)
        self.assertIn("Espresso Machine", html)
        self.assertIn(self.warehouse.partner_id.name, html)
        # The barcode image is the Code 128 of the return number, exactly as the report engine draws it
        # (compared pixel by pixel: PNG files may differ in their metadata).
        images = [Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
                  for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]
        barcode = self.env["ir.actions.report"].barcode
        self.assertDrawnIn(barcode("Code128", ret.name, width=600, height=100), images)
        with self.assertRaises(AssertionError):
            self.assertDrawnIn(barcode("Code128", ret.name + "9", width=600, height=100), images)
        # And the QR code carries the customer's page of the return, token included.
        self.assertDrawnIn(barcode("QR", ret._get_slip_portal_url(), width=150, height=150), images)
        self.assertIn(f"/my/returns/{ret.id}?access_token=", ret._get_slip_portal_url())

        pdf, kind = reports.with_context(force_report_rendering=True)._render_qweb_pdf(
            "reverse_logistics.action_report_return_slip", ret.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        action = ret.action_print_slip()
        self.assertEqual(action["report_name"], "reverse_logistics.report_return_slip")

        # The number read from the slip finds the return at the grading station once it is received.
        self._receive(ret.receipt_ids)
        unit = self.env["return.grading.station"].with_user(self.clerk).scan(ret.name)
        self.assertEqual(unit["order"], ret.name)
        self.assertEqual(unit["line_id"], ret.line_ids.id)
        self.assertEqual(unit["qty_pending"], 2)


@tagged("post_install", "-at_install")
class TestReturnSlipPortal(ReverseLogisticsHttpCase):
    """Customers print the slip of their own returns, and of no one else's."""

    def test_portal_slip_access(self):
        env = self.env
        company = env.ref("base.main_company")
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        product = env["product.product"].create({"name": "Slip Kettle", "is_storable": True, "list_price": 30})
        partner = env["res.partner"].create({"name": "Slip Fan", "email": "slipfan@example.com"})
        new_test_user(env, login="slip_fan", password="slip_fan_pw", groups="base.group_portal",
                      partner_id=partner.id)
        other_partner = env["res.partner"].create({"name": "Other Slip", "email": "other@example.com"})
        mine, other, draft = env["return.order"].create([{
            "partner_id": p.id, "company_id": company.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
        } for p in (partner, other_partner, partner)])
        (mine | other).action_approve()

        self.authenticate("slip_fan", "slip_fan_pw")
        page = self.url_open(f"/my/returns/{mine.id}")
        self.assertIn(f"/my/returns/{mine.id}/slip", page.text)
        slip = self.url_open(f"/my/returns/{mine.id}/slip")
        self.assertEqual(slip.status_code, 200)
        # Tests render reports as HTML unless forced: the document is the slip of this return.
        self.assertIn(mine.name, slip.text)
        self.assertIn("Slip Kettle", slip.text)
        refused = self.url_open(f"/my/returns/{other.id}/slip")
        self.assertNotIn(other.name, refused.text)
        self.assertNotIn("Other Slip", refused.text)
        # A draft has nothing to send yet: back to its page, no slip.
        not_yet = self.url_open(f"/my/returns/{draft.id}/slip")
        self.assertNotIn("Return Slip", not_yet.text)
        self.assertIn(f"/my/returns/{draft.id}", not_yet.url)

        # Without a session: the access token opens the slip, a wrong one nothing.
        self.logout()
        mine._portal_ensure_token()
        other._portal_ensure_token()
        guest = self.url_open(f"/my/returns/{mine.id}/slip?access_token={mine.access_token}")
        self.assertIn(mine.name, guest.text)
        forged = self.url_open(f"/my/returns/{other.id}/slip?access_token={mine.access_token}")
        self.assertNotIn(other.name, forged.text)
        anonymous = self.url_open(f"/my/returns/{other.id}/slip")
        self.assertNotIn(other.name, anonymous.text)
