"""Every role a company hands out keeps its everyday Odoo work with the three addons installed, and does in
the addons what its job allows and nothing more. Setup runs as the superuser; every act runs as the role.

The matrix this file asserts (role x action -> allowed / refused) is printed in the project's notes.
"""
from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

ROLES = {
    "inventory_user": "stock.group_stock_user",
    "inventory_manager": "stock.group_stock_manager",
    "salesman_own": "sales_team.group_sale_salesman",
    "salesman_all": "sales_team.group_sale_salesman_all_leads",
    "billing": "account.group_account_invoice",
    "accountant": "account.group_account_manager",
    "purchase_user": "purchase.group_purchase_user",
    "returns_user": "reverse_logistics.group_return_user",
    "returns_manager": "reverse_logistics.group_return_manager",
    "recall_manager": "reverse_logistics_recall.group_recall_manager",
    "assets_manager": "reverse_logistics_assets.group_asset_manager",
    "portal": "base.group_portal",
    "public": "base.group_public",
}


@tagged("post_install", "-at_install")
class TestRoleMatrix(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics_assets.group_asset_manager")
        company = cls.company
        cls.users = {
            role: new_test_user(
                cls.env, login=f"rl_{role}", groups=groups, company_id=company.id,
                company_ids=[Command.set(company.ids)], email=f"{role}@example.com",
            )
            for role, groups in ROLES.items()
        }
        # A Returns Manager who sells too, seeing only his own sale documents.
        cls.users["returns_manager_salesman"] = new_test_user(
            cls.env, login="rl_returns_manager_salesman", company_id=company.id,
            company_ids=[Command.set(company.ids)],
            groups="reverse_logistics.group_return_manager,sales_team.group_sale_salesman",
        )
        cls.portal_partner = cls.users["portal"].partner_id
        cls.deposit_account = cls.env["account.account"].create({
            "name": "Deposits held", "code": "RLDEP", "account_type": "liability_current",
            "company_ids": [Command.set(company.ids)],
        })
        cls.pallet = cls._create_rl_product("Euro Pallet", cost=8.0, price=10.0, taxes_id=False)
        cls.pallet_type = cls.env["returnable.asset.type"].create({
            "name": "Euro pallet", "product_id": cls.pallet.id, "company_id": company.id,
            "deposit_price": 10.0, "deposit_account_id": cls.deposit_account.id, "grace_days": 30,
        })
        # Water travels on pallets: every transfer and invoice of it goes through the assets hooks.
        cls.water = cls._create_rl_product("Water (case)", cost=2.0, price=5.0)
        cls.water.returnable_asset_ids = [Command.create({"asset_type_id": cls.pallet_type.id, "units_per_asset": 40})]
        cls._stock_in(cls.pallet, 100)
        cls._stock_in(cls.water, 1000)
        cls._stock_in(cls.product, 20)
        cls.shelf = cls.env["stock.location"].create({"name": "Shelf 1", "location_id": cls.stock_location.id})
        cls.vendor = cls.env["res.partner"].create({"name": "Water Springs Ltd"})

    # ------------------------------------------------------------------
    # Helpers (setup as superuser)
    # ------------------------------------------------------------------
    def _confirmed_water_order(self, qty=80, user=None, partner=None):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.partner).id, "company_id": self.company.id,
            "warehouse_id": self.warehouse.id, "user_id": (user or self.env.user).id,
            "order_line": [Command.create({"product_id": self.water.id, "product_uom_qty": qty})],
        })
        order.action_confirm()
        return order

    def _deliver(self, picking, user):
        picking = picking.with_user(user)
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        res = picking.button_validate()
        self.assertTrue(res is True or not isinstance(res, dict), res)
        self.assertEqual(picking.state, "done")
        return picking

    def _machine_return(self, user, qty=2, partner=None, salesperson=None):
        """A sale of machines delivered and invoiced (setup), returned by `user`: create, submit."""
        sale, delivery, invoice = self._sell([(self.product, 4, 100.0, 0.0)], partner=partner)
        if salesperson:
            sale.user_id = salesperson
        ret = self.env["return.order"].with_user(user).browse(
            self._click_return_all(sale.with_user(user))["res_id"])
        ret.line_ids.write({"product_uom_qty": qty, "reason_id": self.reason_defect.id})
        ret.action_submit()
        return ret, invoice

    # ------------------------------------------------------------------
    # Everyday Odoo work
    # ------------------------------------------------------------------
    def test_inventory_user_validates_every_kind_of_transfer(self):
        user = self.users["inventory_user"]
        order = self._confirmed_water_order()
        delivery = self._deliver(order.picking_ids, user)
        self.assertEqual(delivery.move_ids.filtered(lambda m: m.product_id == self.pallet).quantity, 2,
                         "80 cases travel on 2 pallets")
        balance = self.env["returnable.asset.balance"]._get_balance(self.partner, self.pallet_type)
        self.assertEqual(balance.balance, 2)

        wizard = Form(self.env["stock.return.picking"].with_user(user).with_context(
            active_id=delivery.id, active_model="stock.picking")).save()
        wizard.product_return_moves.filtered(lambda r: r.product_id == self.water).quantity = 40
        action = wizard.action_create_returns()
        self._deliver(self.env["stock.picking"].browse(action["res_id"]), user)

        receipt = self.env["stock.picking"].with_user(user).create({
            "picking_type_id": self.warehouse.in_type_id.id, "partner_id": self.vendor.id,
            "location_id": self.env.ref("stock.stock_location_suppliers").id,
            "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({"name": "water", "product_id": self.water.id, "product_uom_qty": 10,
                                         "location_id": self.env.ref("stock.stock_location_suppliers").id,
                                         "location_dest_id": self.stock_location.id})],
        })
        receipt.action_confirm()
        self._deliver(receipt, user)
        internal = self.env["stock.picking"].with_user(user).create({
            "picking_type_id": self.warehouse.int_type_id.id, "location_id": self.stock_location.id,
            "location_dest_id": self.shelf.id,
            "move_ids": [Command.create({"name": "water", "product_id": self.water.id, "product_uom_qty": 5,
                                         "location_id": self.stock_location.id, "location_dest_id": self.shelf.id})],
        })
        internal.action_confirm()
        self._deliver(internal, user)
        self.assertEqual(self._quant_qty(self.water, self.shelf), 5)
        # Not a Returns user: the returns themselves stay closed to him.
        with self.assertRaises(AccessError):
            self.env["return.order"].with_user(user).search([])

    def test_inventory_manager_validates_and_approves(self):
        user = self.users["inventory_manager"]
        self._deliver(self._confirmed_water_order().picking_ids, user)
        ret, _invoice = self._machine_return(user)
        self.assertEqual(ret.state, "approved", "inventory administrators are Returns Managers")

    def test_salespeople_confirm_and_cancel_orders(self):
        for role in ("salesman_own", "salesman_all"):
            user = self.users[role]
            order = self.env["sale.order"].with_user(user).create({
                "partner_id": self.partner.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
                "order_line": [Command.create({"product_id": self.water.id, "product_uom_qty": 40})],
            })
            order.action_confirm()
            self.assertEqual(order.state, "sale")
            self.assertEqual(order.order_line.filtered("is_returnable_asset").product_uom_qty, 1,
                             "the pallet the water travels on is added to the order")
            order.with_context(disable_cancel_warning=True).action_cancel()
            self.assertEqual(order.state, "cancel", role)

    def test_salespeople_see_the_returns_of_their_orders(self):
        own, everything = self.users["salesman_own"], self.users["salesman_all"]
        mine, _invoice = self._machine_return(self.users["returns_user"], qty=1, salesperson=own)
        theirs, _invoice = self._machine_return(self.users["returns_user"], qty=1, salesperson=everything)
        visible = self.env["return.order"].with_user(own).search([("id", "in", (mine | theirs).ids)])
        self.assertEqual(visible, mine)
        self.assertEqual(mine.with_user(own).line_ids.product_uom_qty, 1)
        self.assertEqual(self.env["return.order"].with_user(everything).search([("id", "in", (mine | theirs).ids)]),
                         mine | theirs)
        with self.assertRaises(AccessError):
            theirs.with_user(own).read(["name"])

    def test_billing_and_accountant_post_invoices_and_credit_notes(self):
        for role in ("billing", "accountant"):
            user = self.users[role]
            order = self._confirmed_water_order()
            self._deliver(order.picking_ids, self.users["inventory_user"])
            invoice = order._create_invoices()
            invoice.with_user(user).action_post()
            self.assertEqual(invoice.state, "posted")
            # 80 cases at 5.00 plus 15% tax, and 2 pallet deposits at 10.00 without tax.
            self.assertAlmostEqual(invoice.amount_total, 80 * 5.0 * 1.15 + 2 * 10.0)
            reversal = self.env["account.move.reversal"].with_user(user).with_context(
                active_model="account.move", active_ids=invoice.ids).create({
                    "journal_id": invoice.journal_id.id, "reason": "test"})
            credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
            credit_note.with_user(user).action_post()
            self.assertEqual(credit_note.state, "posted", role)

    def test_purchase_user_confirms_orders(self):
        user = self.users["purchase_user"]
        order = self.env["purchase.order"].with_user(user).create({
            "partner_id": self.vendor.id, "company_id": self.company.id,
            "order_line": [Command.create({"product_id": self.water.id, "product_qty": 40, "price_unit": 1.0})],
        })
        order.button_confirm()
        self.assertEqual(order.state, "purchase")

    # ------------------------------------------------------------------
    # Returns: the clerk's job, and no more
    # ------------------------------------------------------------------
    def test_clerk_receives_and_the_policy_credits_for_him(self):
        clerk = self.users["returns_user"]
        self.assertFalse(clerk.has_group("account.group_account_invoice"))
        ret, invoice = self._machine_return(clerk, qty=2)
        self.assertEqual(ret.state, "approved")
        receipt = ret.receipt_ids.with_user(clerk)
        self._receive(receipt)
        self.assertEqual(ret.state, "done")
        credit_note = ret.sudo().credit_note_ids
        self.assertEqual(credit_note.state, "posted")
        # 2 machines at 100.00 plus 15% tax, no fee on a defect.
        self.assertAlmostEqual(credit_note.amount_total, 2 * 100.0 * 1.15)
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        # He opens his return, credit note included, without Invoicing rights.
        ret.invalidate_recordset()
        self.assertEqual(ret.credit_note_count, 1)
        self.assertAlmostEqual(ret.amount_refunded, 230.0)
        # ... but the manual accounting stays with the accountants.
        with self.assertRaises(AccessError):
            ret.credit_note_ids.read(["amount_total"])

    def test_policy_credits_for_a_manager_approving_and_a_clerk_closing(self):
        clerk, manager = self.users["returns_user"], self.users["returns_manager"]
        self.assertFalse(manager.has_group("account.group_account_invoice"))
        # Above the auto-approval limit: a manager approves; the policy credits on approval.
        self.policy.write({"auto_approve_max_amount": 50.0, "refund_step": "approval"})
        ret, _invoice = self._machine_return(clerk, qty=1)
        self.assertEqual(ret.state, "draft")
        ret.with_user(manager).action_approve()
        self.assertEqual(ret.sudo().credit_note_ids.state, "posted")
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, 115.0)
        # Resolving on receipt: the clerk closes a partial receipt and the policy credits what came.
        self.policy.write({"auto_approve_max_amount": 100000.0, "refund_step": "receipt"})
        ret, _invoice = self._machine_return(clerk, qty=3)
        self._receive(ret.receipt_ids.with_user(clerk), {self.product: 1})
        ret.with_user(clerk).action_close_receipt()
        self.assertEqual(ret.state, "done")
        self.assertAlmostEqual(sum(ret.sudo().credit_note_ids.mapped("amount_total")), 115.0)

    def test_clerk_creates_returns_in_the_form(self):
        clerk = self.users["returns_user"]
        form = Form(self.env["return.order"].with_user(clerk))
        form.partner_id = self.partner_b
        form.return_type_id = self.env.ref("reverse_logistics.return_type_distributor")
        with form.line_ids.new() as line:
            line.product_id = self.product
            line.product_uom_qty = 3
            line.reason_id = self.reason_unwanted
        ret = form.save()
        self.assertEqual(ret.line_ids.price_unit, 100.0, "a documentless line takes the list price")
        self.assertEqual(ret.line_ids.restocking_fee_percent, self.policy._get_restocking_fee_percent(
            self.reason_unwanted), "the policy's fee: the clerk does not set it")
        self.assertEqual(ret.user_id, clerk)
        self.assertEqual(ret.policy_id, self.policy)
        # From a sale order, in the form too: quantities only, prices come from the invoice.
        sale, _delivery, _invoice = self._sell([(self.product, 2, 90.0, 10.0)])
        ret = self.env["return.order"].with_user(clerk).browse(
            self._click_return_all(sale.with_user(clerk))["res_id"])
        with Form(ret) as form:
            with form.line_ids.edit(0) as line:
                line.product_uom_qty = 1
                line.reason_id = self.reason_defect
        self.assertEqual(ret.line_ids.price_unit, 90.0)
        self.assertEqual(ret.line_ids.discount, 10.0)
        self.assertAlmostEqual(ret.amount_untaxed, 81.0)

    def test_returns_manager_salesman_receives_other_salesperson_return(self):
        manager = self.users["returns_manager_salesman"]
        other = self.users["salesman_all"]
        ret, _invoice = self._machine_return(self.users["returns_user"], qty=1, salesperson=other)
        self._receive(ret.receipt_ids.with_user(manager))
        self.assertEqual(ret.sudo().credit_note_ids.state, "posted")
        self.assertAlmostEqual(ret.sudo().credit_note_ids.amount_total, 115.0)

    def test_clerk_rpc_writes_are_refused(self):
        clerk = self.users["returns_user"]
        ret, _invoice = self._machine_return(clerk, qty=1)
        line = ret.line_ids
        self.assertEqual(ret.state, "approved")
        # Price and fee after approval: computed from the invoice and the policy, refused by name.
        with self.assertRaisesRegex(UserError, "Price Unit.*cannot be set by hand"):
            line.write({"price_unit": 229997.70, "restocking_fee_percent": 0.0, "discount": 0.0})
        self.assertEqual(line.price_unit, 100.0)
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            line.write({"reason_id": self.reason_unwanted.id})
        for vals in ({"state": "done"}, {"policy_override": True}, {"date_approved": fields.Datetime.now()},
                     {"return_type_id": self.env.ref("reverse_logistics.return_type_distributor").id},
                     {"date_request": "2020-01-01 00:00:00"},
                     {"partner_id": self.partner_b.id}):
            with self.assertRaisesRegex(UserError, "cannot be set by hand"):
                ret.write(vals)
        self.assertEqual(ret.state, "approved")
        self.assertEqual(ret.return_type_id, self.env.ref("reverse_logistics.return_type_customer"))
        # Nothing can be created in a state the flow did not reach.
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            self.env["return.order"].with_user(clerk).create({
                "partner_id": self.partner.id, "state": "approved", "line_ids": [Command.create({
                    "product_id": self.product.id, "product_uom_qty": 1})]})

        self._receive(ret.receipt_ids.with_user(clerk))
        grading = self.env["return.grading.station"].with_user(clerk).grade(
            line.id, self.env.ref("reverse_logistics.grade_a").id, 1)
        grading = self.env["return.grading"].with_user(clerk).browse(grading["grading_id"])
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            grading.write({"recovery_value": 11419100.0})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            grading.write({"state": "done"})
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            grading.write({"unit_value": 99999.0})
        self.assertEqual(grading.unit_value, 100.0, "the unit value is the flow's: the write is refused")

    def test_draft_documents_freeze_at_submission_and_rejection_is_a_managers(self):
        clerk = self.users["returns_user"]
        manager = self.users["returns_manager"]
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        ret = self.env["return.order"].with_user(clerk).browse(
            self._click_return_all(sale.with_user(clerk))["res_id"])
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            ret.write({"date_request": "2020-01-01 00:00:00"})
        ret.write({"return_type_id": self.env.ref("reverse_logistics.return_type_warranty").id})
        ret.line_ids.reason_id = self.reason_defect
        ret.action_submit()
        self.assertEqual(ret.state, "draft", "only customer returns are approved by the policy alone")
        with self.assertRaisesRegex(UserError, "cannot be set by hand"):
            ret.write({"return_type_id": self.env.ref("reverse_logistics.return_type_customer").id})
        ret.with_user(manager)._action_reject("Not under warranty")
        with self.assertRaises(AccessError):
            ret.action_draft()
        self.assertEqual(ret.state, "rejected")
        self.assertEqual(ret.reject_reason, "Not under warranty")
        ret.with_user(manager).action_draft()
        self.assertEqual(ret.state, "draft")
        self.assertIn("Not under warranty", ret.message_ids[0].body)

    def test_asset_balances_are_rebuilt_never_written(self):
        inventory = self.users["inventory_user"]
        order = self._confirmed_water_order()
        self._deliver(order.picking_ids, inventory)
        order._create_invoices().action_post()
        for role in ("returns_user", "assets_manager"):
            balance = self.env["returnable.asset.balance"].with_user(self.users[role]).search(
                [("partner_id", "=", self.partner.id), ("asset_type_id", "=", self.pallet_type.id)])
            self.assertEqual(balance.balance, 2)
            for vals in ({"qty_back": 1200}, {"deposit_qty_charged": 1200}, {"balance": 0}):
                with self.assertRaisesRegex(UserError, "cannot be set by hand"):
                    balance.write(vals)
            with self.assertRaises(AccessError):
                balance.action_refund_deposits()
        self.assertEqual(balance.deposit_qty_charged, 2)
        self.assertEqual(balance.deposit_qty_refunded, 0)

    # ------------------------------------------------------------------
    # Portal, public, recall consignees
    # ------------------------------------------------------------------
    def test_portal_reads_own_return_but_not_internal_figures(self):
        portal = self.users["portal"]
        ret, _invoice = self._machine_return(self.users["returns_user"], qty=1, partner=self.portal_partner)
        self.assertEqual(ret.user_id, self.users["returns_user"])
        own = self.env["return.order"].with_user(portal).browse(ret.id)
        self.assertEqual(own.read(["name", "state"])[0]["state"], "approved")
        for field_name in ("return_cost", "recovery_value", "processing_cost", "refund_amount"):
            with self.assertRaises(AccessError):
                own.read([field_name])
        with self.assertRaises(AccessError):
            own.write({"note": "mine"})
        with self.assertRaises(AccessError):
            self.env["return.order"].with_user(self.users["public"]).browse(ret.id).read(["name"])

    def test_portal_request_is_plain_text_in_units_and_owned_internally(self):
        sale, _delivery, _invoice = self._sell([(self.product, 3, 100.0, 0.0)], partner=self.portal_partner)
        self.policy.user_id = self.users["returns_manager"]
        returns = self.env["return.order"].with_user(self.users["portal"]).sudo()
        key = returns._get_portal_candidates(sale)[0]["key"]
        with self.assertRaisesRegex(UserError, "too long"):
            returns._create_from_portal(sale, {key: 1.0}, self.reason_defect, note="x" * 2001)
        with self.assertRaisesRegex(Exception, "no fraction of a unit"):
            with self.env.cr.savepoint():
                returns._create_from_portal(sale, {key: 0.5}, self.reason_defect)
        self.assertFalse(self.env["return.order"].search([("sale_order_id", "=", sale.id)]))
        ret = returns._create_from_portal(sale, {key: 1.0}, self.reason_defect,
                                          note='<img src="https://evil.example/x.png">Broken')
        self.assertEqual(ret.customer_note, '<img src="https://evil.example/x.png">Broken', "kept as plain text")
        self.assertFalse(ret.note)
        self.assertEqual(ret.user_id, self.users["returns_manager"], "the policy's responsible, not the customer")

    # ------------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------------
    def test_other_company_users_see_nothing(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(
            self.env, login="rl_outsider", company_id=other_company.id, company_ids=[Command.set(other_company.ids)],
            groups="reverse_logistics.group_return_manager,reverse_logistics_recall.group_recall_manager,"
                   "reverse_logistics_assets.group_asset_manager",
        )
        ret, _invoice = self._machine_return(self.users["returns_user"], qty=1)
        self._receive(ret.receipt_ids)
        self.env["return.grading.station"].grade(ret.line_ids.id, self.env.ref("reverse_logistics.grade_a").id, 1)
        order = self._confirmed_water_order()
        self._deliver(order.picking_ids, self.users["inventory_user"])
        for model in ("return.order", "return.order.line", "return.grading", "returnable.asset.balance",
                      "returnable.asset.type", "return.policy"):
            self.assertFalse(self.env[model].with_user(outsider).search([("company_id", "=", self.company.id)]), model)
        with self.assertRaises(AccessError):
            self.env["return.order"].with_user(outsider).browse(ret.id).read(["name"])
        with self.assertRaises(AccessError):
            self.env["return.order"].with_user(outsider).browse(ret.id).action_cancel()
