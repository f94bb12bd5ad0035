from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CASE_PRICE, CASES_PER_PALLET, DEPOSIT, TAX, AssetsCommon


@tagged("post_install", "-at_install")
class TestAssetReturnPaths(AssetsCommon):
    """One source of truth for assets coming back, whichever Odoo flow brings them: counted once,
    refunded once; what exceeds the balance waits for the Returnable Assets Manager."""

    def _pallet_line(self, order):
        return order.order_line.filtered("is_returnable_asset")

    def test_odoo_return_updating_the_sale_then_refund_deposits_then_next_invoice(self):
        # 120 cases on 3 pallets; 80 cases and 2 pallets shipped and invoiced first.
        order = self._order_water(3 * CASES_PER_PALLET)
        delivery = self._ship(order, {self.water: 2 * CASES_PER_PALLET, self.pallet: 2})
        self._invoice(order)
        # One pallet back through Odoo's Return, updating the sale: not refunded at receipt...
        self._odoo_return(delivery, {self.pallet: 1}, to_refund=True)
        pallet_line = self._pallet_line(order)
        self.assertEqual(pallet_line.qty_delivered, 1)
        self.assertFalse(self._deposit_credit_notes())
        self.assertEqual((self._balance().qty_back, self._balance().balance), (1, 1))
        # ... the accountant refunds it on the sale line, as the order's next invoice would have.
        self._refund_deposits()
        refund = self._deposit_credit_notes()
        self.assertAlmostEqual(refund.amount_total, DEPOSIT)
        self.assertEqual(refund.invoice_line_ids.sale_line_ids, pallet_line)
        self.assertEqual(pallet_line.qty_invoiced, 1)
        # The rest ships and is invoiced: the third pallet is charged, the returned one not refunded again.
        self._ship(order)
        last = self._invoice(order)
        deposit_lines = last.invoice_line_ids.filtered(lambda aml: aml.product_id == self.pallet)
        self.assertEqual(deposit_lines.mapped("quantity"), [1.0])
        self.assertAlmostEqual(deposit_lines.price_subtotal, DEPOSIT)
        self.assertEqual(len(self._deposit_credit_notes()), 1)
        balance = self._balance()
        self.assertEqual((balance.balance, balance.deposit_qty_charged, balance.deposit_qty_refunded), (2, 3, 1))
        self.assertAlmostEqual(self._liability(), 2 * DEPOSIT)
        self.assertAlmostEqual(balance.deposit_held, 2 * DEPOSIT)
        self.assertAlmostEqual(self._receivable(), 3 * CASES_PER_PALLET * CASE_PRICE * (1 + TAX) + 2 * DEPOSIT)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()

    def test_odoo_return_refunded_by_the_next_invoice_or_at_receipt(self):
        order, delivery, _invoice = self._sell(3 * CASES_PER_PALLET)
        # Updating the sale: the order's next invoice gives the deposit back, Refund Deposits never again.
        self._odoo_return(delivery, {self.pallet: 1}, to_refund=True)
        self.assertFalse(self._deposit_credit_notes())
        credit_note = self._invoice(order)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertAlmostEqual(credit_note.amount_total, DEPOSIT)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()
        # Not updating the sale: an ordinary return, its deposit refunded when it arrives.
        self._odoo_return(delivery, {self.pallet: 1}, to_refund=False)
        self.assertEqual(self._pallet_line(order).qty_delivered, 2)
        refunds = self._deposit_credit_notes()
        self.assertEqual(len(refunds), 2)
        self.assertAlmostEqual(refunds[-1].amount_total, DEPOSIT)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()
        balance = self._balance()
        self.assertEqual((balance.qty_back, balance.balance, balance.deposit_qty_refunded), (2, 1, 2))
        self.assertAlmostEqual(self._liability(), DEPOSIT)

    def test_return_order_brings_pallets_back_once(self):
        order, _delivery, _invoice = self._sell(3 * CASES_PER_PALLET)
        ret = self.env["return.order"].with_user(self.clerk).browse(
            self._click_return_all(order.with_user(self.clerk))["res_id"])
        ret.line_ids.filtered(lambda line: line.product_id != self.pallet).unlink()
        ret.line_ids.write({"product_uom_qty": 1, "reason_id": self.reason_unwanted.id})
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self._receive(ret.receipt_ids.with_user(self.clerk))
        self.assertEqual(ret.state, "done")
        # The return's credit note gives the deposit back at its invoiced price; nothing else does.
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, DEPOSIT)
        self.assertEqual(self._deposit_credit_notes(), ret.sudo().credit_note_ids)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()
        balance = self._balance()
        self.assertEqual((balance.qty_back, balance.balance, balance.deposit_qty_refunded), (1, 2, 1))
        self.assertAlmostEqual(self._liability(), 2 * DEPOSIT)
        self.assertAlmostEqual(balance.deposit_held, 2 * DEPOSIT)

    def test_ordinary_receipt_counts_only_what_the_partner_held(self):
        self._sell(2 * CASES_PER_PALLET)
        in_stock = self._pallets_in_stock()
        # An ordinary receipt from the customer's location brings 6 pallets for a customer holding 2.
        receipt = self.env["stock.picking"].with_user(self.clerk).create({
            "picking_type_id": self.warehouse.in_type_id.id, "partner_id": self.partner.id,
            "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "pallets", "product_id": self.pallet.id, "product_uom_qty": 6,
                "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id})],
        })
        receipt.action_confirm()
        receipt.move_ids.quantity = 6
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.assertEqual(self._pallets_in_stock(), in_stock + 6)
        balance = self._balance()
        self.assertEqual((balance.qty_back, balance.qty_surplus_pending, balance.qty_surplus, balance.balance),
                         (2, 4, 0, 0))
        self.assertAlmostEqual(sum(self._deposit_credit_notes().mapped("amount_total")), 2 * DEPOSIT)
        # His next order: 3 pallets at his site, none of their deposits refundable.
        self._sell(3 * CASES_PER_PALLET)
        self.assertEqual(self._balance().balance, 3)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            self._refund_deposits()
        self.assertAlmostEqual(self._liability(), 3 * DEPOSIT)
        # The surplus waits for the Returnable Assets Manager: the clerk cannot accept it.
        with self.assertRaises(AccessError):
            self._balance().with_user(self.clerk).action_accept_surplus()
        self._balance().with_user(self.assets_manager).action_accept_surplus()
        balance = self._balance()
        self.assertEqual((balance.qty_surplus_pending, balance.qty_surplus, balance.balance), (0, 4, 3))
        with self.assertRaisesRegex(UserError, "No surplus waits"):
            balance.with_user(self.assets_manager).action_accept_surplus()

    def test_serial_comes_back_only_from_its_holder(self):
        keg = self._create_rl_product("Keg 30 l", cost=70.0, price=0.0, tracking="serial", taxes_id=False)
        keg_type = self.env["returnable.asset.type"].create({
            "name": "Keg", "product_id": keg.id, "company_id": self.company.id, "deposit_price": 30.00,
            "deposit_account_id": self.deposit_account.id, "grace_days": 60})
        beer = self._create_rl_product("Lager 30 l", cost=40.0, price=90.0, taxes_id=False)
        beer.returnable_asset_ids = [Command.create({"asset_type_id": keg_type.id, "units_per_asset": 1})]
        self._stock_in(beer, 10)
        kegs = {name: self._stock_in(keg, 1, name) for name in ("K1", "K2", "K3")}
        customer_b = self.env["res.partner"].create({"name": "Brewpub B", "user_id": self.salesman.id})

        def sell_beer(partner, lots):
            order = self.env["sale.order"].with_user(self.salesman).create({
                "partner_id": partner.id, "warehouse_id": self.warehouse.id,
                "order_line": [Command.create({"product_id": beer.id, "product_uom_qty": len(lots)})]})
            order.action_confirm()
            picking = order.picking_ids.with_user(self.clerk)
            picking.action_assign()
            keg_move = picking.move_ids.filtered(lambda m: m.product_id == keg)
            keg_move.move_line_ids.unlink()
            keg_move.move_line_ids = [Command.create({
                "product_id": keg.id, "lot_id": lot.id, "quantity": 1, "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id}) for lot in lots]
            picking.move_ids.picked = True
            picking.button_validate()
            self._invoice(order)

        sell_beer(self.partner, [kegs["K1"], kegs["K2"]])
        sell_beer(customer_b, [kegs["K3"]])
        # B "returns" K2, which is at A: refused at the dock, nothing received.
        with self.assertRaisesRegex(UserError, "does not hold K2"):
            self._count_back(1, partner=customer_b, asset_type=keg_type, lots=kegs["K2"])
        self.assertEqual(self._quant_qty(keg, self.stock_location, kegs["K2"]), 0)
        # Through an ordinary receipt it comes in, as a surplus for the manager: B is not refunded, A
        # still holds 2.
        receipt = self.env["stock.picking"].with_user(self.clerk).create({
            "picking_type_id": self.warehouse.in_type_id.id, "partner_id": customer_b.id,
            "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "keg", "product_id": keg.id, "product_uom_qty": 1,
                "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id})],
        })
        receipt.action_confirm()
        receipt.move_ids.move_line_ids.unlink()
        receipt.move_ids.move_line_ids = [Command.create({
            "product_id": keg.id, "lot_id": kegs["K2"].id, "quantity": 1,
            "location_id": self.customer_location.id, "location_dest_id": self.stock_location.id})]
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.assertEqual(self._quant_qty(keg, self.stock_location, kegs["K2"]), 1)
        balance_b = self._balance(customer_b, keg_type)
        self.assertEqual((balance_b.balance, balance_b.qty_back, balance_b.qty_surplus_pending), (1, 0, 1))
        self.assertFalse(self._deposit_credit_notes(customer_b))
        self.assertAlmostEqual(self._liability(customer_b), 30.00)
        self.assertEqual(self._balance(self.partner, keg_type).balance, 2)
        # A brings K1 back: his, counted, refunded.
        self._count_back(1, asset_type=keg_type, lots=kegs["K1"])
        self.assertEqual(self._balance(self.partner, keg_type).balance, 1)
        self.assertAlmostEqual(self._deposit_credit_notes().amount_total, 30.00)
        self.assertAlmostEqual(self._liability(), 30.00)
