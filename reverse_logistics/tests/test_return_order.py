from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestReturnOrderFlow(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.restocking_fee_percent = 10.0
        cls._stock_in(cls.product, 10)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 10, 100.0, 10.0)])

    def test_warehouse_has_triage_and_returns_type(self):
        self.assertEqual(self.triage_location.usage, "internal")
        self.assertEqual(self.triage_location.location_id, self.warehouse.view_location_id)
        self.assertEqual(self.warehouse.return_type_id.code, "incoming")
        self.assertEqual(self.warehouse.return_type_id.default_location_dest_id, self.triage_location)

    def test_partial_return_two_receipts_two_credit_notes(self):
        ret = self._new_return(self.sale, qty=6)
        self.assertEqual(ret.line_ids.restocking_fee_percent, 10.0)
        self.assertEqual(ret.line_ids.price_unit, 100.0)
        self.assertEqual(ret.line_ids.discount, 10.0)
        self.assertEqual(ret.line_ids.invoice_line_id.move_id, self.invoice)
        self.assertTrue(ret.name.startswith("RET/"))

        ret.action_submit()
        self.assertEqual(ret.state, "approved", "inside window and limit: auto-approved")
        receipt = ret.receipt_ids
        self.assertEqual(len(receipt), 1)
        self.assertEqual(receipt.location_dest_id, self.triage_location)
        self.assertEqual(receipt.move_ids.origin_returned_move_id, self.delivery.move_ids)
        self.assertFalse(ret.credit_note_ids, "the policy resolves on receipt")

        backorder = self._receive(receipt, {self.product: 4})
        self.assertEqual(ret.state, "receiving")
        self.assertEqual(ret.line_ids.qty_received, 4)
        self.assertEqual(len(ret.credit_note_ids), 1)
        first = ret.credit_note_ids
        self.assertEqual(first.state, "posted")
        self.assertEqual(first.move_type, "out_refund")
        self.assertEqual(first.reversed_entry_id, self.invoice)
        self.assertEqual(first.journal_id, self.invoice.journal_id)
        # 4 x 100 less 10% discount = 360, less a 10% restocking fee = 324, plus 15% tax.
        self.assertAlmostEqual(first.amount_untaxed, 324.0)
        self.assertAlmostEqual(first.amount_tax, 48.6)
        self.assertAlmostEqual(first.amount_total, 372.6)
        fee_line = first.invoice_line_ids.filtered("is_restocking_fee")
        self.assertAlmostEqual(fee_line.price_subtotal, -36.0)
        self.assertEqual(fee_line.tax_ids, self.tax)
        self.assertAlmostEqual(self.invoice.amount_residual, 1035.0 - 372.6, msg="refund settled against the invoice")

        self.assertEqual(backorder.return_order_id, ret)
        self._receive(backorder)
        self.assertEqual(ret.line_ids.qty_received, 6)
        self.assertEqual(len(ret.credit_note_ids), 2)
        second = ret.credit_note_ids - first
        self.assertAlmostEqual(second.amount_total, 186.3, msg="second credit note covers only the new units")
        self.assertEqual(ret.line_ids.qty_refunded, 6)
        self.assertAlmostEqual(ret.amount_refunded, 372.6 + 186.3)
        self.assertEqual(ret.state, "done")
        for date_field in ("date_approved", "date_first_receipt", "date_received", "date_resolved", "date_done"):
            self.assertTrue(ret[date_field], date_field)

        sale_line = self.sale.order_line
        self.assertEqual(sale_line.qty_delivered, 4)
        self.assertEqual(sale_line.qty_invoiced, 4)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 6)
        self.assertEqual(self._quant_qty(self.product, self.stock_location), 0)

        # Returned goods come back at the cost they left with, and the valuation is posted.
        receipt_moves = ret.receipt_ids.move_ids
        layers = receipt_moves.stock_valuation_layer_ids
        self.assertAlmostEqual(sum(layers.mapped("quantity")), 6)
        self.assertAlmostEqual(sum(layers.mapped("value")), 360.0)
        valuation_lines = layers.account_move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.company_data["default_account_stock_valuation"])
        self.assertAlmostEqual(sum(valuation_lines.mapped("debit")), 360.0)

        with self.assertRaisesRegex(UserError, "already has a credit note"):
            ret.action_create_credit_note()
        self.assertEqual(len(ret.credit_note_ids), 2)
        with self.assertRaisesRegex(UserError, "can no longer be cancelled"):
            ret.action_cancel()
        with self.assertRaisesRegex(UserError, "only draft or cancelled"):
            ret.unlink()

    def test_cannot_return_more_than_delivered(self):
        with self.assertRaisesRegex(ValidationError, "only 10.0 can still be returned"):
            self._new_return(self.sale, qty=11)
        first = self._new_return(self.sale, qty=7)
        first.action_submit()
        second = self._new_return(self.sale)
        self.assertEqual(second.line_ids.product_uom_qty, 3, "pre-filled with what is still returnable")
        with self.assertRaises(ValidationError):
            second.line_ids.product_uom_qty = 4
        second.action_submit()
        with self.assertRaisesRegex(UserError, "Nothing left to return"):
            self.sale.action_create_return_order()

    def test_cancelled_return_frees_quantity(self):
        ret = self._new_return(self.sale, qty=10)
        ret.action_submit()
        ret.action_cancel()
        self.assertEqual(ret.state, "cancel")
        self.assertEqual(ret.receipt_ids.state, "cancel")
        again = self._new_return(self.sale)
        self.assertEqual(again.line_ids.product_uom_qty, 10)

    def test_odoo_return_wizard_counts(self):
        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=self.delivery.id, active_model="stock.picking")).save()
        wizard.product_return_moves.quantity = 4
        wizard.action_create_returns()
        ret = self._new_return(self.sale)
        self.assertEqual(ret.line_ids.product_uom_qty, 6)

    def test_zero_and_negative_quantities(self):
        for qty in (0, -2):
            with self.assertRaisesRegex(ValidationError, "must be positive"):
                self._new_return(self.sale, qty=qty)

    def test_non_returnable_product(self):
        self.policy.non_returnable_product_ids = self.product.product_tmpl_id
        ret = self._new_return(self.sale, qty=1)
        self.assertIn("cannot be returned", ret.policy_problems)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "a refused return waits for a manager")
        self.assertTrue(ret.activity_ids)
        with self.assertRaisesRegex(UserError, "cannot be returned under the policy"):
            ret.action_approve()
        self.assertFalse(ret.receipt_ids)

    def test_non_returnable_category(self):
        self.policy.non_returnable_categ_ids = self.product.categ_id
        ret = self._new_return(self.sale, qty=1)
        with self.assertRaisesRegex(UserError, "cannot be returned"):
            ret.action_approve()

    def test_window_and_manager_override(self):
        late = fields.Datetime.now() + timedelta(days=45)
        ret = self._new_return(self.sale, qty=1, date_request=late)
        self.assertIn("return window closed", ret.policy_problems)
        with self.assertRaisesRegex(UserError, "return window closed"):
            ret.action_approve()
        self.assertEqual(ret.state, "draft")
        self.assertFalse(ret.receipt_ids)

        # A category override lengthens the window for that category only.
        self.policy.category_window_ids = [fields.Command.create({
            "categ_id": self.product.categ_id.id, "window_days": 60})]
        self.assertFalse(ret.policy_problems)
        self.policy.category_window_ids = False

        user = self.env["res.users"].create({
            "name": "Returns Clerk", "login": "returns_clerk",
            "company_id": self.company.id, "company_ids": [fields.Command.set(self.company.ids)],
            "groups_id": [fields.Command.set(self.env.ref("reverse_logistics.group_return_user").ids)],
        })
        with self.assertRaises(AccessError):
            ret.with_user(user)._override_window("customer is nice")
        with self.assertRaises(AccessError):
            ret.with_user(user).action_approve()

        form = Form(self.env["return.policy.override"].with_context(default_return_order_id=ret.id))
        form.reason = "Loyal customer, goodwill"
        form.save().action_confirm()
        self.assertTrue(ret.policy_override)
        self.assertIn("Loyal customer, goodwill", ret.message_ids[0].body)
        ret.action_approve()
        self.assertEqual(ret.state, "approved")

    def test_reject(self):
        ret = self._new_return(self.sale, qty=1)
        form = Form(self.env["return.order.reject"].with_context(default_return_order_ids=ret.ids))
        form.reason = "Used product"
        form.save().action_confirm()
        self.assertEqual(ret.state, "rejected")
        self.assertEqual(ret.reject_reason, "Used product")
        with self.assertRaises(UserError):
            ret.action_approve()
        ret.action_draft()
        self.assertEqual(ret.state, "draft")

    def test_auto_approval_limit(self):
        self.policy.auto_approve_max_amount = 100.0
        ret = self._new_return(self.sale, qty=5)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "450 is above the 100 limit")
        self.assertEqual(ret.activity_ids.activity_type_id,
                         self.env.ref("reverse_logistics.mail_activity_return_approval"))
        ret.action_approve()
        self.assertEqual(ret.state, "approved")
        self.assertFalse(ret.activity_ids)

    def test_defect_has_no_fee(self):
        ret = self._new_return(self.sale, qty=2, reason=self.reason_defect)
        self.assertEqual(ret.line_ids.restocking_fee_percent, 0.0)
        with self.assertRaises(ValidationError):
            self.policy.fee_ids = [fields.Command.create({"reason_id": self.reason_defect.id, "fee_percent": 5})]
        ret.action_submit()
        self._receive(ret.receipt_ids)
        self.assertAlmostEqual(ret.credit_note_ids.amount_total, 2 * 90 * 1.15)
        self.assertFalse(ret.credit_note_ids.invoice_line_ids.filtered("is_restocking_fee"))

    def test_fee_by_reason(self):
        self.policy.fee_ids = [fields.Command.create({"reason_id": self.reason_unwanted.id, "fee_percent": 25})]
        ret = self._new_return(self.sale, qty=2)
        self.assertEqual(ret.line_ids.restocking_fee_percent, 25.0)
        self.assertAlmostEqual(ret.amount_restocking_fee, 45.0)

    def test_refund_on_approval(self):
        self.policy.refund_step = "approval"
        ret = self._new_return(self.sale, qty=3)
        ret.action_submit()
        self.assertEqual(len(ret.credit_note_ids), 1)
        self.assertEqual(ret.line_ids.qty_refunded, 3)
        self._receive(ret.receipt_ids)
        self.assertEqual(len(ret.credit_note_ids), 1, "receipt adds no second credit note")
        self.assertEqual(ret.state, "done")

    def test_draft_credit_notes_for_accountant(self):
        self.policy.auto_post_credit_note = False
        ret = self._new_return(self.sale, qty=2)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        self.assertEqual(ret.credit_note_ids.state, "draft")
        self.assertEqual(ret.state, "received", "not done until the accountant posts")
        with self.assertRaisesRegex(UserError, "already has a credit note"):
            ret.action_create_credit_note()
        ret.credit_note_ids.action_post()
        self.assertEqual(ret.state, "done")

    def test_store_credit_stays_open(self):
        ret = self._new_return(self.sale, qty=2, resolution="store_credit")
        ret.action_submit()
        self._receive(ret.receipt_ids)
        credit = ret.credit_note_ids
        self.assertTrue(credit.is_store_credit)
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.payment_state, "not_paid", "left open on the partner's account")
        self.assertAlmostEqual(self.invoice.amount_residual, 1035.0)
        self.assertEqual(ret.state, "done")

    def test_exchange_creates_replacement_order(self):
        self._stock_in(self.product, 5)
        ret = self._new_return(self.sale, qty=2, resolution="exchange")
        ret.action_submit()
        self._receive(ret.receipt_ids)
        replacement = ret.exchange_order_ids
        self.assertEqual(len(replacement), 1)
        self.assertEqual(replacement.state, "sale")
        self.assertEqual(replacement.order_line.product_uom_qty, 2)
        self.assertEqual(replacement.order_line.price_unit, 0.0)
        self.assertEqual(replacement.picking_ids.picking_type_code, "outgoing")
        self.assertFalse(ret.credit_note_ids)
        self.assertEqual(ret.state, "done")

    def test_exchange_for_other_product_charges_difference(self):
        better = self._create_rl_product("Espresso Machine Pro", cost=90.0, price=130.0)
        self._stock_in(better, 2)
        ret = self._new_return(self.sale, qty=1, resolution="exchange")
        ret.line_ids.exchange_product_id = better
        ret.action_submit()
        self._receive(ret.receipt_ids)
        self.assertAlmostEqual(ret.exchange_order_ids.order_line.price_unit, 40.0, msg="130 less the 90 paid")

    def test_lot_must_match_delivery(self):
        self.policy.lot_match_required = True
        lot_a = self._stock_in(self.product_lot, 20, "BEANS-A")
        other = self.env["stock.lot"].create({
            "name": "BEANS-Z", "product_id": self.product_lot.id, "company_id": self.company.id})
        sale, _delivery, _invoice = self._sell([(self.product_lot, 8, 12.0, 0.0)])
        ret = self._new_return(sale)
        self.assertEqual(ret.line_ids.lot_id, lot_a)
        self.assertEqual(ret.line_ids.product_uom_qty, 8)
        ret.line_ids.product_uom_qty = 3
        ret.line_ids.lot_id = other
        with self.assertRaisesRegex(UserError, "was not delivered"):
            ret.action_approve()
        ret.line_ids.lot_id = lot_a
        ret.action_approve()
        receipt = ret.receipt_ids
        self.assertEqual(receipt.move_line_ids.lot_id, lot_a, "announced lot pre-filled on the receipt")
        receipt.move_line_ids.lot_id = other
        with self.assertRaisesRegex(UserError, "was not delivered"):
            self._receive(receipt)
        self.assertEqual(receipt.state, "assigned", "nothing moved")
        self.assertFalse(ret.credit_note_ids)
        receipt.move_line_ids.lot_id = lot_a
        self._receive(receipt)
        self.assertEqual(self._quant_qty(self.product_lot, self.triage_location, lot_a), 3)

    def test_serials_one_line_each(self):
        for name in ("SN-1", "SN-2"):
            self._stock_in(self.product_serial, 1, name)
        sale, _delivery, _invoice = self._sell([(self.product_serial, 2, 150.0, 0.0)])
        ret = self._new_return(sale)
        self.assertEqual(len(ret.line_ids), 2)
        self.assertEqual(set(ret.line_ids.mapped("product_uom_qty")), {1.0})
        with self.assertRaises(ValidationError):
            ret.line_ids[0].product_uom_qty = 2

    def test_distributor_return_without_documents(self):
        ret = self.env["return.order"].create({
            "partner_id": self.partner_b.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id,
            "company_id": self.company.id,
            "warehouse_id": self.warehouse.id,
            "line_ids": [fields.Command.create({
                "product_id": self.product.id, "product_uom_qty": 30, "reason_id": self.reason_unwanted.id})],
        })
        self.assertEqual(ret.line_ids.price_unit, 100.0)
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "only customer returns are approved by the policy alone")
        ret.action_approve()
        self._receive(ret.receipt_ids)
        credit = ret.credit_note_ids
        self.assertFalse(credit.reversed_entry_id)
        self.assertEqual(credit.partner_id, self.partner_b)
        self.assertAlmostEqual(credit.amount_untaxed, 30 * 100 * 0.9)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 30)

    def test_create_from_delivery(self):
        action = self._click_return_all(self.delivery)
        ret = self.env["return.order"].browse(action["res_id"])
        self.assertEqual(ret.picking_id, self.delivery)
        self.assertEqual(ret.sale_order_id, self.sale)
        self.assertEqual(ret.line_ids.origin_move_id, self.delivery.move_ids)
        self.assertEqual(self.sale.return_order_count, 1)

    def test_close_receipt_resolves_what_came(self):
        ret = self._new_return(self.sale, qty=5)
        ret.action_submit()
        backorder = self._receive(ret.receipt_ids, {self.product: 2})
        ret.action_close_receipt()
        self.assertEqual(backorder.state, "cancel")
        self.assertEqual(ret.state, "done")
        self.assertEqual(ret.line_ids.qty_refunded, 2)
        again = self._new_return(self.sale)
        self.assertEqual(again.line_ids.product_uom_qty, 8, "units never sent back are returnable again")


