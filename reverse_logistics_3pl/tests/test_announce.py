import math

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestAnnounceClientReturn(ThirdPartyLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The brands this 3PL serves (a fee schedule each): only those announce returns of their own.
        cls.env["return.client.fee"].create([
            {"client_id": brand.id, "kind": "received", "amount": 1.0} for brand in (cls.brand_a, cls.brand_b)])

    def _vals(self, client=None, ref="SHOP-1001", **overrides):
        vals = {
            "client_id": (client or self.brand_a).id, "client_ref": ref,
            "customer": {"name": "Carla Shopper", "email": "carla@example.com"},
            "lines": [{"product": "ESP-100", "qty": 2, "price": 80.0}],
        }
        vals.update(overrides)
        return vals

    def _announce(self, user, vals, context=None):
        """Called as JSON-RPC calls it (`/web/dataset/call_kw`), with the context the client sends."""
        env = api.Environment(self.env.cr, user.id, context or {})
        return api.call_kw(env["return.order"], "action_announce_client_return", [vals], {})

    def _returns(self):
        return self.env["return.order"].search_count([("client_id", "!=", False)])

    def test_brand_announces_its_return(self):
        result = self._announce(self.portal_a, self._vals())
        ret = self.env["return.order"].browse(result["id"])
        self.assertEqual(result["name"], ret.name)
        self.assertEqual((ret.client_id, ret.client_ref, ret.resolution), (self.brand_a, "SHOP-1001", "none"))
        self.assertEqual(ret.partner_id.shopper_of_client_id, self.brand_a, "the brand's shopper")
        self.assertFalse(ret.partner_id.parent_id, "never a contact of the brand: given portal access, he would be it")
        self.assertEqual(ret.partner_id.email, "carla@example.com")
        self.assertEqual((ret.line_ids.product_id, ret.line_ids.product_uom_qty, ret.line_ids.price_unit),
                         (self.product, 2.0, 80.0))
        self.assertTrue(ret.date_submitted, "announced means submitted")
        if ret.state == "draft":  # a value typed by the brand: a Returns Manager approves it
            ret.with_user(self.manager).action_approve()
        self.assertEqual(ret.receipt_ids.owner_id, self.brand_a)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), 2)
        # The brand reads its return; the same customer announced again is the same contact.
        self.assertEqual(self.env["return.order"].with_user(self.portal_a).search([]), ret)
        again = self.env["return.order"].browse(self._announce(self.portal_a, self._vals(ref="SHOP-1002"))["id"])
        self.assertEqual(again.partner_id, ret.partner_id)

    def test_clerk_announces_serials_for_a_brand(self):
        vals = self._vals(self.brand_b, lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-B-77"}])
        ret = self.env["return.order"].browse(self._announce(self.clerk, vals)["id"])
        self.assertEqual(ret.client_id, self.brand_b)
        self.assertEqual((ret.line_ids.product_id, ret.line_ids.lot_id.name), (self.product_serial, "SN-B-77"))
        self.assertEqual(ret.line_ids.lot_id.company_id, self.company)

    def test_another_brands_goods_refused(self):
        before = self._returns()
        for client_id in (self.brand_b.id, self.shopper_a.id, 999999):
            with self.assertRaisesRegex(AccessError, "Only the returns team or the brand itself"):
                self._announce(self.portal_a, dict(self._vals(), client_id=client_id))
        # Neither the 3PL's stock users without the returns group nor a brand's contact of another brand.
        inventory_user = new_test_user(self.env, "tpl_inventory", groups="stock.group_stock_user",
                                       company_id=self.company.id, company_ids=self.company.ids)
        with self.assertRaises(AccessError):
            self._announce(inventory_user, self._vals())
        with self.assertRaises(AccessError):
            self._announce(self.portal_b, self._vals(self.brand_a))
        self.assertEqual(self._returns(), before)
        # The brand never reads another brand's returns, even one it tried to guess.
        theirs = self.env["return.order"].browse(self._announce(self.portal_b, self._vals(self.brand_b))["id"])
        self.assertFalse(self.env["return.order"].with_user(self.portal_a).search([("id", "=", theirs.id)]))
        with self.assertRaises(AccessError):
            theirs.with_user(self.portal_a).read(["name"])

    def test_forged_context_changes_nothing(self):
        other_company = self.env["res.company"].create({"name": "Another 3PL"})
        forged = {"default_state": "done", "default_resolution": "refund", "default_client_id": self.brand_b.id,
                  "default_company_id": other_company.id, "default_date_submitted": False,
                  "default_user_id": self.portal_a.id, "default_policy_override": True}
        with self.assertRaisesRegex(AccessError, "unauthorized or invalid companies"):
            self._announce(self.portal_a, self._vals(), context={"allowed_company_ids": [other_company.id]})
        ret = self.env["return.order"].browse(self._announce(self.portal_a, self._vals(), context=forged)["id"])
        self.assertIn(ret.state, ("draft", "approved"))
        self.assertEqual((ret.client_id, ret.resolution, ret.company_id), (self.brand_a, "none", self.company))
        self.assertFalse(ret.policy_override)
        self.assertNotEqual(ret.user_id, self.portal_a)

    def test_bad_input_refused_nothing_created(self):
        before = self._returns()
        lots = self.env["stock.lot"].search_count([])
        bad_lines = {
            "not a valid number": [{"product": "ESP-100", "qty": math.nan}],
            "not a valid number ": [{"product": "ESP-100", "qty": math.inf}],
            "not a valid number  ": [{"product": "ESP-100", "qty": "2"}],
            "must be positive": [{"product": "ESP-100", "qty": 0}],
            "never negative": [{"product": "ESP-100", "qty": 1, "price": -5.0}],
            "names no product": [{"product": "NOPE-1", "qty": 1}],
            "names its product": [{"qty": 1}],
            "one unit per serial": [{"product": "4006381333931", "qty": 2, "lot": "SN-X"}],
            "tracked by no lot": [{"product": "ESP-100", "qty": 1, "lot": "L1"}],
            "needs lines": [],
        }
        for message, lines in bad_lines.items():
            with self.assertRaisesRegex(UserError, message.strip()):
                # A good serial line first: nothing of it may stay when a later line is refused.
                self._announce(self.clerk, self._vals(lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-OK"},
                                                           *lines] if lines else []))
        with self.assertRaisesRegex(UserError, "order reference"):
            self._announce(self.clerk, self._vals(ref="  "))
        with self.assertRaisesRegex(UserError, "names its customer"):
            self._announce(self.clerk, self._vals(customer={"email": "x@example.com"}))
        with self.assertRaisesRegex(UserError, "not an e-mail address"):
            self._announce(self.clerk, self._vals(customer={"name": "X", "email": "nope"}))
        with self.assertRaisesRegex(UserError, "not a valid record"):
            self._announce(self.clerk, self._vals(client_id="1"))
        self.assertEqual(self._returns(), before)
        self.assertEqual(self.env["stock.lot"].search_count([]), lots)
        # The same order of the same brand is announced once.
        first = self._announce(self.clerk, self._vals())
        with self.assertRaisesRegex(UserError, first["name"]):
            self._announce(self.portal_a, self._vals())

    def test_a_customers_own_company_is_no_brand(self):
        """Found by the sixth attack round: any portal customer announced 'client' returns for herself."""
        customer = new_test_user(self.env, "tpl_plain_customer", groups="base.group_portal",
                                 company_id=self.company.id, company_ids=self.company.ids)
        before = self._returns()
        for client in (customer.partner_id, customer.partner_id.commercial_partner_id):
            with self.assertRaisesRegex(AccessError, "Only the returns team or the brand itself"):
                self._announce(customer, self._vals(client))
        self.assertEqual(self._returns(), before)

    def test_nul_and_huge_texts_refused(self):
        """Found by round 6b: a NUL in a text gave a server error, a 1 MB reference a database error."""
        before = self._returns()
        for overrides in ({"client_ref": "SHOP\x00"}, {"client_ref": "R" * 1000000}, {"note": "a\x00b"},
                          {"customer": {"name": "Carla", "email": "carla\x00@example.com"}},
                          {"customer": {"name": "Carla", "email": "c" * 300 + "@example.com"}},
                          {"lines": [{"product": "ESP-100\x00", "qty": 1}]},
                          {"lines": [{"product": "4006381333931", "qty": 1, "lot": "SN\x00"}]},
                          {"lines": [{"product": "4006381333931", "qty": 1, "lot": "S" * 500}]}):
            with self.assertRaises(UserError, msg=str(overrides)[:80]):
                self._announce(self.portal_a, self._vals(**overrides))
        self.assertEqual(self._returns(), before)
        with self.assertRaises(UserError):
            self.env["return.order"].with_user(self.clerk).action_receive_blind_parcel({
                "client_id": self.brand_a.id, "client_ref": "X\x00", "lines": [{"product": "ESP-100", "qty": 1}]})

    def test_the_brands_announced_lines_stay_as_announced(self):
        """Found by round 6c: the clerk lowered an announced unit price under the brand's approval value."""
        ret = self.env["return.order"].browse(self._announce(self.portal_a, self._vals())["id"])
        self.assertTrue(ret.is_client_announced)
        line = ret.line_ids.with_user(self.clerk)
        for vals in ({"price_unit": 0.01}, {"product_uom_qty": 1}, {"discount": 99.0}):
            with self.assertRaises(UserError, msg=vals):
                line.write(vals)
        with self.assertRaises(UserError):
            self.env["return.order.line"].with_user(self.clerk).create({
                "order_id": ret.id, "product_id": self.product.id, "product_uom_qty": 1, "price_unit": 0.01})
        if ret.state == "draft":
            with self.assertRaises(UserError):
                line.unlink()
        with self.assertRaises(UserError):
            ret.with_user(self.clerk).write({"is_client_announced": False})
        self.assertEqual((ret.line_ids.price_unit, ret.line_ids.product_uom_qty), (80.0, 2.0))

    def test_announced_lines_neither_moved_nor_deleted_and_staff_announce_their_own(self):
        """Found by round 6d: lines moved out to a draft of the staff's, the announcement deleted, and the
        staff's own announcements marked as the brand's."""
        ret = self.env["return.order"].browse(self._announce(self.portal_a, self._vals())["id"])
        own = self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.shopper_a.id, "client_id": self.brand_a.id, "warehouse_id": self.warehouse.id})
        own_line = self.env["return.order.line"].with_user(self.clerk).create({
            "order_id": own.id, "product_id": self.product.id, "product_uom_qty": 1, "price_unit": 0.01})
        with self.assertRaises(UserError):
            ret.line_ids.with_user(self.clerk).write({"order_id": own.id})
        with self.assertRaises(UserError):
            own_line.write({"order_id": ret.id})
        for user in (self.clerk, self.manager):
            with self.assertRaisesRegex(UserError, "cancel them instead"):
                ret.with_user(user).unlink()
        self.assertTrue(ret.exists())
        # The 3PL announcing for the brand types its own values: not the brand's facts.
        staff = self.env["return.order"].browse(self._announce(self.clerk, self._vals(ref="SHOP-STAFF"))["id"])
        self.assertFalse(staff.is_client_announced)
