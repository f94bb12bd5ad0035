import math
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare


class ReturnableAssetReturn(models.TransientModel):
    """Assets a partner brought back, counted at the dock; received in one transfer."""

    _name = "returnable.asset.return"
    _description = "Assets Returned"

    partner_id = fields.Many2one("res.partner", required=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True,
        default=lambda self: self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1),
    )
    line_ids = fields.One2many("returnable.asset.return.line", "wizard_id", string="Assets")
    refund_at_receipt = fields.Boolean(
        string="Refund Deposits Now", default=True,
        help="Refund the deposits of the assets counted back at once; untick to leave it to Billing "
        "(Refund Deposits on the balance).")
    confirm_surplus = fields.Boolean(
        string="Accept Counted Surplus",
        help="Accept more assets than the partner holds, as a surplus (managers only).",
    )

    def action_confirm(self):
        """Receive what was counted (Returns User); a surplus needs the Returnable Assets Manager."""
        self.ensure_one()
        if not self.env.user.has_group("reverse_logistics.group_return_user"):
            raise AccessError(self.env._("Receiving returned assets needs the Returns User group."))
        if not self.line_ids:
            raise UserError(self.env._("Count at least one asset."))
        picking = self._create_receipt()
        picking._action_done()
        scrap_moves = picking.move_ids.filtered(lambda m: m.asset_condition == "scrap")
        if scrap_moves:
            self._scrap_damaged(scrap_moves)
        return {"type": "ir.actions.act_window", "res_model": "stock.picking", "res_id": picking.id,
                "view_mode": "form", "views": [(False, "form")]}

    def _check_surplus_allowed(self, message):
        if not self.confirm_surplus:
            raise UserError(message + " " + self.env._(
                "A Returnable Assets Manager may accept the difference as a counted surplus; a balance never "
                "goes negative."))
        if not self.env.user.has_group("reverse_logistics_assets.group_asset_manager"):
            raise AccessError(self.env._("Only a Returnable Assets Manager may accept a counted surplus."))

    def _create_receipt(self):
        partner = self.partner_id.commercial_partner_id
        balances = {}
        held = defaultdict(float)
        for line in self.line_ids:
            if not math.isfinite(line.quantity) or line.quantity > 1e9 \
                    or float_compare(line.quantity, 0, precision_digits=4) <= 0:
                raise UserError(self.env._("Returned quantities must be positive numbers."))
            if line.asset_type_id not in balances:
                balances[line.asset_type_id] = self.env["returnable.asset.balance"]._get_balance(
                    partner, line.asset_type_id)
                held[line.asset_type_id] = balances[line.asset_type_id].balance
        source = self.partner_id.property_stock_customer
        destination = self.warehouse_id.lot_stock_id
        moves = []
        for line in self.line_ids:
            if line.lot_ids:
                if len(line.lot_ids) != line.quantity:
                    raise UserError(self.env._("Count one serial number per asset: %(qty)s for %(count)s serials.",
                                               qty=line.quantity, count=len(line.lot_ids)))
                # A serial comes back from the partner who holds it; any other is a surplus for the manager.
                lots = line.lot_ids.sudo()
                ours = lots.filtered(lambda lot: lot.asset_state == "at_customer"
                                     and lot.asset_last_partner_id == partner)[:int(held[line.asset_type_id])]
                others = lots - ours
                if others:
                    self._check_surplus_allowed(self.env._(
                        "%(partner)s does not hold %(lots)s.", partner=partner.display_name,
                        lots=", ".join(others.mapped("name"))))
                held[line.asset_type_id] -= len(ours)
                parts = ((float(len(ours)), False, ours), (float(len(others)), True, others))
            else:
                normal = min(line.quantity, held[line.asset_type_id])
                held[line.asset_type_id] -= normal
                surplus = line.quantity - normal
                if float_compare(surplus, 0, precision_digits=4) > 0:
                    self._check_surplus_allowed(self.env._(
                        "%(partner)s holds %(held)s %(type)s but %(qty)s were counted.",
                        partner=partner.display_name, held=balances[line.asset_type_id].balance,
                        type=line.asset_type_id.name, qty=line.quantity))
                parts = ((normal, False, []), (surplus, True, []))
            for qty, is_surplus, line_lots in parts:
                if float_compare(qty, 0, precision_digits=4) <= 0:
                    continue
                moves.append(dict(line._prepare_move_vals(qty, source, destination, line_lots),
                                  asset_surplus=is_surplus, asset_refund_deferred=not self.refund_at_receipt))
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse_id.in_type_id.id,
            "partner_id": self.partner_id.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": self.env._("Assets returned by %(partner)s", partner=self.partner_id.display_name),
        })
        # What the counting decided (a surplus the manager accepted, a refund left to Billing) is the
        # system's to write on the moves, once the rights above are checked.
        self.env["stock.move"].sudo().create([dict(vals, picking_id=picking.id) for vals in moves])
        return picking

    def _scrap_damaged(self, moves):
        scraps = self.env["stock.scrap"].create([{
            "product_id": ml.product_id.id,
            "scrap_qty": ml.quantity,
            "lot_id": ml.lot_id.id,
            "location_id": ml.location_dest_id.id,
            "origin": move.picking_id.name,
        } for move in moves for ml in move.move_line_ids])
        scraps.do_scrap()


class ReturnableAssetReturnLine(models.TransientModel):
    _name = "returnable.asset.return.line"
    _description = "Assets Returned: Line"

    wizard_id = fields.Many2one("returnable.asset.return", required=True, ondelete="cascade")
    asset_type_id = fields.Many2one("returnable.asset.type", required=True)
    tracking = fields.Selection(related="asset_type_id.product_id.tracking")
    quantity = fields.Float(default=1.0, required=True)
    condition = fields.Selection(
        [("good", "Good"), ("repair", "To Repair"), ("scrap", "To Scrap")], default="good", required=True,
    )
    lot_ids = fields.Many2many("stock.lot", string="Serial Numbers",
                               domain="[('product_id', '=', parent.partner_id and asset_type_id)]")

    @api.onchange("lot_ids")
    def _onchange_lot_ids(self):
        if self.lot_ids:
            self.quantity = len(self.lot_ids)

    def _prepare_move_vals(self, qty, source, destination, lots):
        self.ensure_one()
        product = self.asset_type_id.product_id
        line_vals = [Command.create({
            "product_id": product.id, "lot_id": lot.id, "quantity": 1.0,
            "location_id": source.id, "location_dest_id": destination.id,
        }) for lot in lots] or [Command.create({
            "product_id": product.id, "quantity": qty, "location_id": source.id,
            "location_dest_id": destination.id,
        })]
        return {
            "name": self.asset_type_id.name,
            "product_id": product.id,
            "product_uom": product.uom_id.id,
            "product_uom_qty": qty,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "partner_id": self.wizard_id.partner_id.id,
            "asset_condition": self.condition,
            "picked": True,
            "move_line_ids": line_vals,
        }
