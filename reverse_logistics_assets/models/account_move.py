from collections import defaultdict

from odoo import models
from odoo.tools import float_compare, float_is_zero

PRECISION = 4


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._sync_asset_deposits()
        return posted

    def button_draft(self):
        # A posted document leaves the deposit ledger when it is reset; posted again, it comes back.
        self._unlink_asset_deposits()
        return super().button_draft()

    def _get_asset_deposit_lines(self):
        """{journal item: asset type} of the items of these moves that charge or give back a deposit."""
        asset_types = self.env["returnable.asset.type"]._get_by_product(self.line_ids.product_id, active_test=False)
        if not asset_types:
            return {}
        lines = self.line_ids.filtered(lambda aml: aml.product_id in asset_types and aml.display_type == "product")
        if not lines:
            return {}
        types = self.env["returnable.asset.type"].sudo().browse([t.id for t in asset_types.values()])
        # The deposit account of the type, and any account its past charges went to (the type's account
        # may have changed since): refunds of those are deposit refunds too.
        accounts = defaultdict(set)
        for asset_type in types:
            accounts[asset_type].add(asset_type.deposit_account_id.id)
        for asset_type, account in self.env["returnable.asset.deposit"].sudo()._read_group(
                [("asset_type_id", "in", types.ids)], ["asset_type_id", "account_id"]):
            accounts[asset_type].add(account.id)
        return {line: asset_types[line.product_id] for line in lines
                if line.account_id.id in accounts[asset_types[line.product_id]] and line.account_id}

    def _sync_asset_deposits(self):
        """Record in the deposit ledger, as the system, what these posted documents did to deposits: a
        credit on the deposit account is a charge; a debit gives back (or keeps) units of charges, those
        the system named on the item, else those it refunds (the invoice line a return credits, the sale
        line's charges, the reversed invoice's), then the partner's first charged first."""
        deposit_lines = self.sudo()._get_asset_deposit_lines()
        if not deposit_lines:
            return
        ledger = self.env["returnable.asset.deposit"].sudo()
        settlements = self.env["returnable.asset.deposit.settlement"].sudo()
        lines = self.env["account.move.line"].sudo().browse([line.id for line in deposit_lines])
        known = set(ledger.search([("invoice_line_id", "in", lines.ids)]).invoice_line_id.ids)
        known |= set(settlements.search([("move_line_id", "in", lines.ids)]).move_line_id.ids)
        touched_partners, touched_types = self.env["res.partner"], self.env["returnable.asset.type"].sudo()
        for line in lines.sorted("id"):
            if line.id in known or line.parent_state != "posted":
                continue
            asset_type = deposit_lines[line].sudo()
            partner = (line.partner_id or line.move_id.partner_id).commercial_partner_id
            sign = float_compare(line.balance, 0.0, precision_rounding=line.company_currency_id.rounding)
            if not partner or not sign or float_is_zero(line.quantity, precision_digits=PRECISION):
                continue
            touched_partners |= partner
            touched_types |= asset_type
            if sign < 0 and not line.asset_deposit_id:
                ledger.create(ledger._prepare_charge_vals(line, asset_type))
                continue
            qty = abs(line.product_uom_id._compute_quantity(line.quantity, asset_type.product_id.uom_id, round=False)
                      if line.product_uom_id else line.quantity)
            settlements.create([
                {"deposit_id": charge.id, "quantity": take, "move_line_id": line.id,
                 "kind": kind, "loss_move_id": loss_move.id}
                for charge, take, kind, loss_move in line._allocate_asset_settlement(partner, asset_type, qty)
            ])
        if touched_partners:
            # Deposits now charged may be owed to a loss declared before they were: keep them now.
            self.env["returnable.asset.balance"]._settle_deposits(touched_partners, touched_types)

    def _unlink_asset_deposits(self):
        lines = self.line_ids
        settlements = self.env["returnable.asset.deposit.settlement"].sudo().search([("move_line_id", "in", lines.ids)])
        charges = self.env["returnable.asset.deposit"].sudo().search([("invoice_line_id", "in", lines.ids)])
        if not settlements and not charges:
            return
        partners = settlements.partner_id | charges.partner_id
        types = settlements.asset_type_id | charges.asset_type_id
        settlements.unlink()
        charges.unlink()  # refused when other documents refunded or kept them
        self.env["returnable.asset.balance"]._recompute(partners, types)
