from lxml import etree

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestReturnOrderCreate(ReverseLogisticsCommon):
    """The creation wizard, from its three entry points: the sale order, the delivery and the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_wizard_clerk", groups="stock.group_stock_user,reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls._stock_in(cls.product, 10)
        cls._stock_in(cls.product_lot, 20, lot_name="WIZ-LOT-1")
        cls.sale, cls.delivery, _invoice = cls._sell([(cls.product, 4, 100.0, 0.0), (cls.product_lot, 6, 12.0, 0.0)])

    def _open_wizard(self, document):
        action = document.with_user(self.clerk).action_create_return_order()
        self.assertEqual(action["res_model"], "return.order.create")
        return self.env["return.order.create"].with_user(self.clerk).browse(action["res_id"])

    def _returnable(self, wizard):
        return {line.product_id: line.qty_returnable for line in wizard.line_ids}

    def test_from_sale_order_only_what_is_asked(self):
        returns = self.env["return.order"].search([("sale_order_id", "=", self.sale.id)])
        wizard = self._open_wizard(self.sale)
        self.assertEqual(self._returnable(wizard), {self.product: 4.0, self.product_lot: 6.0})
        self.assertEqual(wizard.line_ids.mapped("quantity"), [0.0, 0.0], "nothing is asked for by default")
        self.assertEqual(self.env["return.order"].search([("sale_order_id", "=", self.sale.id)]), returns,
                         "opening the wizard saves no return")
        with Form(wizard) as form:
            with form.line_ids.edit(0) as line:
                line.quantity = 1
            form.reason_id = self.reason_defect
        ret = self.env["return.order"].browse(wizard.action_create_return()["res_id"])
        self.assertEqual(ret.state, "draft")
        self.assertEqual(ret.line_ids.product_id, self.product)
        self.assertEqual(ret.line_ids.product_uom_qty, 1.0)
        self.assertEqual(ret.line_ids.reason_id, self.reason_defect)
        # The draft holds the one machine asked for, not the beans nobody asked for.
        self.assertEqual(self._returnable(self._open_wizard(self.sale)), {self.product: 3.0, self.product_lot: 6.0})

    def test_from_delivery(self):
        wizard = self._open_wizard(self.delivery)
        self.assertEqual(wizard.picking_id, self.delivery)
        self.assertEqual(wizard.sale_order_id, self.sale)
        self.assertEqual(wizard.line_ids.origin_move_id, self.delivery.move_ids)
        self.assertEqual(wizard.line_ids.filtered(lambda ln: ln.product_id == self.product_lot).lot_id.name,
                         "WIZ-LOT-1")
        ret = self.env["return.order"].browse(wizard.action_create_return_all()["res_id"])
        self.assertEqual(ret.picking_id, self.delivery)
        self.assertEqual(sorted(ret.line_ids.mapped("product_uom_qty")), [4.0, 6.0])
        with self.assertRaisesRegex(UserError, "Nothing left to return"):
            self.delivery.with_user(self.clerk).action_create_return_order()

    def test_delivery_tells_its_two_return_buttons_apart(self):
        """A done delivery shows Odoo's Return and our Return Order side by side, each saying what it does."""
        arch = etree.fromstring(self.env["stock.picking"].with_user(self.clerk).get_views(
            [(False, "form")])["views"]["form"]["arch"])
        odoo_action = self.env.ref("stock.act_stock_return_picking").id
        [odoo_return] = arch.xpath(f"//header/button[@name='{odoo_action}']")
        ours = odoo_return.getnext()
        self.assertEqual((ours.get("name"), ours.get("string")), ("action_create_return_order", "Return Order"))
        self.assertIn("return transfer only", odoo_return.get("help"))
        self.assertIn("no return order", odoo_return.get("help"))
        self.assertIn("credit note", ours.get("help"))
        self.assertIn("return policy", ours.get("help"))

    def test_nothing_asked_or_too_much_saves_nothing(self):
        before = self.env["return.order"].search_count([])
        wizard = self._open_wizard(self.sale)
        with self.assertRaisesRegex(UserError, "Choose at least one product"):
            wizard.action_create_return()
        wizard.line_ids[0].quantity = 5  # 4 delivered
        with self.assertRaisesRegex(ValidationError, "only 4.0 can still be returned"):
            wizard.action_create_return()
        wizard.line_ids[0].quantity = -1
        with self.assertRaisesRegex(UserError, "cannot be negative"):
            wizard._set_quantities({wizard.line_ids[0]: -1.0})
        self.assertEqual(self.env["return.order"].search_count([]), before)

    def test_two_wizards_cannot_both_take_the_last_units(self):
        first, second = self._open_wizard(self.sale), self._open_wizard(self.sale)
        first.action_create_return_all()
        # The second wizard still shows what was returnable when it opened; saving checks again.
        with self.assertRaisesRegex(ValidationError, "only 0.0 can still be returned"):
            second.action_create_return_all()

    def test_from_portal_goes_through_the_wizard(self):
        returns = self.env["return.order"].sudo()
        candidates = returns._get_portal_candidates(self.sale)
        machine = next(c for c in candidates if c["product"] == self.product)
        ret = returns._create_from_portal(self.sale, {machine["key"]: 2.0}, self.reason_unwanted)
        self.assertEqual(ret.line_ids.product_id, self.product)
        self.assertEqual(ret.line_ids.product_uom_qty, 2.0)
        self.assertEqual(ret.line_ids.reason_id, self.reason_unwanted)
        self.assertEqual(self._returnable(self._open_wizard(self.sale)), {self.product: 2.0, self.product_lot: 6.0})
