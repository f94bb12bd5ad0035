from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Set by the system on the items it makes to give back or keep a deposit: which charge they settle.
    asset_deposit_id = fields.Many2one("returnable.asset.deposit", string="Deposit Settled", copy=False,
                                       readonly=True, index="btree_not_null", ondelete="restrict")
    asset_settlement_kind = fields.Selection([("refund", "Refunded"), ("kept", "Kept")], copy=False,
                                             readonly=True)
    asset_loss_move_id = fields.Many2one("stock.move", string="Asset Loss", copy=False, readonly=True)

    def _get_asset_protected_fields(self):
        """Which deposit charge an item settles is the system's: users writing it are refused with the
        fields' names (an accountant pointing a credit note at another customer's deposit)."""
        return ["asset_deposit_id", "asset_settlement_kind", "asset_loss_move_id"]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self._check_asset_protected_fields({name for vals in vals_list for name in vals})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_asset_protected_fields(vals)
        return super().write(vals)

    def _check_asset_protected_fields(self, names):
        forbidden = [name for name in self._get_asset_protected_fields() if name in names]
        if forbidden:
            raise UserError(self.env._(
                "Which deposit a journal item settles (%(fields)s) is set by the system only.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in forbidden)))

    def _allocate_asset_settlement(self, partner, asset_type, qty):
        """[(charge, units, kind, loss move)] this debit on the deposit account settles."""
        self.ensure_one()
        result = []
        named = self.asset_deposit_id.sudo()
        if named and named.partner_id == partner and named.asset_type_id == asset_type \
                and named.currency_id == self.currency_id:
            take = min(qty, named.qty_held)
            if take > 1e-6:
                result.append((named, take, self.asset_settlement_kind or "refund", self.asset_loss_move_id))
                qty -= take
        if qty <= 1e-6:
            return result
        charges = self.env["returnable.asset.deposit"].sudo().search([
            ("partner_id", "=", partner.id), ("asset_type_id", "=", asset_type.id),
            ("currency_id", "=", self.currency_id.id), ("qty_held", ">", 0)])._get_fifo()
        charges -= named
        reversed_lines = self.move_id.reversed_entry_id.line_ids
        preferred = charges.filtered(lambda d: d.invoice_line_id == self.refunded_invoice_line_id) \
            | charges.filtered(lambda d: d.sale_line_id and d.sale_line_id in self.sale_line_ids) \
            | charges.filtered(lambda d: d.invoice_line_id in reversed_lines)
        for charge in preferred | charges:
            if qty <= 1e-6:
                break
            take = min(qty, charge.qty_held)
            if take > 1e-6:
                result.append((charge, take, "refund", self.env["stock.move"]))
                qty -= take
        return result
