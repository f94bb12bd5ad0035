from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestClientOwnership(ThirdPartyLogisticsCommon):

    def _books(self):
        """What the 3PL's books hold: valuation layers and journal items made from stock moves."""
        svl = self.env["stock.valuation.layer"].search_count([("company_id", "=", self.company.id)])
        amls = self.env["account.move.line"].search_count([
            ("company_id", "=", self.company.id), ("move_id.stock_move_id", "!=", False)])
        return svl, amls

    def test_receipt_in_client_ownership_books_nothing(self):
        books = self._books()
        ret = self._client_return(self.brand_a, self.shopper_a, 3)
        self.assertEqual(ret.resolution, "none", "a client's return credits no one here")
        receipt = ret.receipt_ids
        self.assertEqual(receipt.owner_id, self.brand_a)
        self.assertEqual(receipt.move_ids.restrict_partner_id, self.brand_a)
        self.assertEqual(receipt.move_ids.move_line_ids.owner_id, self.brand_a,
                         "the move lines name the owner before anything is received")
        self._receive(receipt.with_user(self.clerk))
        self.assertEqual(ret.state, "done", "received, and nothing to credit: the return is closed")
        self.assertEqual(receipt.move_ids.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_a), 3)
        self.assertEqual(self._owned_qty(self.product, self.triage_location), 0, "none of it is the 3PL's")
        self.assertFalse(receipt.move_ids.stock_valuation_layer_ids)
        self.assertEqual(self._books(), books, "no valuation layer nor journal item for the brand's goods")
        self.assertFalse(ret.sudo().credit_note_ids)

    def test_dispositions_keep_the_owner(self):
        books = self._books()
        ret = self._client_return(self.brand_a, self.shopper_a, 6)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        restock = self._grade_as_clerk(ret, self.grade_a, 2, self.restock)
        scrap = self._grade_as_clerk(ret, self.grade_d, 1, self.dispose)
        repack = self._grade_as_clerk(ret, self.grade_a, 1, self.repackage)
        back = self._grade_as_clerk(ret, self.grade_d, 2, self.rtv)
        (restock | scrap | repack | back).action_dispose()
        # Restocked into the brand's stock: the 3PL's own and the other brand's stock do not move.
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_a), 6 + 2)
        self.assertEqual(self._owned_qty(self.product, self.stock_location), 10)
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_b), 4)
        self.assertEqual(restock.move_ids.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(restock.move_ids.picking_id.owner_id, self.brand_a)
        # Scrapped as the brand's units.
        self.assertEqual(scrap.scrap_ids.owner_id, self.brand_a)
        self.assertEqual(scrap.scrap_ids.move_ids.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(scrap.state, "done")
        # Repackaged and back to stock, the brand's all the way.
        repack_location = self.warehouse.repackage_location_id
        self.assertEqual(self._owned_qty(self.product, repack_location, self.brand_a), 1)
        repack.with_user(self.clerk).action_repackaging_done()
        self.assertEqual(self._owned_qty(self.product, repack_location, self.brand_a), 0)
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_a), 6 + 2 + 1)
        # "Return to vendor" sends the brand's units back to the brand, with no vendor credit note.
        self.assertEqual(back.state, "done")
        self.assertFalse(back.sudo().vendor_credit_note_id)
        self.assertEqual(back.move_ids.picking_id.partner_id, self.brand_a)
        self.assertEqual(back.move_ids.picking_id.picking_type_id, self.warehouse.out_type_id)
        self.assertEqual(back.move_ids.move_line_ids.owner_id, self.brand_a)
        self.assertEqual(back.recovery_value, 0.0)
        # Triage is empty of the brand's units and never went below zero for anybody.
        for owner in (None, self.brand_a, self.brand_b):
            self.assertEqual(self._owned_qty(self.product, self.triage_location, owner), 0)
        self.assertEqual(self._books(), books, "no valuation layer nor journal item for the brand's goods")
        self.assertEqual(ret.disposition_status, "processed")

    def test_company_and_client_units_side_by_side(self):
        """A company return and a brand's return of the same product wait in triage together: each one's
        disposition moves its owner's units only."""
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        own = self._new_return(sale, qty=2)
        own.action_submit()
        self._receive(own.receipt_ids)
        self.assertEqual(self._owned_qty(self.product, self.triage_location), 2)
        self.assertTrue(own.receipt_ids.move_ids.stock_valuation_layer_ids, "the company's units are valued")
        ret = self._client_return(self.brand_b, self.shopper_b, 1)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(self._owned_qty(self.product, self.triage_location, self.brand_b), 1)
        books = self._books()
        self._grade_as_clerk(ret, self.grade_a, 1, self.restock).action_dispose()
        self.assertEqual(self._owned_qty(self.product, self.triage_location), 2, "the company's units stay")
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_b), 4 + 1)
        self.assertEqual(self._books(), books)
        # The company's return is graded and restocked as before, as the company's.
        grading = self.env["return.grading"].browse(
            self.station.grade(own.line_ids.id, self.grade_a.id, 2)["grading_id"])
        grading.disposition_id = self.restock
        grading.action_dispose()
        self.assertFalse(grading.move_ids.move_line_ids.owner_id)
        self.assertEqual(self._owned_qty(self.product, self.triage_location), 0)

    def test_client_units_not_made_of_the_company_units(self):
        """Triage holding the company's units but not the brand's refuses the brand's disposition, before
        anything moves."""
        ret = self._client_return(self.brand_a, self.shopper_a, 2)
        self._receive(ret.receipt_ids.with_user(self.clerk))
        grading = self._grade_as_clerk(ret, self.grade_a, 2, self.restock)
        # The brand's units left triage by an adjustment; the company's units came in.
        self.env["stock.quant"].search([
            ("product_id", "=", self.product.id), ("location_id", "=", self.triage_location.id),
            ("owner_id", "=", self.brand_a.id)]).with_context(inventory_mode=True).write({"inventory_quantity": 0})
        self.env["stock.quant"].search([
            ("product_id", "=", self.product.id), ("location_id", "=", self.triage_location.id),
            ("owner_id", "=", self.brand_a.id)]).action_apply_inventory()
        self._stock_in(self.product, 2, location=self.triage_location)
        with self.assertRaisesRegex(UserError, "clients' units"):
            grading.action_dispose()
        self.assertEqual(grading.state, "graded")
        self.assertEqual(self._owned_qty(self.product, self.triage_location), 2)

    def test_no_credit_note_for_client_returns(self):
        with self.assertRaisesRegex(ValidationError, "brand refunds its own customer"):
            self.env["return.order"].with_user(self.clerk).create({
                "partner_id": self.shopper_a.id, "client_id": self.brand_a.id, "resolution": "refund",
                "warehouse_id": self.warehouse.id})
        for resolution in ("refund", "store_credit", "exchange"):
            ret = self._client_return(self.brand_a, self.shopper_a, 1)
            with self.assertRaisesRegex(ValidationError, "brand refunds its own customer"):
                ret.resolution = resolution
            self.assertEqual(ret.resolution, "none")

    def test_client_fixed_once_submitted(self):
        ret = self._client_return(self.brand_a, self.shopper_a, 1)
        with self.assertRaisesRegex(UserError, "client_id|Client"):
            ret.client_id = self.brand_b
        self.assertEqual(ret.client_id, self.brand_a)
        self.assertEqual(ret.receipt_ids.owner_id, self.brand_a)
