from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestReturnReceiptSteps(ReverseLogisticsCommon):
    """Returns are received through the warehouse's returns route: its reception steps and putaway rules
    apply, and the last step lands in triage. The warehouse clerk does the receiving."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_steps_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=cls.company.ids)
        cls._stock_in(cls.product, 10)
        cls.sale, _delivery, _invoice = cls._sell([(cls.product, 10, 100.0, 0.0)])

    def _approved_return(self, qty):
        ret = self._new_return(self.sale, qty=qty)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        return ret

    def _next_step(self, ret, source):
        """The open transfer of this return's goods out of `source` (a later reception step)."""
        return self.env["stock.picking"].search([
            ("group_id", "=", ret.procurement_group_id.id), ("location_id", "=", source.id),
            ("state", "not in", ("done", "cancel")),
        ])

    def _on_hand(self, location):
        """Units in `location` itself, reserved for a next step or not."""
        return sum(self.env["stock.quant"].search([
            ("product_id", "=", self.product.id), ("location_id", "=", location.id)]).mapped("quantity"))

    def _validate_as_clerk(self, picking, qty=None):
        picking = picking.with_user(self.clerk)
        return self._receive(picking, {self.product: qty} if qty is not None else None)

    def test_one_step_lands_in_triage(self):
        self.assertEqual(self.warehouse.reception_steps, "one_step")
        route = self.warehouse.return_route_id
        self.assertTrue(route, "the returns route is created with the warehouse")
        ret = self._approved_return(2)
        receipt = ret.receipt_ids
        self.assertEqual(receipt.location_dest_id, self.triage_location)
        self.assertEqual(receipt.group_id, ret.procurement_group_id)
        self.assertEqual(receipt.sale_id, self.sale, "the receipt still shows on the sale order")
        move = receipt.move_ids
        self.assertEqual(move.return_line_id, ret.line_ids)
        self.assertEqual(move.sale_line_id, self.sale.order_line)
        self.assertTrue(move.to_refund)
        self.assertEqual(move.origin_returned_move_id, self.sale.order_line.move_ids.filtered(
            lambda m: m.location_dest_id.usage == "customer"))
        self._validate_as_clerk(receipt)
        self.assertEqual(ret.state, "done")
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 2)
        self.assertEqual(self.sale.order_line.qty_delivered, 8)

    def test_two_steps(self):
        self.warehouse.reception_steps = "two_steps"  # setup: the company's configuration
        input_location = self.warehouse.wh_input_stock_loc_id
        ret = self._approved_return(3)
        receipt = ret.receipt_ids
        self.assertEqual(len(receipt), 1)
        self.assertEqual(receipt.picking_type_id, self.warehouse.return_type_id)
        self.assertEqual(receipt.location_dest_id, input_location)
        self.assertEqual(receipt.move_ids.location_final_id, self.triage_location)
        # A partial receipt: the rest waits in a backorder, the return in Receiving.
        backorder = self._validate_as_clerk(receipt, qty=2)
        self.assertEqual(ret.state, "receiving")
        self.assertEqual(ret.line_ids.qty_received, 2, "received counts at the receipt from the customer")
        self.assertEqual(backorder.return_order_id, ret)
        self.assertEqual(self._on_hand(input_location), 2)
        store = self._next_step(ret, input_location)
        self.assertEqual(store.picking_type_id, self.warehouse.store_type_id)
        self.assertEqual(store.location_dest_id, self.triage_location)
        self.assertFalse(store.return_order_id, "only the receipt from the customer is the return's receipt")
        self._validate_as_clerk(store)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 2)
        self._validate_as_clerk(backorder)
        self.assertEqual(ret.state, "done")
        self.assertEqual(ret.line_ids.qty_received, 3)
        self._validate_as_clerk(self._next_step(ret, input_location))
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 3)
        self.assertEqual(self._on_hand(input_location), 0)
        self.assertEqual(self.sale.order_line.qty_delivered, 7)

    def test_three_steps(self):
        self.warehouse.reception_steps = "three_steps"  # setup
        input_location = self.warehouse.wh_input_stock_loc_id
        qc_location = self.warehouse.wh_qc_stock_loc_id
        ret = self._approved_return(2)
        receipt = ret.receipt_ids
        self.assertEqual(receipt.location_dest_id, input_location)
        self._validate_as_clerk(receipt)
        self.assertEqual(ret.state, "done")
        quality = self._next_step(ret, input_location)
        self.assertEqual(quality.picking_type_id, self.warehouse.qc_type_id)
        self.assertEqual(quality.location_dest_id, qc_location)
        self._validate_as_clerk(quality)
        store = self._next_step(ret, qc_location)
        self.assertEqual(store.picking_type_id, self.warehouse.store_type_id)
        self.assertEqual(store.location_dest_id, self.triage_location)
        self._validate_as_clerk(store)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 2)
        self.assertEqual(self._on_hand(qc_location), 0)
        # Graded and restocked from triage as in one step.
        grading = self.env["return.grading"].browse(self.env["return.grading.station"].grade(
            ret.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 2)["grading_id"])
        grading.action_dispose()
        self.assertEqual(grading.state, "done")
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 0)

    def test_units_still_in_input_are_not_dispositioned(self):
        self.warehouse.reception_steps = "two_steps"  # setup
        ret = self._approved_return(1)
        self._validate_as_clerk(ret.receipt_ids)
        grading = self.env["return.grading"].browse(self.env["return.grading.station"].grade(
            ret.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 1)["grading_id"])
        with self.assertRaisesRegex(Exception, "triage does not hold"):
            grading.action_dispose()

    def test_putaway_rule_applies_to_returns(self):
        shelf = self.env["stock.location"].create({
            "name": "Returns Shelf", "location_id": self.triage_location.id, "usage": "internal"})
        self.env["stock.putaway.rule"].create({
            "location_in_id": self.triage_location.id, "location_out_id": shelf.id,
            "product_id": self.product.id, "company_id": self.company.id})
        ret = self._approved_return(2)
        self.assertEqual(ret.receipt_ids.move_line_ids.location_dest_id, shelf)
        self._validate_as_clerk(ret.receipt_ids)
        self.assertEqual(self._on_hand(shelf), 2)
        self.assertEqual(ret.line_ids.qty_received, 2)

    def test_route_configurable_per_warehouse(self):
        self.assertFalse(self.warehouse.return_route_id.warehouse_selectable)
        other = self.warehouse.return_route_id.copy({"name": "Returns via quality"})
        self.warehouse.return_route_id = other  # setup: a manager picks another route
        ret = self._approved_return(1)
        self.assertEqual(ret.receipt_ids.move_ids.rule_id.route_id, other)