@tagged("post_install", "-at_install")
class TestReturnOrderAccess(ReverseLogisticsCommon):

    def test_multi_company_isolation(self):
        ret = self.env["return.order"].create({
            "partner_id": self.partner.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "line_ids": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
        })
        other_company = self.setup_other_company()["company"]
        self.assertTrue(self.env["return.policy"]._get_default_policy(other_company),
                        "every new company gets a default policy")
        user = self.env["res.users"].create({
            "name": "Other Clerk", "login": "other_clerk",
            "company_id": other_company.id, "company_ids": [fields.Command.set(other_company.ids)],
            "groups_id": [fields.Command.set(self.env.ref("reverse_logistics.group_return_user").ids)],
        })
        self.assertFalse(self.env["return.order"].with_user(user).search([("id", "=", ret.id)]))

    def test_portal_sees_own_returns_only(self):
        ret = self.env["return.order"].create({
            "partner_id": self.partner.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "line_ids": [fields.Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
        })
        portal_partner = self.env["res.partner"].create({"name": "Portal Customer"})
        portal = self.env["res.users"].create({
            "name": "Portal Customer", "login": "portal_rl", "partner_id": portal_partner.id,
            "groups_id": [fields.Command.set(self.env.ref("base.group_portal").ids)],
        })
        self.assertFalse(self.env["return.order"].with_user(portal).search([("id", "=", ret.id)]))
        ret.partner_id = portal_partner
        self.assertEqual(self.env["return.order"].with_user(portal).search([("id", "=", ret.id)]), ret)
