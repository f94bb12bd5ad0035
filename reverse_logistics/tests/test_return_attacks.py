"""What an outside tester broke over HTTP and JSON-RPC on a served database, as the tests of its fix:
money a clerk alone could credit, negative values, the internal note read by the customer, a forged
employee address relayed to the customer, an accountant's raw refusal, photos that cost seconds each."""
import base64
import io

from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon, png_claiming
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnAttacks(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(cls.env, "rl_atk_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_atk_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager", **company)
        cls.accountant = new_test_user(
            cls.env, "rl_atk_accountant",
            groups="account.group_account_invoice,reverse_logistics.group_return_reporting", **company)
        cls.portal_user = new_test_user(cls.env, "rl_atk_portal", groups="base.group_portal")
        cls.portal_user.partner_id.parent_id = cls.partner

    def _typed_return(self, price, discount=0.0, qty=1):
        """A customer return whose line names no sale, delivery or invoice: the price is the clerk's."""
        return self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.partner.id, "return_type_id": self.env.ref("reverse_logistics.return_type_customer").id,
            "line_ids": [Command.create({"product_id": self.product.id, "product_uom_qty": qty,
                                         "price_unit": price, "discount": discount,
                                         "reason_id": self.reason_defect.id})],
        })

    def test_a_clerk_alone_never_gets_typed_prices_credited(self):
        ret = self._typed_return(999.0)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "prices typed by hand wait for a manager, whatever the policy's limit")
        with self.assertRaises(AccessError):
            ret.action_approve()
        self.assertFalse(ret.sudo().credit_note_ids)
        self.assertFalse(ret.sudo().receipt_ids)
        ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.state, "approved")

    def test_negative_values_are_refused(self):
        for price, discount in ((-249.0, 0.0), (249.0, -50.0), (249.0, 150.0)):
            with self.subTest(price=price, discount=discount), self.assertRaises(ValidationError):
                self._typed_return(price, discount)
        ret = self._typed_return(100.0)
        for vals in ({"price_unit": -1.0}, {"discount": 100.5}, {"discount": -0.01}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                ret.line_ids.with_user(self.clerk).write(vals)
        self.assertEqual((ret.line_ids.price_unit, ret.line_ids.discount), (100.0, 0.0))

    def test_the_customer_never_reads_the_internal_note(self):
        ret = self._typed_return(10.0)
        ret.with_user(self.manager).note = "<p>Customer known for wardrobing</p>"
        ret.line_ids.with_user(self.manager).note = "Scratches hidden under the sticker"
        ret.sudo()._portal_ensure_token()
        as_customer = ret.with_user(self.portal_user)
        self.assertTrue(as_customer.read(["name"]))
        with self.assertRaises(AccessError):
            as_customer.read(["note"])
        with self.assertRaises(AccessError):
            as_customer.search_read([("id", "=", ret.id)], ["note"])
        with self.assertRaises(AccessError):
            ret.line_ids.with_user(self.portal_user).read(["note"])

    def test_an_accountant_who_cannot_change_returns_is_told_why(self):
        self._stock_in(self.product, 1)
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        ret = self._new_return(sale, qty=1)
        ret.action_submit()
        with self.assertRaisesRegex(AccessError, "returns group that may change returns"):
            ret.with_user(self.accountant).action_create_credit_note()
        self.assertFalse(ret.sudo().credit_note_ids)


    def test_photos_of_more_pixels_than_a_phone_takes_are_refused(self):
        order = self.env["return.order"]
        with self.assertRaisesRegex(UserError, "too many pixels: 25 megapixels at most"):
            order._get_portal_photo_format("big.png", png_claiming(7000, 7000))
        from PIL import Image
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), "red").save(buffer, format="PNG")
        self.assertEqual(order._get_portal_photo_format("ok.png", buffer.getvalue()), ("image/png", "png"))
        self.assertTrue(base64.b64encode(buffer.getvalue()))

    def test_a_typed_price_does_not_ride_in_with_a_document(self):
        """The price of a line that names a sale, delivery or invoice is the document's, also when the
        document is given in the same write as a price (a second round's lead)."""
        self._stock_in(self.product, 1)
        sale, _delivery, invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        ret = self._typed_return(100.0)
        line = ret.line_ids.with_user(self.clerk)
        with self.assertRaisesRegex(UserError, "Price Unit cannot be set by hand"):
            line.write({"sale_line_id": sale.order_line.id, "price_unit": 999.0})
        with self.assertRaisesRegex(UserError, "Price Unit cannot be set by hand"):
            line.write({"invoice_line_id": invoice.invoice_line_ids[:1].id, "price_unit": 999.0})
        with self.assertRaisesRegex(UserError, "Price Unit cannot be set by hand"):
            self.env["return.order.line"].with_user(self.clerk).create({
                "order_id": ret.id, "product_id": self.product.id, "product_uom_qty": 1,
                "invoice_line_id": invoice.invoice_line_ids[:1].id, "price_unit": 999.0})
        self.assertEqual(line.price_unit, 100.0)
