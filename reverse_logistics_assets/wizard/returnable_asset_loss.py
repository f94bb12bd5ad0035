import math

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from ..models.returnable_asset_balance import DepositAllocator


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

    @api.depends("partner_id.commercial_partner_id", "asset_type_id")
    def _compute_held(self):
        for wizard in self:
            balance = self.env["returnable.asset.balance"].search([
                ("partner_id", "=", wizard.partner_id.commercial_partner_id.id),
                ("asset_type_id", "=", wizard.asset_type_id.id),
            ])
            wizard.held = balance.balance

    def action_confirm(self):
        """Declare the loss (Returnable Assets Manager). The stock and the accounting are the system's:
        the manager needs no Inventory or Invoicing rights of his own, so they run as superuser once his
        group and the figures are checked; nothing is done when a check fails."""
        self.ensure_one()
        if not self.env.user.has_group("reverse_logistics_assets.group_asset_manager"):
            raise AccessError(self.env._("Only a Returnable Assets Manager may declare assets lost."))
        self.asset_type_id.check_access("read")
        partner = self.partner_id.commercial_partner_id
        balance = self.env["returnable.asset.balance"]._get_balance(partner, self.asset_type_id)
        self._check_loss(partner, balance)
        position = balance._get_deposit_position()
        keep = self._get_deposit_to_keep(position)
        if self.mode == "deposit" and float_compare(keep, self.quantity, precision_digits=4) < 0:
            raise UserError(self.env._(
                "Deposits are held for only %(held)s of these %(qty)s %(type)s: invoice them at their replacement "
                "value instead (the deposits held are set off).", held=keep, qty=self.quantity,
                type=self.asset_type_id.name))
        wizard = self.sudo()
        move = wizard._prepare_loss_move(partner)
        kept = DepositAllocator(position).take(keep) if keep else []
        if self.mode == "invoice":
            documents = wizard._invoice_loss(partner, balance, move, kept)
        else:
            documents = balance.sudo()._create_settlement_documents([], [(move, charge, qty) for charge, qty in kept])
        documents._post(soft=False)
        # Done after the documents: the loss then finds its deposit kept and waits only for the rest.
        move._action_done()
        return {"type": "ir.actions.act_window", "res_model": "account.move", "res_id": documents[:1].id,
                "view_mode": "form", "views": [(False, "form")]}

    def _check_loss(self, partner, balance):
        if not math.isfinite(self.quantity) or self.quantity > 1e9 \
                or float_compare(self.quantity, 0, precision_digits=4) <= 0:
            raise UserError(self.env._("The quantity lost must be a positive number."))
        if float_compare(self.quantity, balance.balance, precision_digits=4) > 0:
            raise UserError(self.env._(
                "%(partner)s holds only %(held)s %(type)s.", partner=partner.display_name,
                held=balance.balance, type=self.asset_type_id.name))
        if self.asset_type_id.product_id.tracking == "serial" or self.lot_ids:
            lots = self.lot_ids.sudo()
            if len(lots) != self.quantity:
                raise UserError(self.env._("Name each serial number lost: %(qty)s expected.", qty=self.quantity))
            wrong = lots.filtered(lambda lot: lot.product_id != self.asset_type_id.product_id
                                  or lot.asset_state != "at_customer" or lot.asset_last_partner_id != partner)
            if wrong:
                raise UserError(self.env._("%(partner)s does not hold %(lots)s.", partner=partner.display_name,
                                           lots=", ".join(wrong.mapped("name"))))

    def _get_deposit_to_keep(self, position):
        """Units of deposit kept for this loss now: the deposits held that neither earlier losses nor the
        order's refunds speak for (a deposit charged later is kept when it is charged)."""
        pending = sum(qty for _move, qty in position["pending"])
        free = position["held"] - pending - sum(position["reserved"].values())
        return min(self.quantity, max(free, 0.0)) if self.asset_type_id.deposit_account_id else 0.0

    def _prepare_loss_move(self, partner):
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
            "asset_loss_mode": self.mode,
        })
        move._action_confirm()
        return move

    def _invoice_loss(self, partner, balance, move, kept):
        """Bill the replacement value; the deposit held for those units is set off on the same invoice
        (deposits charged in another currency by a credit note in theirs). Returns the draft documents."""
        asset_type = self.asset_type_id
        company = asset_type.company_id
        lines = [Command.create({
            "name": self.env._("%(qty)s x %(type)s not returned", qty=self.quantity, type=asset_type.name),
            "quantity": self.quantity,
            "price_unit": asset_type.replacement_price,
        })]
        elsewhere = []
        for charge, qty in kept:
            if charge.currency_id == company.currency_id:
                lines.append(Command.create(charge._prepare_settlement_line_vals(qty, "kept", loss_move=move,
                                                                                 sign=-1)))
            else:
                elsewhere.append((move, charge, qty))
        invoice = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "company_id": company.id,
            "ref": self.env._("Lost %(type)s", type=asset_type.name),
            "invoice_line_ids": lines,
        })
        return invoice | balance.sudo()._create_settlement_documents([], elsewhere)
