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
        # Nor how the team graded the units (second round: "1 A, 1 D" read over RPC).
        with self.assertRaises(AccessError):
            ret.line_ids.with_user(self.portal_user).read(["grade_summary"])

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

    def test_a_delivery_named_after_the_price_brings_the_sales_price(self):
        """Second round: a clerk typed 99,999 on a line without documents, then wrote the delivery move
        alone; the typed price stayed and was credited (a posted credit note of 89,999.10 for one
        machine invoiced at 100). A sale's delivery now brings its sale line, and with it the price."""
        self._stock_in(self.product, 2)
        sale, delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        ret = self._typed_return(99999.0)
        line = ret.line_ids.with_user(self.clerk)
        line.write({"origin_move_id": delivery.move_ids.id})
        self.assertEqual((line.sale_line_id, line.price_unit), (sale.order_line, 100.0))
        with self.assertRaisesRegex(UserError, "Price Unit cannot be set by hand"):
            line.write({"price_unit": 99999.0})
        # The same at creation, without the sale line.
        created = self.env["return.order.line"].with_user(self.clerk).create({
            "order_id": ret.id, "product_id": self.product.id, "product_uom_qty": 1,
            "origin_move_id": delivery.move_ids.id})
        self.assertEqual((created.sale_line_id, created.price_unit), (sale.order_line, 100.0))

    def test_a_line_documents_tell_one_story(self):
        """Third round (N4): a machine line written with the beans' delivery, a beans line given the
        machine's delivery (it took the machine's sale line and 249 for an 18 product), a machine line with
        the beans' sale line and the machine's delivery: each is refused, naming what does not agree."""
        self._stock_in(self.product, 2)
        self._stock_in(self.product_lot, 5, lot_name="RL-N4")
        sale, delivery, _invoice = self._sell([(self.product, 1, 249.0, 0.0), (self.product_lot, 5, 18.0, 0.0)])
        machine_move = delivery.move_ids.filtered(lambda m: m.product_id == self.product)
        beans_move = delivery.move_ids - machine_move
        beans_sale_line = sale.order_line.filtered(lambda sl: sl.product_id == self.product_lot)
        ret = self._typed_return(249.0)
        line = ret.line_ids.with_user(self.clerk)
        with self.assertRaisesRegex(ValidationError, "against the delivery of"):
            line.write({"origin_move_id": beans_move.id})
        with self.assertRaisesRegex(ValidationError, "against the delivery of"):
            self.env["return.order.line"].with_user(self.clerk).create({
                "order_id": ret.id, "product_id": self.product_lot.id, "product_uom_qty": 1,
                "origin_move_id": machine_move.id})
        with self.assertRaisesRegex(ValidationError, "was not made for the sale line"):
            self.env["return.order.line"].with_user(self.clerk).create({
                "order_id": ret.id, "product_id": self.product.id, "product_uom_qty": 1,
                "sale_line_id": beans_sale_line.id, "origin_move_id": machine_move.id})
        with self.assertRaisesRegex(ValidationError, "was not sold nor delivered on the sale line"):
            line.write({"sale_line_id": beans_sale_line.id})
        self.assertEqual((line.origin_move_id.id, line.sale_line_id.id, line.price_unit), (False, False, 249.0))
        # The documents that agree are taken, with the sale's price.
        beans = self.env["return.order.line"].with_user(self.clerk).create({
            "order_id": ret.id, "product_id": self.product_lot.id, "product_uom_qty": 1,
            "origin_move_id": beans_move.id})
        self.assertEqual((beans.sale_line_id, beans.price_unit), (beans_sale_line, 18.0))

    def test_a_delivery_without_sale_prices_nothing(self):
        """A delivery made without a sale carries no selling price: the typed price stays the clerk's,
        and such a return waits for a manager."""
        self._stock_in(self.product, 1)
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner.id,
            "location_id": self.warehouse.lot_stock_id.id,
            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
            "move_ids": [Command.create({
                "name": "by hand", "product_id": self.product.id, "product_uom_qty": 1,
                "product_uom": self.product.uom_id.id, "location_id": self.warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id})],
        })
        picking.action_confirm()
        picking.move_ids.quantity = 1
        picking.button_validate()
        ret = self._typed_return(500.0)
        ret.line_ids.with_user(self.clerk).write({"origin_move_id": picking.move_ids.id})
        self.assertEqual((ret.line_ids.sale_line_id.id, ret.line_ids.price_unit), (False, 500.0))
        ret.with_user(self.clerk).action_submit()
        self.assertEqual(ret.state, "draft", "a price no sale or invoice gives waits for a manager")

    def test_a_billing_clerk_without_an_email_address_credits(self):
        """Second round: the credit was rolled back for a user without an e-mail address ("configure the
        sender's email address"); the customer's mails are the company's, not the clicking user's."""
        billing_clerk = new_test_user(
            self.env, "rl_atk_billing_clerk", email=False,
            groups="stock.group_stock_user,reverse_logistics.group_return_user,account.group_account_invoice",
            company_id=self.company.id, company_ids=self.company.ids)
        self.assertFalse(billing_clerk.email)
        self.partner.email = "customer@example.com"
        self._stock_in(self.product, 1)
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        ret = self._new_return(sale, qty=1)
        ret.action_submit()
        ret.with_user(billing_clerk).action_create_credit_note()
        credit = ret.sudo().credit_note_ids
        self.assertEqual(len(credit), 1)
        self.assertEqual(credit.amount_untaxed, 100.0)

    def test_a_manager_moves_no_policy_into_another_company(self):
        """Second round: a Returns Manager of one company moved its policy into another company."""
        other = self.env["res.company"].create({"name": "RL Other Co"})
        policy = self.policy.with_user(self.manager)
        with self.assertRaisesRegex(ValidationError, "you do not work for that company"):
            policy.write({"company_id": other.id})
        with self.assertRaisesRegex(ValidationError, "you do not work for that company"):
            self.env["return.policy"].with_user(self.manager).create({"name": "Elsewhere", "company_id": other.id})
        self.assertEqual(self.policy.company_id, self.company)
        # A manager of both companies may.
        self.manager.sudo().company_ids = [Command.link(other.id)]
        created = self.env["return.policy"].with_user(self.manager).create({"name": "There", "company_id": other.id})
        self.assertEqual(created.company_id, other)
