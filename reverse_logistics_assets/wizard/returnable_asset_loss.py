from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class ReturnableAssetLoss(models.TransientModel):
    """Assets that will never come back: invoice them, or keep the deposit, and take them off the books."""

    _name = "returnable.asset.loss"
    _description = "Declare Returnable Assets Lost"

    partner_id = fields.Many2one("res.partner", required=True)
    asset_type_id = fields.Many2one("returnable.asset.type", required=True)
    quantity = fields.Float(default=1.0, required=True)
    lot_ids = fields.Many2many("stock.lot", string="Serial Numbers")
    mode = fields.Selection(
        [("invoice", "Invoice at Replacement Value"), ("deposit", "Keep the Deposit")],
        default="invoice", required=True,
    )
    held = fields.Float(compute="_compute_held")

    @api.depends("partner_id", "asset_type_id")
    def _compute_held(self):
        for wizard in self:
            balance = self.env["returnable.asset.balance"].search([
                ("partner_id", "=", wizard.partner_id.commercial_partner_id.id),
                ("asset_type_id", "=", wizard.asset_type_id.id),
            ])
            wizard.held = balance.balance

    def action_confirm(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        balance = self.env["returnable.asset.balance"]._get_balance(partner, self.asset_type_id)
        if float_compare(self.quantity, 0, precision_digits=4) <= 0:
            raise UserError(self.env._("The quantity lost must be positive."))
        if float_compare(self.quantity, balance.balance, precision_digits=4) > 0:
            raise UserError(self.env._(
                "%(partner)s holds only %(held)s %(type)s.", partner=partner.display_name,
                held=balance.balance, type=self.asset_type_id.name))
        held = balance.deposit_qty_charged - balance.deposit_qty_refunded - balance.deposit_qty_forfeited
        if self.mode == "deposit" and float_compare(self.quantity, held, precision_digits=4) > 0:
            raise UserError(self.env._("Fewer deposits are held than units declared lost."))
        self._write_off_stock(partner)
        if self.mode == "invoice":
            move = self._invoice_loss(partner, balance)
        else:
            move = self._keep_deposit(partner, balance)
        self.env["returnable.asset.balance"]._recompute(partner, self.asset_type_id)
        return {"type": "ir.actions.act_window", "res_model": "account.move", "res_id": move.id,
                "view_mode": "form", "views": [(False, "form")]}

    def _write_off_stock(self, partner):
        """Out of the customer's location into inventory loss, so the ledger counts them lost."""
        product = self.asset_type_id.product_id
        source = partner.property_stock_customer
        loss = self.env["stock.location"].search([
            ("usage", "=", "inventory"), ("company_id", "in", [self.asset_type_id.company_id.id, False]),
            ("scrap_location", "=", False)], limit=1)
        lines = [Command.create({"product_id": product.id, "lot_id": lot.id, "quantity": 1.0,
                                 "location_id": source.id, "location_dest_id": loss.id}) for lot in self.lot_ids] \
            or [Command.create({"product_id": product.id, "quantity": self.quantity,
                                "location_id": source.id, "location_dest_id": loss.id})]
        move = self.env["stock.move"].create({
            "name": self.env._("%(type)s lost by %(partner)s", type=self.asset_type_id.name,
                               partner=partner.display_name),
            "product_id": product.id, "product_uom": product.uom_id.id, "product_uom_qty": self.quantity,
            "location_id": source.id, "location_dest_id": loss.id, "partner_id": partner.id,
            "company_id": self.asset_type_id.company_id.id, "picked": True, "move_line_ids": lines,
        })
        move._action_done()
        move.move_line_ids._update_asset_lifecycle()

    def _invoice_loss(self, partner, balance):
        """Bill the replacement value; the deposit held for those units is set off on the same invoice."""
        asset_type = self.asset_type_id
        lines = [Command.create({
            "name": self.env._("%(qty)s x %(type)s not returned", qty=self.quantity, type=asset_type.name),
            "quantity": self.quantity,
            "price_unit": asset_type.replacement_price,
        })]
        held = balance.deposit_qty_charged - balance.deposit_qty_refunded - balance.deposit_qty_forfeited
        offset = min(self.quantity, max(held, 0.0)) if asset_type.deposit_price else 0.0
        if offset:
            lines.append(Command.create({
                "name": self.env._("Deposit held for %(qty)s x %(type)s", qty=offset, type=asset_type.name),
                "quantity": offset,
                "price_unit": -asset_type.deposit_price,
                "account_id": asset_type.deposit_account_id.id,
                "tax_ids": [Command.clear()],
            }))
        invoice = self.env["account.move"].sudo().with_company(asset_type.company_id).create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "ref": self.env._("Lost %(type)s", type=asset_type.name),
            "invoice_line_ids": lines,
        })
        invoice.action_post()
        balance.deposit_qty_forfeited += offset
        return invoice

    def _keep_deposit(self, partner, balance):
        """The deposit held for these units is no longer owed: liability to income."""
        asset_type = self.asset_type_id
        company = asset_type.company_id
        amount = self.quantity * asset_type.deposit_price
        journal = self.env["account.journal"].search([
            *self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1)
        income = self.env["account.account"].search([
            *self.env["account.account"]._check_company_domain(company),
            ("account_type", "in", ("income_other", "income"))], order="account_type desc", limit=1)
        entry = self.env["account.move"].sudo().with_company(company).create({
            "move_type": "entry",
            "journal_id": journal.id,
            "ref": self.env._("Deposit kept for %(qty)s lost %(type)s", qty=self.quantity, type=asset_type.name),
            "line_ids": [
                Command.create({"account_id": asset_type.deposit_account_id.id, "partner_id": partner.id,
                                "debit": amount, "name": asset_type.name}),
                Command.create({"account_id": income.id, "partner_id": partner.id, "credit": amount,
                                "name": asset_type.name}),
            ],
        })
        entry.action_post()
        balance.deposit_qty_forfeited += self.quantity
        return entry
