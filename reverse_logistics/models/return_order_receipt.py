from odoo import Command, fields, models
from odoo.exceptions import UserError


class ReturnOrder(models.Model):
    _inherit = "return.order"

    def action_close_receipt(self):
        """Stop waiting for units that will not come: cancel open receipts and resolve what arrived."""
        for order in self:
            if order.state not in ("approved", "receiving"):
                raise UserError(self.env._("%(name)s is not waiting for goods.", name=order.name))
            if not order.receipt_ids.filtered(lambda p: p.state == "done"):
                raise UserError(self.env._(
                    "Nothing of %(name)s was received: cancel the return instead.", name=order.name,
                ))
        self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel")).action_cancel()
        self._on_receipt_done()
        return True

    # ------------------------------------------------------------------
    # Receipt
    # ------------------------------------------------------------------
    def _get_return_source_location(self):
        self.ensure_one()
        return self.partner_id.property_stock_customer or self.env.ref("stock.stock_location_customers")

    def _get_receipt_location(self):
        """Where returned units are received: the warehouse's triage location."""
        self.ensure_one()
        return self.warehouse_id.return_location_id or self.warehouse_id.return_type_id.default_location_dest_id

    def _prepare_receipt_picking_vals(self):
        self.ensure_one()
        picking_type = self.warehouse_id.return_type_id
        return {
            "picking_type_id": picking_type.id,
            "partner_id": self.partner_id.id,
            "location_id": self._get_return_source_location().id,
            "location_dest_id": self._get_receipt_location().id,
            "origin": self.name,
            "return_order_id": self.id,
            "return_id": self.picking_id.id,
            "group_id": self.sale_order_id.procurement_group_id.id,
            "company_id": self.company_id.id,
            "move_ids": [Command.create(vals) for vals in self.line_ids._prepare_receipt_move_vals()],
        }

    def _create_receipts(self):
        pickings = self.env["stock.picking"].create([
            order._prepare_receipt_picking_vals() for order in self if order.line_ids
        ])
        pickings.action_confirm()
        pickings.action_assign()
        pickings.move_ids.return_line_id._set_receipt_lots()
        for picking in pickings:
            picking.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": picking, "origin": picking.return_order_id},
                subtype_xmlid="mail.mt_note",
            )
        return pickings

    def _on_receipt_done(self):
        """Called once the receipts of these orders were validated (or closed)."""
        now = fields.Datetime.now()
        for order in self.filtered(lambda o: o.state in ("approved", "receiving")):
            vals = {}
            if not order.date_first_receipt:
                vals["date_first_receipt"] = now
            open_receipts = order.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            if open_receipts:
                vals["state"] = "receiving"
            else:
                vals.update(state="received", date_received=now)
            order.sudo().write(vals)
            if order.policy_id.refund_step == "receipt":
                # Credited by the system on the policy's behalf, whoever received or closed the receipt.
                order.sudo()._resolve()
            order._check_done()
