from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class ReturnableAssetDeposit(models.Model):
    """One deposit charge: the posted invoice line that charged it, frozen as it was charged (partner,
    asset type, quantity, unit price and currency). Refunds and kept deposits consume the charges first
    charged first (`returnable.asset.deposit.settlement`); what is left is the deposit held."""

    _name = "returnable.asset.deposit"
    _description = "Returnable Asset Deposit"
    _order = "date, id"
    _rec_name = "invoice_line_id"

    partner_id = fields.Many2one("res.partner", required=True, readonly=True, index=True, ondelete="restrict")
    asset_type_id = fields.Many2one("returnable.asset.type", required=True, readonly=True, index=True,
                                    ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    invoice_line_id = fields.Many2one("account.move.line", required=True, readonly=True,
                                      ondelete="cascade")
    move_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice", store=True, index=True)
    account_id = fields.Many2one("account.account", string="Deposit Account", required=True, readonly=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True, index="btree_not_null")
    date = fields.Date(required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    quantity = fields.Float(string="Charged", required=True, readonly=True, digits="Product Unit of Measure")
    price_unit = fields.Monetary(readonly=True, help="Deposit per unit as charged, in the invoice's currency.")
    unit_amount = fields.Monetary(
        readonly=True, help="What one unit put on the deposit account, in the invoice's currency.")
    unit_amount_company = fields.Monetary(
        currency_field="company_currency_id", readonly=True,
        help="What one unit put on the deposit account, in the company's currency (at the invoice's rate).")
    settlement_ids = fields.One2many("returnable.asset.deposit.settlement", "deposit_id", string="Settlements",
                                     readonly=True)
    qty_refunded = fields.Float(string="Refunded", compute="_compute_quantities", store=True,
                                digits="Product Unit of Measure")
    qty_kept = fields.Float(string="Kept", compute="_compute_quantities", store=True,
                            digits="Product Unit of Measure", help="Kept for units declared lost.")
    qty_held = fields.Float(string="Held", compute="_compute_quantities", store=True,
                            digits="Product Unit of Measure")
    amount_held = fields.Monetary(compute="_compute_quantities", store=True,
                                  help="Deposit held, in the currency it was charged in.")
    amount_held_company = fields.Monetary(compute="_compute_quantities", store=True,
                                          currency_field="company_currency_id",
                                          help="Deposit held, as the deposit account holds it.")

    _sql_constraints = [
        ("invoice_line_uniq", "unique(invoice_line_id)", "A journal item charges one deposit."),
        ("quantity_positive", "CHECK(quantity > 0)", "A deposit charge is for a positive quantity."),
    ]

    @api.depends("quantity", "unit_amount", "unit_amount_company", "currency_id", "company_id.currency_id",
                 "settlement_ids.quantity", "settlement_ids.kind")
    def _compute_quantities(self):
        for deposit in self:
            refunded = sum(s.quantity for s in deposit.settlement_ids if s.kind == "refund")
            kept = sum(s.quantity for s in deposit.settlement_ids if s.kind == "kept")
            held = max(deposit.quantity - refunded - kept, 0.0)
            deposit.qty_refunded = refunded
            deposit.qty_kept = kept
            deposit.qty_held = held
            deposit.amount_held = deposit.currency_id.round(held * deposit.unit_amount)
            deposit.amount_held_company = deposit.company_id.currency_id.round(held * deposit.unit_amount_company)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_settled(self):
        if self.settlement_ids:
            raise UserError(self.env._(
                "These deposits were already refunded or kept: reverse the invoice instead of resetting it."))

    # ------------------------------------------------------------------
    # The ledger, written by the system when invoices are posted
    # ------------------------------------------------------------------
    @api.model
    def _prepare_charge_vals(self, line, asset_type):
        uom = asset_type.product_id.uom_id
        qty = line.product_uom_id._compute_quantity(line.quantity, uom, round=False) \
            if line.product_uom_id else line.quantity
        price = line.product_uom_id._compute_price(line.price_unit, uom) if line.product_uom_id else line.price_unit
        return {
            "partner_id": line.move_id.commercial_partner_id.id,
            "asset_type_id": asset_type.id,
            "company_id": line.company_id.id,
            "invoice_line_id": line.id,
            "account_id": line.account_id.id,
            "sale_line_id": line.sale_line_ids[:1].id,
            "date": line.move_id.invoice_date or line.move_id.date,
            "currency_id": line.currency_id.id,
            "quantity": abs(qty),
            "price_unit": abs(price),
            "unit_amount": abs(line.amount_currency) / abs(qty),
            "unit_amount_company": abs(line.balance) / abs(qty),
        }

    def _get_fifo(self):
        """Charges with something held, first charged first."""
        return self.filtered(lambda d: d.qty_held > 1e-6).sorted(lambda d: (d.date, d.id))

    def _allocate(self, qty):
        """[(charge, qty)] taking `qty` from these charges first charged first; less if they hold less."""
        allocation = []
        for deposit in self._get_fifo():
            if qty <= 1e-6:
                break
            take = min(qty, deposit.qty_held)
            allocation.append((deposit, take))
            qty -= take
        return allocation

    def _prepare_settlement_line_vals(self, qty, kind, sale_line=None, loss_move=None, sign=1):
        """A line giving back (or setting off) `qty` units of this charge exactly as it was charged: its
        price, discount, taxes and account, so Odoo's tax engine computes it as it computed the charge.
        `sign` -1 for a line on an invoice (a deduction) rather than on a credit note."""
        self.ensure_one()
        charge_line = self.invoice_line_id
        asset_type = self.asset_type_id
        if kind == "refund":
            name = self.env._("Deposit refund: %(qty)s x %(type)s (charged on %(invoice)s)",
                              qty=qty, type=asset_type.name, invoice=self.move_id.name)
        else:
            name = self.env._("Deposit held for %(qty)s lost %(type)s (charged on %(invoice)s)",
                              qty=qty, type=asset_type.name, invoice=self.move_id.name)
        vals = {
            "product_id": asset_type.product_id.id,
            "name": name,
            "quantity": qty,
            "product_uom_id": asset_type.product_id.uom_id.id,
            "price_unit": sign * self.price_unit,
            "discount": charge_line.discount,
            "tax_ids": [Command.set(charge_line.tax_ids.ids)],
            "account_id": charge_line.account_id.id,
            "asset_deposit_id": self.id,
            "asset_settlement_kind": kind,
        }
        if sale_line:
            vals["sale_line_ids"] = [Command.set(sale_line.ids)]
        if loss_move:
            vals["asset_loss_move_id"] = loss_move.id
        return vals
