from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero


class StockMove(models.Model):
    _inherit = "stock.move"

    asset_surplus = fields.Boolean(
        string="Counted Surplus", copy=False, readonly=True,
        help="Assets returned beyond what the partner held, accepted by a manager when they were counted.",
    )
    asset_condition = fields.Selection(
        [("good", "Good"), ("repair", "To Repair"), ("scrap", "To Scrap")], copy=False,
        help="Condition of returned assets.",
    )
    asset_auto = fields.Boolean(copy=False, readonly=True, help="Added because the goods travel on these assets.")
    asset_refund_deferred = fields.Boolean(
        copy=False, readonly=True,
        help="Counted back without refunding the deposit at receipt: Billing refunds it (Refund Deposits).")
    asset_loss_mode = fields.Selection(
        [("invoice", "Invoiced at Replacement Value"), ("deposit", "Deposit Kept")], copy=False, readonly=True,
        help="How a loss declared with the wizard is settled: the deposit held is set off against the "
        "replacement invoice, or kept.",
    )
    # Facts frozen when the move is done: history never changes because configuration (the asset type's
    # product, an archived type) or a picking's partner did.
    asset_type_id = fields.Many2one(
        "returnable.asset.type", copy=False, readonly=True, index="btree_not_null")
    asset_partner_id = fields.Many2one(
        "res.partner", string="Asset Holder", copy=False, readonly=True, index="btree_not_null",
        help="The commercial partner whose balance of returnable assets this move changed.")
    asset_kind = fields.Selection(
        [("out", "Out"), ("back", "Back"), ("lost", "Lost")], copy=False, readonly=True)
    asset_qty = fields.Float(
        string="Counted", copy=False, readonly=True, digits="Product Unit of Measure",
        help="Units counted on the partner's balance (in the product's unit): out, back or lost. What came "
        "back beyond what the partner held is a surplus instead.")
    asset_surplus_qty = fields.Float(
        string="Surplus", copy=False, readonly=True, digits="Product Unit of Measure",
        help="Units that came back beyond what the partner held, or serials the partner did not hold.")
    asset_surplus_state = fields.Selection(
        [("pending", "Waiting for the Assets Manager"), ("accepted", "Accepted")], copy=False, readonly=True,
        index="btree_not_null")

    def _get_asset_protected_fields(self):
        """Written by the system only: the counting decides them (a surplus accepted by the manager among
        them). Users writing one are refused with the fields' names. The condition is the clerk's until the
        move is done; then it is what was counted (damaged units, the serial's state) and stays."""
        protected = ["asset_surplus", "asset_refund_deferred", "asset_loss_mode", "asset_type_id",
                     "asset_partner_id", "asset_kind", "asset_qty", "asset_surplus_qty", "asset_surplus_state"]
        if any(move.state == "done" for move in self):
            protected.append("asset_condition")
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # At creation only a value set counts: the defaults (False, 0) are what the system starts from.
            self._check_asset_protected_fields(
                {name for vals in vals_list for name in self._get_asset_protected_fields() if vals.get(name)})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_asset_protected_fields(vals)
        return super().write(vals)

    def _check_asset_protected_fields(self, names):
        forbidden = [name for name in self._get_asset_protected_fields() if name in names]
        if forbidden:
            raise UserError(self.env._(
                "How returnable assets are counted (%(fields)s) is set by the system, not by hand.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in forbidden)))

    def _prepare_merge_moves_distinct_fields(self):
        return super()._prepare_merge_moves_distinct_fields() + ["asset_surplus", "asset_condition",
                                                                 "asset_loss_mode"]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced_asset_moves(self):
        # Archived types too: their deposits are still owed.
        asset_types = self.env["returnable.asset.type"]._get_by_product(self.product_id, active_test=False)
        invoiced = self.sudo().filtered(
            lambda m: m.product_id in asset_types and m.sale_line_id.invoice_lines.filtered(
                lambda aml: aml.parent_state == "posted"))
        if invoiced:
            raise UserError(self.env._(
                "Asset moves whose deposit was invoiced cannot be deleted: return the assets instead."))

    # ------------------------------------------------------------------
    # Counting assets when they move: the one place every Odoo flow passes
    # ------------------------------------------------------------------
    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._on_asset_moves_done()
        return moves

    def _on_asset_moves_done(self):
        """Count done asset moves on the partners' balances, whichever flow made them (the assets wizard,
        a return order, Odoo's Return, an ordinary receipt, a delivery, a loss), then rebuild the balances
        and settle the deposits. The counting is the system's, whoever validated the transfer."""
        asset_types = self.env["returnable.asset.type"]._get_by_product(self.product_id, active_test=False)
        moves = self.sudo().filtered(
            lambda m: m.state == "done" and m.product_id in asset_types and not m.asset_kind)
        if not moves:
            return
        moves._freeze_asset_counts(asset_types)
        moves.move_line_ids._update_asset_lifecycle()
        counted = moves.filtered("asset_kind")
        if not counted:
            return
        balances = self.env["returnable.asset.balance"]
        balances._recompute(counted.asset_partner_id, counted.asset_type_id)
        # Deposits come back at once for what came back through the addon's wizard or an ordinary
        # receipt; units returned on the order (Odoo's Return updating the sale, a return order) are
        # refunded by the order's invoicing or the return's credit note, never twice.
        refund_caps = defaultdict(float)
        for move in counted.filtered(lambda m: m.asset_kind == "back" and m._is_asset_refunded_at_receipt()):
            refund_caps[move.asset_partner_id.id, move.asset_type_id.id] += move.asset_qty
        balances._settle_deposits(counted.asset_partner_id, counted.asset_type_id, refund_caps=refund_caps)

    def _is_asset_refunded_at_receipt(self):
        """Whether the deposit of units this move brought back is refunded when they arrive: not for units
        a return order resolves, nor for units returned on the sale (Odoo then credits them on the order's
        next invoice, or Refund Deposits does on the sale line)."""
        self.ensure_one()
        return not (self.asset_surplus or self.asset_refund_deferred or self.return_line_id
                    or self._is_asset_returned_on_order())

    def _is_asset_returned_on_order(self):
        """Returned with Odoo's Return updating the sale (*to refund*) on a sale line invoiced on delivered
        quantities: the sale's delivered quantity drops, so its next invoice credits the deposit."""
        self.ensure_one()
        return bool(self.to_refund and self.sale_line_id
                    and self.sale_line_id.product_id.invoice_policy == "delivery")

    def _get_asset_partner(self):
        self.ensure_one()
        return (self.picking_id.partner_id or self.partner_id).commercial_partner_id

    def _freeze_asset_counts(self, asset_types):
        """Write on each move what it counted, in date order: out, back up to what the partner held (a
        serial only from the partner who holds it), lost up to what he held; the rest of a receipt is a
        surplus waiting for the Returnable Assets Manager."""
        balance_model = self.env["returnable.asset.balance"]
        partners = self.env["res.partner"].browse([m._get_asset_partner().id for m in self])
        types = self.env["returnable.asset.type"].browse([t.id for t in asset_types.values()])
        held = defaultdict(float)
        for flow in balance_model._get_asset_flows(partners, types, exclude_moves=self):
            sign = 1 if flow["kind"] == "out" else -1
            held[flow["partner_id"], flow["type_id"]] += sign * flow["qty"]
        for move in self.sorted(lambda m: (m.date, m.id)):
            partner = move._get_asset_partner()
            asset_type = asset_types[move.product_id]
            src, dst = move.location_id.usage, move.location_dest_id.usage
            if dst == "customer" and src != "customer":
                kind = "out"
            elif src == "customer" and dst in ("internal", "transit"):
                kind = "back"
            elif src == "customer" and dst != "customer":
                kind = "lost"
            else:
                move.write({"asset_type_id": asset_type.id})
                continue
            if not partner:
                move.write({"asset_type_id": asset_type.id})
                continue
            qty = move.product_uom._compute_quantity(move.quantity, move.product_id.uom_id, round=False)
            key = (partner.id, asset_type.id)
            available = max(held[key], 0.0)
            surplus = 0.0
            if kind == "out":
                counted = qty
            elif kind == "back" and move.asset_surplus:
                counted, surplus = 0.0, qty
            elif kind == "back" and move.product_id.tracking == "serial":
                counted = 0.0
                for line in move.move_line_ids:
                    lot = line.lot_id
                    holds = lot and lot.asset_state == "at_customer" and lot.asset_last_partner_id == partner
                    if holds and float_compare(counted + line.quantity, available, precision_digits=4) <= 0:
                        counted += line.quantity
                    else:
                        surplus += line.quantity
            else:
                counted = min(qty, available)
                surplus = qty - counted if kind == "back" else 0.0
            held[key] += counted if kind == "out" else -counted
            vals = {"asset_type_id": asset_type.id, "asset_partner_id": partner.id, "asset_kind": kind,
                    "asset_qty": counted}
            if not float_is_zero(surplus, precision_digits=4):
                vals.update(asset_surplus_qty=surplus,
                            asset_surplus_state="accepted" if move.asset_surplus else "pending")
            move.write(vals)
