from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import float_round

from .credit_common import CreditCommon


def r2(amount):
    return float_round(amount, precision_digits=2)


@tagged("post_install", "-at_install")
class TestCreditSerials(CreditCommon):
    """Under the shipped policy (lot match off) a returned serial must still be the customer's: delivered
    to them, not back since, not on the company's shelf; else nothing is received nor credited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.write({"restocking_fee_percent": 0.0, "lot_match_required": False})
        # What each customer received, in that order so that each delivery takes the serials named.
        cls._stock_in(cls.product_serial, 1, "SN-OWN-1")
        cls._stock_in(cls.product_serial, 1, "SN-OWN-2")
        cls.sale = cls._order([(cls.product_serial, 2, 150.0, 0.0, cls.tax)])
        cls._deliver_all(cls.sale)
        cls.invoice = cls.sale._create_invoices()
        cls.invoice.action_post()
        cls._stock_in(cls.product_serial, 1, "SN-OTHER")
        cls.other_sale = cls._order([(cls.product_serial, 1, 150.0, 0.0, cls.tax)], partner=cls.partner_b)
        cls._deliver_all(cls.other_sale)
        cls.shelf = cls._stock_in(cls.product_serial, 1, "SN-SHELF")
        lots = cls.env["stock.lot"].search([("product_id", "=", cls.product_serial.id)])
        cls.serial = {lot.name: lot for lot in lots}

    @classmethod
    def _deliver_all(cls, order):
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()

    def _return_of(self, serial_name):
        """The clerk's return of one delivered serial of the sale (its line)."""
        ret = self._return_as(self.clerk, self.sale)
        for line in ret.line_ids:
            if line.lot_id != self.serial[serial_name]:
                line.unlink()
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        return ret

    def _assert_refused(self, ret, scanned, regex):
        receipt = ret.receipt_ids.with_user(self.clerk)
        receipt.move_line_ids.lot_id = scanned
        on_hand = self._quant_qty(self.product_serial, self.stock_location)
        with self.assertRaisesRegex(UserError, regex):
            self._receive(receipt)
        self.assertEqual(receipt.state, "assigned", "nothing received")
        self.assertEqual(self._quant_qty(self.product_serial, self.triage_location), 0)
        self.assertEqual(self._quant_qty(self.product_serial, self.stock_location), on_hand)
        self.assertFalse(ret.sudo().credit_note_ids, "nothing credited")
        self.assertEqual(ret.line_ids.qty_received, 0)

    def test_serial_on_the_shelf_is_refused(self):
        ret = self._return_of("SN-OWN-1")
        self._assert_refused(ret, self.shelf, r"SN-SHELF.*is in stock")

    def test_serial_delivered_to_another_customer_is_refused(self):
        ret = self._return_of("SN-OWN-1")
        self._assert_refused(ret, self.serial["SN-OTHER"], r"SN-OTHER.*was not delivered to")

    def test_serial_back_already_is_refused(self):
        first = self._return_of("SN-OWN-1")
        self._receive(first.receipt_ids.with_user(self.clerk))
        # Scrapped from triage since: no longer in stock, but it came back once already.
        scrap = self.env["stock.scrap"].create({
            "product_id": self.product_serial.id, "lot_id": self.serial["SN-OWN-1"].id, "scrap_qty": 1,
            "location_id": self.triage_location.id, "company_id": self.company.id,
        })
        scrap.action_validate()
        second = self._return_of("SN-OWN-2")
        self._assert_refused(second, self.serial["SN-OWN-1"], r"SN-OWN-1.*already came back")

    def test_serial_never_delivered_is_refused(self):
        ret = self._return_of("SN-OWN-1")
        receipt = ret.receipt_ids.with_user(self.clerk)
        receipt.move_line_ids.write({"lot_id": False, "lot_name": "SN-NEW"})
        with self.assertRaisesRegex(UserError, r"SN-NEW.*never delivered"):
            self._receive(receipt)
        self.assertFalse(self.env["stock.lot"].search([("name", "=", "SN-NEW")]), "no serial created")
        self.assertFalse(ret.sudo().credit_note_ids)

    def test_delivered_serial_is_received_and_credited(self):
        ret = self._return_of("SN-OWN-2")
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(self._quant_qty(self.product_serial, self.triage_location, self.serial["SN-OWN-2"]), 1)
        note = ret.sudo().credit_note_ids
        self.assertAlmostEqual(note.amount_total, r2(150 * 1.15))
        self.assertAlmostEqual(self.invoice.amount_residual, r2(300 * 1.15) - r2(150 * 1.15))

    def test_announced_serial_on_the_shelf_stops_the_approval(self):
        ret = self._return_as(self.clerk, self.sale, qty=1)
        ret.line_ids.lot_id = self.shelf
        self.assertIn("SN-SHELF", ret.line_ids.policy_problems)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "a manager must look at it")
        with self.assertRaisesRegex(UserError, "SN-SHELF"):
            ret.with_user(self.returns_manager).action_approve()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.sudo().receipt_ids)
