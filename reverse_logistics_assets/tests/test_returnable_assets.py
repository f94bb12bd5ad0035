from contextlib import closing
from datetime import date, timedelta

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnableAssets(ReverseLogisticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics_assets.group_asset_manager")
        cls.deposit_account = cls.env["account.account"].create({
            "name": "Deposits held", "code": "DEPHELD", "account_type": "liability_current",
            "company_ids": [Command.set(cls.company.ids)],
        })
        cls.pallet = cls._create_rl_product("Euro Pallet", cost=8.0, price=10.0, taxes_id=False)
        cls.rental_product = cls.env["product.product"].create({"name": "Pallet rental", "type": "service"})
        cls.pallet_type = cls.env["returnable.asset.type"].create({
            "name": "Euro pallet", "product_id": cls.pallet.id, "company_id": cls.company.id,
            "deposit_price": 10.0, "deposit_account_id": cls.deposit_account.id, "replacement_price": 15.0,
            "grace_days": 30, "rental_per_day": 0.5, "rental_product_id": cls.rental_product.id,
        })
        cls.water = cls._create_rl_product("Water (case)", cost=2.0, price=5.0)
        cls.water.returnable_asset_ids = [Command.create({"asset_type_id": cls.pallet_type.id,
                                                          "units_per_asset": 40})]
        cls._stock_in(cls.pallet, 100)
        cls._stock_in(cls.water, 1000)

    def _sell_water(self, qty=100, partner=None):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.partner).id, "company_id": self.company.id,
            "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.water.id, "product_uom_qty": qty})],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        invoice = order._create_invoices()
        invoice.action_post()
        return order, picking, invoice

    def _return_assets(self, qty, condition="good", surplus=False, lots=None, asset_type=None):
        form = Form(self.env["returnable.asset.return"].with_context(default_partner_id=self.partner.id))
        form.confirm_surplus = surplus
        with form.line_ids.new() as line:
            line.asset_type_id = asset_type or self.pallet_type
            if lots:
                line.lot_ids.set(lots)
            line.quantity = qty
            line.condition = condition
        return form.save().action_confirm()

    def _balance(self, asset_type=None):
        return self.env["returnable.asset.balance"]._get_balance(self.partner, asset_type or self.pallet_type)

    def test_deposit_charged_with_goods_on_liability(self):
        order, picking, invoice = self._sell_water(100)
        asset_line = order.order_line.filtered("is_returnable_asset")
        self.assertEqual(asset_line.product_id, self.pallet)
        self.assertEqual(asset_line.product_uom_qty, 3, "100 cases at 40 per pallet travel on 3 pallets")
        self.assertEqual(asset_line.price_unit, 10.0)
        self.assertIn(self.pallet, picking.move_ids.product_id, "the pallets ship with the goods")
        deposit_line = invoice.invoice_line_ids.filtered(lambda aml: aml.product_id == self.pallet)
        self.assertEqual(deposit_line.account_id, self.deposit_account)
        self.assertAlmostEqual(deposit_line.credit, 30.0)
        self.assertFalse(deposit_line.tax_ids)
        balance = self._balance()
        self.assertEqual((balance.qty_out, balance.balance, balance.deposit_qty_charged), (3, 3, 3))
        self.assertAlmostEqual(balance.deposit_held, 30.0)
        self.assertEqual(self.partner.asset_balance_count, 3)

    def test_partial_returns_refund_deposits_once(self):
        self._sell_water(100)
        self._return_assets(2)
        balance = self._balance()
        self.assertEqual((balance.qty_back, balance.balance), (2, 1))
        refunds = self.env["account.move"].search([("partner_id", "=", self.partner.id),
                                                   ("move_type", "=", "out_refund")])
        self.assertEqual(len(refunds), 1)
        refund_line = refunds.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account)
        self.assertAlmostEqual(refund_line.debit, 20.0, msg="the liability goes down by the deposits returned")
        self.assertEqual(balance.deposit_qty_refunded, 2)
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            balance.action_refund_deposits()

        # Two more come back while the partner holds one: refused, then accepted as a counted surplus.
        with self.assertRaisesRegex(UserError, "counted surplus"):
            self._return_assets(2)
        clerk = self.env["res.users"].create({
            "name": "Dock Clerk", "login": "dock_clerk", "company_id": self.company.id,
            "company_ids": [Command.set(self.company.ids)],
            "groups_id": [Command.set(self.env.ref("reverse_logistics.group_return_user").ids)],
        })
        wizard = self.env["returnable.asset.return"].with_user(clerk).create({
            "partner_id": self.partner.id, "warehouse_id": self.warehouse.id, "confirm_surplus": True,
            "line_ids": [Command.create({"asset_type_id": self.pallet_type.id, "quantity": 2})],
        })
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        self._return_assets(2, surplus=True)
        balance = self._balance()
        self.assertEqual((balance.balance, balance.qty_back, balance.qty_surplus), (0, 3, 1))
        self.assertEqual(balance.deposit_qty_refunded, 3, "never more than was charged")
        self.assertAlmostEqual(balance.deposit_held, 0.0)

    def test_odoo_return_wizard_keeps_balance_right(self):
        order, picking, _invoice = self._sell_water(100)
        wizard = Form(self.env["stock.return.picking"].with_context(
            active_id=picking.id, active_model="stock.picking")).save()
        for line in wizard.product_return_moves:
            line.quantity = 1 if line.product_id == self.pallet else 0
        return_picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return_picking.move_ids.picked = True
        return_picking.button_validate()
        balance = self._balance()
        self.assertEqual((balance.qty_out, balance.qty_back, balance.balance), (3, 1, 2))
        asset_line = order.order_line.filtered("is_returnable_asset")
        self.assertEqual(asset_line.qty_delivered, 2, "the sale's own return logic credits the deposit")
        self.assertFalse(self.env["account.move"].search([("partner_id", "=", self.partner.id),
                                                          ("move_type", "=", "out_refund")]),
                         "no second refund path for the same unit")

    def test_overdue_follow_up_is_idempotent(self):
        _order, picking, _invoice = self._sell_water(100)
        picking.move_ids.write({"date": fields.Datetime.now() - timedelta(days=45)})
        model = self.env["returnable.asset.balance"]
        model._cron_follow_up_overdue()
        model._cron_follow_up_overdue()
        balance = self._balance()
        self.assertEqual(balance.aging, "30")
        self.assertEqual(balance.days_out, 45)
        self.assertEqual(len(balance.activity_ids), 1)
        reminders = self.partner.message_ids.filtered(lambda m: "please return the Euro pallet" in (m.body or ""))
        self.assertEqual(len(reminders), 1)
        picking.move_ids.write({"date": fields.Datetime.now() - timedelta(days=80)})
        model._cron_follow_up_overdue()
        self.assertEqual(balance.aging, "60")
        self.assertEqual(len(self.partner.message_ids.filtered(
            lambda m: "please return the Euro pallet" in (m.body or ""))), 2, "a later bucket reminds again")
        self.assertEqual(len(balance.activity_ids), 1)

    def test_rental_invoiced_once_per_period(self):
        _order, picking, _invoice = self._sell_water(80)
        today = fields.Date.context_today(self.env["returnable.asset.rental"])
        period_end = date(today.year, today.month, 1) - timedelta(days=1)
        period_start = date(period_end.year, period_end.month, 1)
        delivered = fields.Datetime.to_datetime(period_start) - timedelta(days=20)
        picking.move_ids.write({"date": delivered})
        self.env["returnable.asset.balance"]._recompute(self.partner)
        rental_model = self.env["returnable.asset.rental"]
        rentals = rental_model._cron_invoice_rental(today=today)
        self.assertEqual(len(rentals), 1)
        # Chargeable from delivery + 30 days, i.e. 10 days into the period, to its end; 2 pallets.
        days = (period_end - period_start).days + 1 - 10
        self.assertAlmostEqual(rentals.unit_days, 2 * days)
        self.assertAlmostEqual(rentals.invoice_id.amount_untaxed, 2 * days * 0.5)
        self.assertFalse(rental_model._cron_invoice_rental(today=today), "once per period")

    def test_rental_cron_runs_in_chunks(self):
        """Above its chunk size the rental cron invoices part of the balances per call (Odoo commits each
        call and calls again); balances invoiced by an earlier call are never invoiced again."""
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.rental", 1)
        other = self.env["res.partner"].create({"name": "Second brewery"})
        today = fields.Date.context_today(self.env["returnable.asset.rental"])
        period_end = date(today.year, today.month, 1) - timedelta(days=1)
        period_start = date(period_end.year, period_end.month, 1)
        for partner in (self.partner, other):
            _order, picking, _invoice = self._sell_water(80, partner=partner)
            picking.move_ids.write({"date": fields.Datetime.to_datetime(period_start) - timedelta(days=20)})
        self.env["returnable.asset.balance"]._recompute(self.partner | other)
        # Run by Odoo's cron worker: one balance per call, the rest reported to _notify_progress.
        with closing(self.env.cr.savepoint()):
            progress = [self._run_cron("reverse_logistics_assets.ir_cron_asset_rental") for _run in range(3)]
            self.assertEqual(progress, [(1, 1), (1, 0), (0, 0)])
            self.assertEqual(self.env["returnable.asset.rental"].search_count(
                [("partner_id", "in", (self.partner | other).ids)]), 2)
        rental_model = self.env["returnable.asset.rental"]
        first = rental_model._cron_invoice_rental(today=today)
        second = rental_model._cron_invoice_rental(today=today)
        self.assertEqual((len(first), len(second)), (1, 1))
        self.assertEqual((first | second).partner_id, self.partner | other)
        self.assertFalse(rental_model._cron_invoice_rental(today=today), "nothing left: no balance invoiced twice")
        days = (period_end - period_start).days + 1 - 10
        self.assertEqual((first | second).mapped("unit_days"), [2 * days, 2 * days])

    def test_follow_up_cron_runs_in_chunks(self):
        """Above its chunk size the follow-up cron reminds part of the overdue balances per call; a
        balance reminded by an earlier call is not reminded again in the same aging bucket."""
        self.env["ir.config_parameter"].sudo().set_param("reverse_logistics.batch_limit.followup", 1)
        other = self.env["res.partner"].create({"name": "Second brewery", "email": "beer@example.com"})
        for partner in (self.partner, other):
            _order, picking, _invoice = self._sell_water(80, partner=partner)
            picking.move_ids.write({"date": fields.Datetime.now() - timedelta(days=45)})
        model = self.env["returnable.asset.balance"]

        def reminders():
            return (self.partner | other).message_ids.filtered(
                lambda m: "please return the Euro pallet" in (m.body or ""))

        # Run by Odoo's cron worker: one balance per call, the rest reported to _notify_progress.
        cron = "reverse_logistics_assets.ir_cron_asset_followup"
        self.assertEqual(self._run_cron(cron), (1, 1))
        self.assertEqual(len(reminders()), 1, "one balance per call")
        self.assertEqual(self._run_cron(cron), (1, 0))
        self.assertEqual(len(reminders()), 2)
        model._cron_follow_up_overdue()
        self.assertEqual(len(reminders()), 2, "nothing left: no balance reminded twice")
        self.assertEqual(sorted(reminders().mapped("res_id")), sorted((self.partner | other).ids))
        for partner in (self.partner, other):
            balance = model._get_balance(partner, self.pallet_type)
            self.assertEqual((balance.aging, len(balance.activity_ids)), ("30", 1))

    def test_deposit_refunds_above_limit_run_in_chunks(self):
        """Refunding the deposits of more balances than one request should handle flags them for the refund
        cron, which refunds them chunk by chunk; a call that crashes before its commit refunds nothing and
        leaves its balances flagged, the next call refunds them once."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics.batch_limit.deposit_refund", 1)
        params.set_param("reverse_logistics.batch_limit.deposit_refund_chunk", 1)
        other = self.env["res.partner"].create({"name": "Second brewery"})
        partners = self.partner | other
        for partner in partners:
            self._sell_water(80, partner=partner)  # 2 pallets each, deposits charged with the goods
            # Counted back at the dock without refunding at receipt: the deposits wait for Billing.
            self.env["returnable.asset.return"].create({
                "partner_id": partner.id, "warehouse_id": self.warehouse.id, "refund_at_receipt": False,
                "line_ids": [Command.create({"asset_type_id": self.pallet_type.id, "quantity": 2})],
            }).action_confirm()
        balances = self.env["returnable.asset.balance"]._recompute(partners, self.pallet_type)
        self.assertEqual(len(balances), 2)
        accountant = new_test_user(
            self.env, login="rl_deposit_accountant", company_id=self.company.id, company_ids=self.company.ids,
            groups="base.group_user,account.group_account_invoice,sales_team.group_sale_salesman")

        def deposit_refunds():
            return self.env["account.move"].search([("partner_id", "in", partners.ids),
                                                    ("move_type", "=", "out_refund")])

        action = balances.with_user(accountant).action_refund_deposits()
        self.assertEqual(action["tag"], "display_notification")
        self.assertFalse(deposit_refunds(), "queued: nothing refunded in the request")
        # Queued on the balances themselves, with who asked: what the list and the form show.
        self.assertEqual(balances.mapped("deposit_refund_queued"), [True, True])
        self.assertEqual(balances.deposit_refund_user_id, accountant)
        self.assertEqual(action["params"]["next"]["domain"], [("id", "in", balances.ids)])

        # One balance per call (chunk of 1): Odoo's cron worker commits it and calls again at once.
        self.assertEqual(self._run_cron("reverse_logistics_assets.ir_cron_asset_deposit_refund"), (1, 1))
        self.assertEqual((len(balances.filtered("deposit_refund_queued")), len(deposit_refunds())), (1, 1))
        # The server dies before the second call commits: its refund and its flag are rolled back together.
        with self.assertRaisesRegex(RuntimeError, "crash"), self.env.cr.savepoint():
            self._run_cron("reverse_logistics_assets.ir_cron_asset_deposit_refund")
            self.assertEqual(len(deposit_refunds()), 2)
            raise RuntimeError("crash before the commit")
        self.assertEqual((len(balances.filtered("deposit_refund_queued")), len(deposit_refunds())), (1, 1))
        progress = [self._run_cron("reverse_logistics_assets.ir_cron_asset_deposit_refund") for _run in range(3)]
        self.assertEqual(progress, [(1, 0), (0, 0), (0, 0)])
        self.assertFalse(balances.filtered("deposit_refund_queued"), "done: nothing waits")
        self.assertFalse(balances.deposit_refund_user_id)
        refunds = deposit_refunds()
        self.assertEqual(sorted(refunds.partner_id.ids), sorted(partners.ids), "one credit note per balance")
        self.assertEqual(set(refunds.mapped("state")), {"posted"})
        for refund in refunds:
            # 2 pallets back at a deposit of 10.00, no tax on deposits.
            self.assertAlmostEqual(refund.amount_total, 2 * 10.0)
            self.assertAlmostEqual(sum(refund.line_ids.filtered(
                lambda aml: aml.account_id == self.deposit_account).mapped("debit")), 2 * 10.0)
            self.assertEqual(refund.create_uid, accountant, "made with the rights of the accountant who asked")
        for balance in balances:
            self.assertEqual(balance.deposit_qty_refunded, 2)
            credit_note = refunds.filtered(lambda m, b=balance: m.partner_id == b.partner_id)
            self.assertIn(credit_note.name, balance.message_ids[0].body, "told on the balance")

    def _run_cron(self, xmlid):
        """One call of a cron as Odoo's cron worker makes it (with its progress record, as the cron's
        user); returns (done, remaining) as the cron reported them to _notify_progress."""
        cron = self.env.ref(xmlid)
        cron, progress = cron.with_user(cron.user_id)._add_progress()
        cron.ir_actions_server_id.run()
        return progress.done, progress.remaining

    def test_loss_wizard(self):
        self._sell_water(120)
        form = Form(self.env["returnable.asset.loss"])
        form.partner_id = self.partner
        form.asset_type_id = self.pallet_type
        form.quantity = 1
        form.mode = "invoice"
        invoice = self.env["account.move"].browse(form.save().action_confirm()["res_id"])
        # Replacement 15 less the deposit of 10 the customer already paid, set off on the liability.
        self.assertAlmostEqual(invoice.amount_untaxed, 5.0)
        self.assertAlmostEqual(
            invoice.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account).debit, 10.0)
        balance = self._balance()
        self.assertEqual((balance.qty_lost, balance.balance), (1, 2))
        wizard = self.env["returnable.asset.loss"].create({
            "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": 1, "mode": "deposit"})
        entry = self.env["account.move"].browse(wizard.action_confirm()["res_id"])
        self.assertAlmostEqual(entry.line_ids.filtered(lambda aml: aml.account_id == self.deposit_account).debit, 10.0)
        balance = self._balance()
        self.assertEqual((balance.qty_lost, balance.balance), (2, 1))
        self.assertAlmostEqual(balance.deposit_held, 10.0)
        with self.assertRaisesRegex(UserError, "holds only"):
            self.env["returnable.asset.loss"].create({
                "partner_id": self.partner.id, "asset_type_id": self.pallet_type.id, "quantity": 5}).action_confirm()

    def test_serialized_lifecycle_and_manual_delivery(self):
        keg = self._create_rl_product("Keg 50 l", cost=90.0, price=0.0, tracking="serial", taxes_id=False)
        keg_type = self.env["returnable.asset.type"].create({
            "name": "Keg", "product_id": keg.id, "company_id": self.company.id, "grace_days": 60})
        beer = self._create_rl_product("Lager 50 l", cost=60.0, price=150.0)
        beer.returnable_asset_ids = [Command.create({"asset_type_id": keg_type.id, "units_per_asset": 1})]
        self._stock_in(beer, 10)
        lots = [self._stock_in(keg, 1, f"GRAI-KEG-{i}") for i in range(2)]
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner.id,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
            "move_ids": [Command.create({
                "name": "beer", "product_id": beer.id, "product_uom_qty": 2, "product_uom": beer.uom_id.id,
                "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id})],
        })
        picking.action_confirm()
        keg_move = picking.move_ids.filtered(lambda m: m.product_id == keg)
        self.assertEqual(keg_move.product_uom_qty, 2, "two kegs added on confirmation")
        self.assertTrue(keg_move.asset_auto)
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        for lot in lots:
            self.assertEqual((lot.asset_state, lot.asset_trip_count, lot.asset_last_partner_id),
                             ("at_customer", 1, self.partner))
        self._return_assets(1, lots=lots[0], asset_type=keg_type)
        self._return_assets(1, condition="repair", lots=lots[1], asset_type=keg_type)
        self.assertEqual(lots[0].asset_state, "cleaning")
        self.assertEqual(lots[1].asset_state, "repair")
        balance = self._balance(keg_type)
        self.assertEqual((balance.balance, balance.qty_damaged), (0, 1))
        self.assertGreaterEqual(balance.average_days_out, 0.0)
        lots[0].action_asset_available()
        self.assertEqual(lots[0].asset_state, "available")
        self.assertEqual(keg_type.recovery_rate, 100.0)
        self.assertEqual(keg_type.average_trips, 1.0)

    def test_cannot_delete_invoiced_asset_moves(self):
        self.pallet.invoice_policy = "order"
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id, "company_id": self.company.id, "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.water.id, "product_uom_qty": 40})],
        })
        order.action_confirm()
        order.order_line.filtered("is_returnable_asset").qty_to_invoice  # noqa: B018 (compute before invoicing)
        invoice = order._create_invoices()
        invoice.action_post()
        pallet_move = order.picking_ids.move_ids.filtered(lambda m: m.product_id == self.pallet)
        pallet_move._action_cancel()
        with self.assertRaisesRegex(UserError, "deposit was invoiced"):
            pallet_move.unlink()

    def test_statement_report(self):
        self._sell_water(40)
        self.env["returnable.asset.balance"]._recompute(self.partner)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "reverse_logistics_assets.report_asset_statement", self.partner.ids)[0]
        self.assertIn(b"Euro pallet", html)
        self.assertIn(b"We confirm holding", html)
        # Drawn for real by wkhtmltopdf too, not only as the HTML tests get by default.
        pdf, kind = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "reverse_logistics_assets.report_asset_statement", self.partner.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
