from odoo.tests import Form, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestOdooReturnWizardMix(ReverseLogisticsCommon):
    """Odoo's own Return wizard used beside return orders never counts a unit twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._stock_in(cls.product, 10)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 10, 100.0, 0.0)])

    def _odoo_return(self, picking, qty):
        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_model="stock.picking")).save()
        wizard.product_return_moves.quantity = qty
        action = wizard.action_create_returns()
        reverse = self.env["stock.picking"].browse(action["res_id"])
        self._receive(reverse)
        return reverse

    def test_receipt_sent_back_is_no_longer_received(self):
        ret = self._new_return(self.sale, qty=3)
        ret.action_submit()
        receipt = ret.receipt_ids
        self._receive(receipt)
        line = ret.line_ids
        self.assertEqual(line.qty_received, 3)
        self.assertEqual(self.sale.order_line.qty_delivered, 7)
        credited = len(ret.credit_note_ids)

        # The warehouse sends 2 of them back to the customer with Odoo's Return button.
        reverse = self._odoo_return(receipt, 2)
        self.assertFalse(reverse.return_order_id, "the reverse picking is not a receipt of the return")
        self.assertFalse(reverse.move_ids.return_line_id, "the reverse move is not a receipt move")
        self.assertEqual(line.qty_received, 1)
        self.assertEqual(self.sale.order_line.qty_delivered, 9, "Odoo counts the 2 units delivered again")
        self.assertEqual(len(ret.credit_note_ids), credited, "sending back credits nothing")
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 1)

        # A new return may take back what was sent again: 10 delivered - 1 kept by the return.
        again = self._new_return(self.sale)
        self.assertEqual(again.line_ids.product_uom_qty, 9)

    def test_backorder_keeps_the_link(self):
        ret = self._new_return(self.sale, qty=5)
        ret.action_submit()
        backorder = self._receive(ret.receipt_ids, {self.product: 2})
        self.assertEqual(backorder.return_order_id, ret)
        self.assertEqual(backorder.move_ids.return_line_id, ret.line_ids)
        self._receive(backorder)
        self.assertEqual(ret.line_ids.qty_received, 5)
        self.assertEqual(self.sale.order_line.qty_delivered, 5)

    def test_wizard_return_then_return_order(self):
        self._odoo_return(self.delivery, 4)
        ret = self._new_return(self.sale)
        self.assertEqual(ret.line_ids.product_uom_qty, 6)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        self.assertEqual(self.sale.order_line.qty_delivered, 0)
        self.assertEqual(ret.line_ids.qty_received, 6)
