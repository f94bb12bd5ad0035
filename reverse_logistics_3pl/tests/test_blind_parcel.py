import math

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestBlindParcel(ThirdPartyLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The brands this 3PL serves (a fee schedule each): only those announce returns of their own.
        cls.env["return.client.fee"].create([
            {"client_id": brand.id, "kind": "received", "amount": 1.0} for brand in (cls.brand_a, cls.brand_b)])

    def _call(self, user, method, args, context=None, model="return.order", ids=None):
        """Called as JSON-RPC calls it (`/web/dataset/call_kw`), with the context the client sends."""
        env = api.Environment(self.env.cr, user.id, context or {})
        return api.call_kw(env[model], method, [ids, *args] if ids else list(args), {})

    def _blind(self, user=None, client=None, lines=None, ref=None, context=None):
        vals = {"client_id": (client or self.brand_a).id,
                "lines": lines or [{"product": "ESP-100", "qty": 2}]}
        if ref:
            vals["client_ref"] = ref
        result = self._call(user or self.clerk, "action_receive_blind_parcel", [vals], context=context)
        return self.env["return.order"].browse(result["id"])

    def _announce(self, user, client, ref, lines):
        return self._call(user, "action_announce_client_return", [{
            "client_id": client.id, "client_ref": ref, "lines": lines,
            "customer": {"name": "Dora Shopper", "email": "dora@example.com"}}])

    def _blind_list(self, user=None):
        return self.env["return.order"].with_user(user or self.clerk).search([("blind_unmatched", "=", True)])

    def test_blind_parcel_received_as_the_brands_then_matched_by_announcement(self):
        triage_a = self._owned_qty(self.product, self.triage_location, self.brand_a)
        own_valuation = self.env["stock.valuation.layer"].search_count([])
        parcel = self._blind()
        self.assertTrue(parcel.is_blind_parcel and parcel.blind_unmatched)
        self.assertTrue(parcel.date_received, "received at once: the parcel is on the dock")
        self.assertEqual(parcel.receipt_ids.state, "done")
        self.assertEqual((parcel.client_id, parcel.partner_id, parcel.resolution), (self.brand_a, self.brand_a, "none"))
        self.assertEqual(parcel.receipt_ids.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), triage_a + 2)
        self.assertEqual(self.env["stock.valuation.layer"].search_count([]), own_valuation, "the brand's goods")
        self.assertIn(parcel, self._blind_list())
        self.assertEqual(parcel.blind_age_days, 0)
        # The brand announces it later: the parcel takes the reference and customer, nothing is received twice.
        result = self._announce(self.portal_a, self.brand_a, "SHOP-2001", [{"product": "ESP-100", "qty": 2}])
        self.assertEqual((result["id"], result.get("matched")), (parcel.id, True))
        self.assertEqual(parcel.client_ref, "SHOP-2001")
        self.assertEqual(parcel.partner_id.email, "dora@example.com")
        self.assertEqual(parcel.partner_id.shopper_of_client_id, self.brand_a)
        self.assertTrue(parcel.date_blind_matched)
        self.assertFalse(parcel.blind_unmatched)
        self.assertNotIn(parcel, self._blind_list())
        self.assertEqual(len(parcel.receipt_ids), 1)
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), triage_a + 2)
        self.assertEqual(self.env["return.order"].search_count([("client_ref", "=", "SHOP-2001")]), 1)
        self.assertEqual(self.env["stock.valuation.layer"].search_count([]), own_valuation)

    def test_matched_by_slip_reference_and_by_serial(self):
        by_ref = self._blind(ref="SHOP-3001", lines=[{"product": "ESP-100", "qty": 1}])
        by_serial = self._blind(lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-A-1"}])
        self.assertEqual(self._owned_qty(self.product_serial, self.triage_location, self.brand_a), 1)
        # The reference on the slip wins, even with other lines announced.
        result = self._announce(self.clerk, self.brand_a, "SHOP-3001", [{"product": "ESP-100", "qty": 3}])
        self.assertEqual(result["id"], by_ref.id)
        result = self._announce(self.portal_a, self.brand_a, "SHOP-3002",
                                [{"product": "4006381333931", "qty": 1, "lot": "SN-A-1"}])
        self.assertEqual(result["id"], by_serial.id)
        self.assertEqual(by_serial.client_ref, "SHOP-3002")
        self.assertEqual(self._owned_qty(self.product_serial, self.triage_location, self.brand_a), 1)
        self.assertFalse(self._blind_list())

    def test_other_brand_never_takes_the_parcel(self):
        parcel = self._blind(lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-A-9"}], ref="SHOP-A-9")
        # Brand B announces the serial (and even the reference) of brand A's parcel: its own return, not A's.
        result = self._announce(self.portal_b, self.brand_b, "SHOP-A-9",
                                [{"product": "4006381333931", "qty": 1, "lot": "SN-A-9"}])
        self.assertNotEqual(result["id"], parcel.id)
        self.assertFalse(result.get("matched"))
        self.assertTrue(parcel.blind_unmatched)
        self.assertEqual((parcel.client_ref, parcel.partner_id), ("SHOP-A-9", self.brand_a))
        theirs = self.env["return.order"].browse(result["id"])
        self.assertEqual(theirs.client_id, self.brand_b)
        # The clerk cannot match A's parcel to B's announcement: the owner differs.
        with self.assertRaisesRegex(UserError, "matched only to its owner's announcement"):
            self._call(self.clerk, "action_match_announced_return", [theirs.id], ids=parcel.ids)
        self.assertTrue(parcel.blind_unmatched)
        self.assertEqual(theirs.state, "approved" if theirs.state == "approved" else theirs.state)
        self.assertNotEqual(theirs.state, "cancel")
        # Brand B reads neither A's parcel nor its place in the unmatched list.
        self.assertFalse(self.env["return.order"].with_user(self.portal_b).search([("id", "=", parcel.id)]))
        with self.assertRaises(AccessError):
            parcel.with_user(self.portal_b).read(["name"])

    def test_clerk_matches_an_announced_return(self):
        parcel = self._blind(lines=[{"product": "ESP-100", "qty": 1}])
        announced = self.env["return.order"].browse(self._announce(
            self.portal_a, self.brand_a, "SHOP-4001", [{"product": "ESP-100", "qty": 5}])["id"])
        self.assertNotEqual(announced, parcel, "other quantities: not found by itself")
        self.assertTrue(parcel.blind_unmatched)
        triage_a = self._owned_qty(self.product, self.triage_location, self.brand_a)
        self._call(self.clerk, "action_match_announced_return", [announced.id], ids=parcel.ids)
        self.assertEqual(announced.state, "cancel")
        self.assertFalse(announced.client_ref)
        self.assertTrue(all(p.state == "cancel" for p in announced.receipt_ids))
        self.assertEqual((parcel.client_ref, parcel.partner_id.email), ("SHOP-4001", "dora@example.com"))
        self.assertFalse(parcel.blind_unmatched)
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), triage_a)
        # Matched once: again is refused.
        with self.assertRaisesRegex(UserError, "no unmatched blind parcel"):
            self._call(self.clerk, "action_match_announced_return", [announced.id], ids=parcel.ids)

    def test_attackers_refused(self):
        before = self.env["return.order"].search_count([])
        # A brand's portal user receives nothing into stock, nor does a stock user outside the returns team
        # (a Returns User is a stock user).
        inventory_user = new_test_user(self.env, "tpl_inventory_b", groups="stock.group_stock_user",
                                       company_id=self.company.id, company_ids=self.company.ids)
        for user in (self.portal_a, inventory_user):
            with self.assertRaisesRegex(AccessError, "warehouse staff receive blind parcels"):
                self._blind(user=user)
        # Bad values: nothing created.
        for lines, message in (([{"product": "ESP-100", "qty": math.nan}], "not a valid number"),
                               ([{"product": "ESP-100", "qty": 1e300}], "not a valid number|too large|at most"),
                               ([{"product": "ESP-100", "qty": -1}], "must be positive"),
                               ([{"product": "NOPE", "qty": 1}], "names no product")):
            with self.assertRaisesRegex(UserError, message):
                self._blind(lines=lines)
        with self.assertRaisesRegex(UserError, "is no partner of"):
            self._blind(client=self.env["res.partner"].browse(999999))
        # A forged context neither changes the owner nor skips the checks.
        forged = {"default_client_id": self.brand_b.id, "default_is_blind_parcel": False,
                  "default_resolution": "refund", "default_state": "done"}
        self.assertEqual(self.env["return.order"].search_count([]), before)
        parcel = self._blind(context=forged)
        self.assertEqual((parcel.client_id, parcel.resolution), (self.brand_a, "none"))
        self.assertEqual(parcel.receipt_ids.move_line_ids.owner_id, self.brand_a)
        self.assertTrue(parcel.blind_unmatched)
        with self.assertRaisesRegex(AccessError, "warehouse staff"):
            self._blind(user=self.portal_a, context={"su": True, "uid": self.clerk.id})
        # Users never write the matching themselves.
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            parcel.with_user(self.manager).write({"date_blind_matched": "2026-01-01 00:00:00"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            parcel.with_user(self.clerk).write({"is_blind_parcel": False})
        # Matching: a portal user, an id of nothing, a forged id type.
        announced = self.env["return.order"].browse(self._announce(
            self.portal_a, self.brand_a, "SHOP-5001", [{"product": "ESP-100", "qty": 4}])["id"])
        with self.assertRaises(AccessError):
            self._call(self.portal_a, "action_match_announced_return", [announced.id], ids=parcel.ids)
        with self.assertRaisesRegex(UserError, "does not exist"):
            self._call(self.clerk, "action_match_announced_return", [999999], ids=parcel.ids)
        with self.assertRaisesRegex(UserError, "not a valid record"):
            self._call(self.clerk, "action_match_announced_return", [str(announced.id)], ids=parcel.ids)
        # A parcel never takes over another parcel, nor a return already received.
        other_parcel = self._blind(lines=[{"product": "ESP-100", "qty": 3}])
        with self.assertRaisesRegex(UserError, "no announced return waiting"):
            self._call(self.clerk, "action_match_announced_return", [other_parcel.id], ids=parcel.ids)
        self.assertTrue(parcel.blind_unmatched and other_parcel.blind_unmatched)
        self.assertNotEqual(announced.state, "cancel")

    def test_clerk_forms_receive_and_match(self):
        """The clerk's screens: Receive a Blind Parcel, then Match Announcement on the parcel."""
        triage_a = self._owned_qty(self.product, self.triage_location, self.brand_a)
        form = Form(self.env["return.blind.parcel.receive"].with_user(self.clerk))
        form.client_id = self.brand_a
        with form.line_ids.new() as line:
            line.product_id = self.product
            line.qty = 3
        action = form.save().action_receive()
        parcel = self.env["return.order"].browse(action["res_id"])
        self.assertTrue(parcel.blind_unmatched)
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), triage_a + 3)
        with self.assertRaisesRegex(UserError, "at least one product"):
            self.env["return.blind.parcel.receive"].with_user(self.clerk).create(
                {"client_id": self.brand_a.id}).action_receive()
        announced = self.env["return.order"].browse(self._announce(
            self.clerk, self.brand_a, "SHOP-6001", [{"product": "ESP-100", "qty": 1}])["id"])
        match = Form(self.env["return.blind.parcel.match"].with_user(self.clerk).with_context(
            default_parcel_id=parcel.id))
        match.announced_id = announced
        match.save().action_match()
        self.assertEqual((parcel.client_ref, announced.state), ("SHOP-6001", "cancel"))
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), triage_a + 3)
        # The form never lets another brand's announcement take the parcel either.
        other = self._blind(lines=[{"product": "ESP-100", "qty": 7}])
        theirs = self.env["return.order"].browse(self._announce(
            self.portal_b, self.brand_b, "SHOP-B-6002", [{"product": "ESP-100", "qty": 1}])["id"])
        wizard = self.env["return.blind.parcel.match"].with_user(self.clerk).create(
            {"parcel_id": other.id, "announced_id": theirs.id})
        with self.assertRaisesRegex(UserError, "matched only to its owner's announcement"):
            wizard.action_match()
        self.assertTrue(other.blind_unmatched)

    def test_parcel_received_whatever_the_policy_says(self):
        """The policy's returnability never keeps a brand's parcel off the dock; announced, it still applies."""
        self.policy.non_returnable_product_ids = self.product.product_tmpl_id
        announced = self.env["return.order"].browse(self._announce(
            self.clerk, self.brand_a, "SHOP-7777", [{"product": "ESP-100", "qty": 5}])["id"])
        self.assertEqual(announced.state, "draft")
        self.assertIn("cannot be returned under the policy", announced.policy_problems)
        parcel = self._blind(lines=[{"product": "ESP-100", "qty": 1}])
        self.assertTrue(parcel.date_received)
        self.assertEqual(parcel.receipt_ids.move_line_ids.owner_id, self.brand_a)

    def test_serial_of_another_brands_parcel(self):
        self._blind(lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-A-50"}])
        before = self.env["return.order"].search_count([])
        with self.assertRaisesRegex(UserError, "SN-A-50"):
            self._blind(client=self.brand_b, lines=[{"product": "4006381333931", "qty": 1, "lot": "SN-A-50"}])
        self.assertEqual(self.env["return.order"].search_count([]), before)
        self.assertEqual(self._owned_qty(self.product_serial, self.triage_location, self.brand_b), 0)
        parcel = self._blind(lines=[{"product": "ESP-100", "qty": 1}])
        with self.assertRaises(AccessError):
            self._call(self.portal_b, "action_match_announced_return", [parcel.id], ids=parcel.ids)
