from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import clean_context


class ReturnOrder(models.Model):
    _inherit = "return.order"

    procurement_group_id = fields.Many2one(
        "procurement.group", string="Procurement Group", readonly=True, copy=False, index="btree_not_null",
        help="Groups the transfers of this return's receipts, from the customer to triage.",
    )

    def action_close_receipt(self):
        """Stop waiting for units that will not come: cancel open receipts and resolve what arrived."""
        self._check_flow_access("reverse_logistics.group_return_user")
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

    def _get_receipt_route(self):
        """The route the receipt follows: the warehouse's returns route (its reception steps)."""
        self.ensure_one()
        return self.warehouse_id.return_route_id

    def _prepare_receipt_procurement_group_vals(self):
        self.ensure_one()
        # Linked to the sale order as Odoo's own returns are: the receipts show on it.
        return {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "sale_id": self.sale_order_id.id,
            "move_type": "direct",
        }

    # What the rule and the procurement decide on the move, not the return line.
    _RECEIPT_PROCUREMENT_KEYS = (
        "product_id", "product_uom_qty", "product_uom", "picking_type_id", "procure_method", "group_id",
        "warehouse_id", "location_dest_id",
    )

    def _prepare_receipt_procurement(self, move_vals):
        """The procurement of one receipt move (`move_vals` of the line's `_prepare_receipt_move_vals`):
        to the return's final destination through its route; the move from the customer carries the
        rest of `move_vals` (links to the line, the delivery and the sale line)."""
        self.ensure_one()
        warehouse = self.warehouse_id
        final = self._get_receipt_location()
        first_step = final if warehouse.reception_steps == "one_step" else warehouse.wh_input_stock_loc_id
        extra = {k: v for k, v in move_vals.items() if k not in self._RECEIPT_PROCUREMENT_KEYS}
        extra["location_dest_id"] = first_step.id
        route = self._get_receipt_route()
        if route == warehouse.return_route_id and warehouse.reception_steps == "one_step":
            # No later step to choose a push rule for: the move needs no route of its own.
            extra["route_ids"] = []
        product = self.env["product.product"].browse(move_vals["product_id"])
        return self.env["procurement.group"].Procurement(
            product, move_vals["product_uom_qty"], self.env["uom.uom"].browse(move_vals["product_uom"]),
            final, move_vals.get("name") or product.display_name, self.name, self.company_id, {
                "group_id": self.procurement_group_id,
                "route_ids": route,
                "warehouse_id": warehouse,
                "date_planned": fields.Datetime.now(),
                "return_move_vals": extra,
            },
        )

    def _create_receipts(self):
        """Receive the returned goods through a procurement on the warehouse's returns route, so its
        reception steps and putaway rules apply; the receipt from the customer is the return's
        (`receipt_ids`)."""
        # Documents made as the system take no default from the caller's context (a forged default_state).
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        orders = self.filtered("line_ids")
        without_group = orders.filtered(lambda o: not o.procurement_group_id)
        groups = self.env["procurement.group"].sudo().create(
            [order._prepare_receipt_procurement_group_vals() for order in without_group])
        for order, group in zip(without_group, groups, strict=True):
            order.sudo().procurement_group_id = group
        # sale_stock links a receipt to its sale order; one without an order is linked to the return.
        without_sale = orders.filtered(lambda o: not o.sale_order_id)
        previous = without_sale.receipt_ids
        # Prepared as the system too: rules, routes and locations are read without record rules.
        line_orders = {line.id: line.order_id.sudo() for line in orders.line_ids}
        procurements = [
            line_orders[vals["return_line_id"]]._prepare_receipt_procurement(vals)
            for vals in orders.line_ids.sudo()._prepare_receipt_move_vals()
        ]
        # The rule search climbs from each destination to its warehouse: read those locations together.
        destinations = self.env["stock.location"].union(*(p.location_id for p in procurements))
        (destinations | orders.warehouse_id.view_location_id).mapped("location_id")
        # Run as the system, as sale orders run theirs: approving needs no right on rules and routes.
        self.env["procurement.group"].sudo().run(procurements)
        orders.line_ids._set_receipt_lots()
        without_sale.invalidate_recordset(["receipt_ids"])
        for order in without_sale:
            for picking in order.receipt_ids - previous:
                picking.message_post_with_source(
                    "mail.message_origin_link",
                    render_values={"self": picking, "origin": order},
                    subtype_xmlid="mail.mt_note",
                )
        return True

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
