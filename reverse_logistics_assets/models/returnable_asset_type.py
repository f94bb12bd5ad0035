from odoo import Command, api, fields, models, tools
from odoo.addons.reverse_logistics.tools import refuse_mail_creation
from odoo.exceptions import ValidationError


class ReturnableAssetType(models.Model):
    _name = "returnable.asset.type"
    _description = "Returnable Asset Type"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one(
        "product.product", required=True, check_company=True, tracking=True,
        domain="[('is_storable', '=', True)]",
        help="The storable product that represents one asset (serial-tracked to follow each one).",
    )
    deposit_price = fields.Monetary(
        tracking=True, help="Charged per unit with the goods and refunded on return. 0 for pooled assets.",
    )
    deposit_account_id = fields.Many2one(
        "account.account", check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Liability account of the deposits held: deposits are owed back, not revenue.",
    )
    replacement_price = fields.Monetary(help="Invoiced per unit declared lost.")
    grace_days = fields.Integer(default=30, help="Days a customer may keep an asset without rental.")
    rental_per_day = fields.Monetary(string="Rental per Day", help="Charged per unit and day beyond the grace days.")
    rental_product_id = fields.Many2one(
        "product.product", check_company=True, domain="[('type', '=', 'service')]",
    )
    balance_ids = fields.One2many("returnable.asset.balance", "asset_type_id", string="Balances")
    units_out = fields.Float(compute="_compute_metrics", string="At Customers")
    recovery_rate = fields.Float(compute="_compute_metrics", string="Recovery Rate (%)")
    loss_rate = fields.Float(compute="_compute_metrics", string="Loss Rate (%)")
    average_days_out = fields.Float(compute="_compute_metrics")
    average_trips = fields.Float(compute="_compute_metrics", string="Average Trips per Asset")

    _sql_constraints = [
        ("product_uniq", "unique(product_id)", "A product represents one asset type only."),
    ]

    @api.constrains("deposit_price", "deposit_account_id")
    def _check_deposit_account(self):
        for asset_type in self:
            if asset_type.deposit_price < 0 or asset_type.rental_per_day < 0 or asset_type.grace_days < 0:
                raise ValidationError(self.env._("Prices and grace days of an asset type cannot be negative."))
            if asset_type.deposit_price and not asset_type.deposit_account_id:
                raise ValidationError(self.env._(
                    "%(type)s charges a deposit: give it the liability account that holds deposits.",
                    type=asset_type.name))

    @api.depends("product_id", "balance_ids.balance", "balance_ids.qty_out", "balance_ids.qty_back",
                 "balance_ids.qty_lost", "balance_ids.average_days_out")
    def _compute_metrics(self):
        # Not stored: the serials' trip counts (read by product) are read afresh each time.
        trips = {product.id: (total, count) for product, total, count in self.env["stock.lot"]._read_group(
            [("product_id", "in", self.product_id.ids)], ["product_id"], ["asset_trip_count:sum", "__count"])}
        for asset_type in self:
            balances = asset_type.balance_ids
            out = sum(balances.mapped("qty_out"))
            asset_type.units_out = sum(balances.mapped("balance"))
            asset_type.recovery_rate = 100.0 * sum(balances.mapped("qty_back")) / out if out else 0.0
            asset_type.loss_rate = 100.0 * sum(balances.mapped("qty_lost")) / out if out else 0.0
            closed = balances.filtered("average_days_out")
            asset_type.average_days_out = sum(closed.mapped("average_days_out")) / len(closed) if closed else 0.0
            total, count = trips.get(asset_type.product_id.id, (0, 0))
            asset_type.average_trips = total / count if count else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        types = super().create(vals_list)
        self.env.registry.clear_cache()
        types._count_past_moves()
        return types

    def write(self, vals):
        res = super().write(vals)
        if "product_id" in vals or "active" in vals:
            self.env.registry.clear_cache()
        if "product_id" in vals:
            # Moves of the previous product keep this type (their past); the new product's count from now.
            self._count_past_moves()
        return res

    def _count_past_moves(self):
        """A product becoming an asset: its done moves not counted yet are counted now, in date order, and
        its posted deposit lines enter the ledger (also what the upgrade to the ledger runs)."""
        moves = self.env["stock.move"].sudo().search(
            [("product_id", "in", self.product_id.ids), ("state", "=", "done"), ("asset_type_id", "=", False)])
        if moves:
            moves._freeze_asset_counts(self._get_by_product(moves.product_id, active_test=False))
            counted = moves.filtered("asset_kind")
            self.env["returnable.asset.balance"]._recompute(counted.asset_partner_id, counted.asset_type_id)
        lines = self.env["account.move.line"].sudo().search([
            ("product_id", "in", self.filtered("deposit_account_id").product_id.ids),
            ("parent_state", "=", "posted"), ("asset_deposit_id", "=", False)])
        if lines:
            lines.move_id.sorted(lambda m: (m.date, m.id))._sync_asset_deposits()

    @api.ondelete(at_uninstall=False)
    def _unlink_clear_asset_products(self):
        self.env.registry.clear_cache()

    @api.model
    @tools.ormcache()
    def _get_asset_product_ids(self):
        """Products that stand for an asset type, cached: every transfer and invoice asks, few carry assets."""
        return frozenset(product.id for [product] in self.sudo().with_context(active_test=False)._read_group(
            [], ["product_id"]))

    @api.model
    def _get_by_product(self, products, active_test=True):
        """{product: asset type} for the products that represent an asset (archived types too with
        active_test=False: assets of an archived type still come back and are still owed).

        Asset types are configuration that transfers and invoices of every user read: hooks call this
        without Returns rights, hence sudo; products without an asset cost no query.
        """
        asset_product_ids = self._get_asset_product_ids()
        products = products.filtered(lambda p: p.id in asset_product_ids)
        if not products:
            return {}
        types = self.sudo().with_context(active_test=active_test).search(
            [("product_id", "in", products.ids)]).with_env(self.sudo().env)
        return {t.product_id: t for t in types}

    def _get_deposit_price(self, order, qty=1.0):
        """The deposit of one asset on a sale order, in the order's currency: a rule of the order's
        pricelist for the asset's product when it has one (a deposit fixed per currency or customer), else
        the type's deposit converted from the company's currency at the order's date."""
        self.ensure_one()
        if not self.deposit_price:
            return 0.0
        product = self.product_id
        pricelist = order.pricelist_id
        date = order.date_order or fields.Datetime.now()
        if pricelist:
            rule = self.env["product.pricelist.item"].browse(
                pricelist._get_product_rule(product, qty, uom=product.uom_id, date=date))
            if rule.applied_on in ("0_product_variant", "1_product"):
                return pricelist._get_product_price(product, qty, currency=order.currency_id, uom=product.uom_id,
                                                    date=date)
        return self.currency_id._convert(self.deposit_price, order.currency_id or self.currency_id,
                                         order.company_id or self.company_id, date)

    def _is_deposit_line(self, line):
        """Whether a journal item charges or gives back this type's deposit: its product on the deposit
        account (a pallet sold outright goes to revenue and is no deposit)."""
        self.ensure_one()
        return bool(self.deposit_account_id and line.product_id == self.product_id
                    and line.account_id == self.deposit_account_id and line.display_type == "product")

    @api.model
    def _demo_prepare(self):
        """Demo: pallet and keg types, products that travel on them, and balances built by real flows."""
        ref = self.env.ref
        company = ref("base.main_company")
        liability = self.env["account.account"].search([
            *self.env["account.account"]._check_company_domain(company),
            ("account_type", "=", "liability_current")], limit=1)
        if not liability:
            return False
        pallet = self.create({
            "name": "Euro pallet", "company_id": company.id,
            "product_id": ref("reverse_logistics_assets.product_demo_euro_pallet").id,
            "deposit_price": 12.0, "deposit_account_id": liability.id, "replacement_price": 18.0,
            "grace_days": 30, "rental_per_day": 0.1,
            "rental_product_id": ref("reverse_logistics_assets.product_demo_pallet_rental").id,
        })
        self.create({
            "name": "Keg 30 l", "company_id": company.id,
            "product_id": ref("reverse_logistics_assets.product_demo_keg").id, "grace_days": 45,
        })
        beans = ref("reverse_logistics.product_demo_beans", raise_if_not_found=False)
        if not beans:
            return True
        beans.product_tmpl_id.returnable_asset_ids = [Command.create({
            "asset_type_id": pallet.id, "units_per_asset": 20})]
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": pallet.product_id.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 200,
        }).action_apply_inventory()
        for partner_xmlid, qty in (("base.res_partner_2", 60), ("base.res_partner_3", 45)):
            order = self.env["sale.order"].create({
                "partner_id": ref(partner_xmlid).id, "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": beans.id, "product_uom_qty": qty})],
            })
            order.action_confirm()
            order.picking_ids.action_assign()
            order.picking_ids.move_ids.picked = True
            order.picking_ids.with_context(skip_sms=True).button_validate()
            order._create_invoices().action_post()
        # One customer brings two pallets back.
        self.env["returnable.asset.return"].create({
            "partner_id": ref("base.res_partner_2").id, "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"asset_type_id": pallet.id, "quantity": 2})],
        }).action_confirm()
        return True

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        refuse_mail_creation(self)

