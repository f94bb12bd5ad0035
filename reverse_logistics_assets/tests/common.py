from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import Form, new_test_user

# The figures: a pallet's deposit of 12.50 on a liability account, its replacement value 20.00,
# 30 grace days, rental 0.10 a day beyond them; 40 cases of water travel on one pallet.
DEPOSIT = 12.50
REPLACEMENT = 20.00
GRACE_DAYS = 30
RENTAL = 0.10
CASES_PER_PALLET = 40
CASE_PRICE = 5.0
TAX = 0.15


class AssetsCommon(ReverseLogisticsCommon):
    """Pallets that carry water, and the people who work with them: the salesman who sells the water,
    the warehouse clerk who ships and counts the pallets back, the accountant (Billing) who invoices and
    refunds, and the Returnable Assets Manager who accepts surpluses and declares losses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics_assets.group_asset_manager")
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.salesman = new_test_user(cls.env, login="rl_assets_salesman", password="rl_assets_salesman",
                                     groups="sales_team.group_sale_salesman", **company)
        cls.clerk = new_test_user(cls.env, login="rl_assets_clerk", password="rl_assets_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.accountant = new_test_user(cls.env, login="rl_assets_accountant", password="rl_assets_accountant",
                                       groups="account.group_account_invoice", **company)
        cls.assets_manager = new_test_user(
            cls.env, login="rl_assets_manager", password="rl_assets_manager",
            groups="reverse_logistics_assets.group_asset_manager", **company)
        cls.partner.user_id = cls.salesman
        cls.deposit_account = cls.env["account.account"].create({
            "name": "Deposits held", "code": "RLDEPO", "account_type": "liability_current",
            "company_ids": [Command.set(cls.company.ids)],
        })
        cls.receivable_account = cls.partner.with_company(cls.company).property_account_receivable_id
        cls.pallet = cls._create_rl_product("Euro Pallet", cost=8.0, price=0.0, taxes_id=False)
        cls.rental_product = cls.env["product.product"].create({
            "name": "Pallet rental", "type": "service", "taxes_id": False})
        cls.pallet_type = cls.env["returnable.asset.type"].create({
            "name": "Euro pallet", "product_id": cls.pallet.id, "company_id": cls.company.id,
            "deposit_price": DEPOSIT, "deposit_account_id": cls.deposit_account.id,
            "replacement_price": REPLACEMENT, "grace_days": GRACE_DAYS, "rental_per_day": RENTAL,
            "rental_product_id": cls.rental_product.id,
        })
        cls.water = cls._create_rl_product("Water (case)", cost=2.0, price=CASE_PRICE)
        cls.water.returnable_asset_ids = [Command.create({
            "asset_type_id": cls.pallet_type.id, "units_per_asset": CASES_PER_PALLET})]
        cls._stock_in(cls.pallet, 100)
        cls._stock_in(cls.water, 2000)

    # ------------------------------------------------------------------
    # The work, each step as the person who does it
    # ------------------------------------------------------------------
    def _order_water(self, cases, partner=None, seller=None, **vals):
        """The salesman sells and confirms; the pallets join the order on confirmation."""
        order = self.env["sale.order"].with_user(seller or self.salesman).create({
            "partner_id": (partner or self.partner).id, "company_id": self.company.id,
            "warehouse_id": self.warehouse.id,
            "order_line": [Command.create({"product_id": self.water.id, "product_uom_qty": cases})],
            **vals,
        })
        order.action_confirm()
        return order.with_user(self.env.user)

    def _ship(self, order, quantities=None):
        """The clerk ships the open delivery (all of it, or {product: qty} with a backorder)."""
        picking = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")).with_user(self.clerk)
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = (quantities or {}).get(move.product_id, move.product_uom_qty)
            move.picked = True
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
            Form(self.env["stock.backorder.confirmation"].with_user(self.clerk).with_context(
                **res["context"])).save().process()
        self.assertEqual(picking.state, "done")
        return picking.with_user(self.env.user)

    def _invoice(self, order):
        """The accountant invoices what was delivered and posts it (final, as the Create Invoice wizard
        does by default: returned units are credited)."""
        invoice = order.with_user(self.accountant)._create_invoices(final=True)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        return invoice.with_user(self.env.user)

    def _sell(self, cases, partner=None, invoice=True, seller=None, **vals):
        order = self._order_water(cases, partner=partner, seller=seller, **vals)
        picking = self._ship(order)
        return order, picking, self._invoice(order) if invoice else self.env["account.move"]

    def _count_back(self, qty, partner=None, user=None, asset_type=None, lots=None, **vals):
        """Assets counted back at the dock with the wizard (the clerk, unless told)."""
        wizard = self.env["returnable.asset.return"].with_user(user or self.clerk).create({
            "partner_id": (partner or self.partner).id, "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({
                "asset_type_id": (asset_type or self.pallet_type).id, "quantity": qty,
                **({"lot_ids": [Command.set(lots.ids)]} if lots else {})})],
            **vals,
        })
        return self.env["stock.picking"].browse(wizard.action_confirm()["res_id"])

    def _odoo_return(self, picking, quantities, to_refund=True, user=None):
        """Odoo's Return on a done transfer, as the clerk (or `user`) does it: {product: qty}."""
        user = user or self.clerk
        wizard = Form(self.env["stock.return.picking"].with_user(user).with_context(
            active_id=picking.id, active_model="stock.picking")).save()
        for line in wizard.product_return_moves:
            line.quantity = quantities.get(line.product_id, 0)
            line.to_refund = to_refund
        returned = self.env["stock.picking"].with_user(user).browse(wizard.action_create_returns()["res_id"])
        returned.action_assign()
        for move in returned.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        returned.button_validate()
        self.assertEqual(returned.state, "done")
        return returned.with_user(self.env.user)

    def _refund_deposits(self, partner=None, user=None):
        balance = self._balance(partner)
        return balance.with_user(user or self.accountant).action_refund_deposits()

    # ------------------------------------------------------------------
    # What the books say, read as the superuser
    # ------------------------------------------------------------------
    def _balance(self, partner=None, asset_type=None):
        return self.env["returnable.asset.balance"]._get_balance(partner or self.partner,
                                                                 asset_type or self.pallet_type)

    def _account_balance(self, account, partner=None, currency=False):
        """Debit less credit on an account for the partner (amount in the given currency if told)."""
        lines = self.env["account.move.line"].search([
            ("account_id", "=", account.id), ("parent_state", "=", "posted"),
            ("partner_id", "=", (partner or self.partner).id)])
        return sum(lines.mapped("amount_currency" if currency else "balance"))

    def _liability(self, partner=None, currency=False):
        """What the deposit account owes the partner (credit less debit)."""
        return -self._account_balance(self.deposit_account, partner, currency)

    def _receivable(self, partner=None, currency=False):
        return self._account_balance(self.receivable_account, partner, currency)

    def _deposit_credit_notes(self, partner=None):
        return self.env["account.move"].search([
            ("partner_id", "=", (partner or self.partner).id), ("move_type", "=", "out_refund"),
            ("state", "=", "posted"), ("line_ids.account_id", "=", self.deposit_account.id)], order="id")

    def _pallets_in_stock(self):
        return self._quant_qty(self.pallet, self.stock_location)
