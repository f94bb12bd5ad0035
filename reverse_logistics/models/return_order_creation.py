from odoo import Command, api, models
from odoo.exceptions import UserError


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Creation from documents
    # ------------------------------------------------------------------
    @api.model
    def _get_returnable_candidates(self, moves):
        """Line values for every delivered (move, lot) pair, in delivery order."""
        candidates = []
        moves = moves.filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
            and not m.scrapped and not m.origin_returned_move_id
        )
        for move in moves.sorted("id"):
            base = {
                "product_id": move.product_id.id,
                "origin_move_id": move.id,
                "sale_line_id": move.sale_line_id.id,
            }
            lots = move.move_line_ids.lot_id
            if lots:
                candidates += [dict(base, lot_id=lot.id) for lot in lots]
            else:
                candidates.append(base)
        return candidates

    @api.model
    def _get_returnable_lines(self, moves):
        """[(line values, returnable quantity)] of the delivered (move, lot) pairs with units left to return."""
        candidates = self._get_returnable_candidates(moves)
        lines = self.env["return.order.line"]
        for vals in candidates:
            lines |= lines.new(vals)
        returnable = lines._get_returnable_quantities()
        return [(vals, returnable[line]) for vals, line in zip(candidates, lines, strict=True) if returnable[line]]

    @api.model
    def _prepare_order_vals(self, partner, line_vals, sale_order=None, picking=None):
        sale_order = sale_order or self.env["sale.order"]
        warehouse = picking.picking_type_id.warehouse_id if picking else sale_order.warehouse_id
        order_vals = {
            "partner_id": partner.id,
            "sale_order_id": sale_order.id,
            "picking_id": picking.id if picking else False,
            "company_id": (picking or sale_order).company_id.id or self.env.company.id,
            "line_ids": [Command.create(vals) for vals in line_vals],
        }
        if warehouse:
            order_vals["warehouse_id"] = warehouse.id
        return order_vals

    @api.model
    def _prepare_create_wizard_vals(self, sale_order=None, picking=None, partner=None):
        document = picking or sale_order or self.env["sale.order"]
        # The customer is who bought it (a delivery may go to another address, of another company).
        sale = sale_order or (picking.sale_id if picking else self.env["sale.order"])
        customer = partner or sale.partner_id or document.partner_id
        return {
            "sale_order_id": sale_order.id if sale_order else False,
            "picking_id": picking.id if picking else False,
            "partner_id": customer.id,
            "company_id": document.company_id.id or self.env.company.id,
        }

    @api.model
    def _action_open_create_wizard(self, sale_order=None, picking=None):
        wizard = self.env["return.order.create"].create(self._prepare_create_wizard_vals(sale_order, picking))
        wizard._check_something_returnable()
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_order_create")
        action["res_id"] = wizard.id
        return action

    @api.model
    def _create_from_moves(self, moves, partner, sale_order=None, picking=None):
        """A draft return of every unit still returnable from these moves (the wizard's Return All)."""
        wizard = self.env["return.order.create"].create(
            dict(self._prepare_create_wizard_vals(sale_order, picking, partner), move_ids=moves.ids))
        return wizard.action_create_return_all()

    # ------------------------------------------------------------------
    # Portal requests
    # ------------------------------------------------------------------
    @api.model
    def _get_candidate_key(self, vals):
        """How the portal form names a returnable (move, lot) pair, from its line values."""
        return f"{vals['origin_move_id']}-{vals.get('lot_id') or 0}"

    @api.model
    def _get_portal_candidates(self, sale_order):
        """What the customer may still send back from an order, one dict per delivered move and lot:
        key (the form field's suffix), vals (of the return line), qty (returnable), product, lot."""
        return [{
            "key": self._get_candidate_key(vals), "vals": vals, "qty": qty,
            "product": self.env["product.product"].browse(vals["product_id"]),
            "lot": self.env["stock.lot"].browse(vals.get("lot_id")),
        } for vals, qty in self._get_returnable_lines(sale_order.order_line.move_ids)]

    @api.model
    def _get_portal_resolutions(self):
        """The resolutions a customer may choose on the portal, as (value, label)."""
        labels = dict(self._fields["resolution"]._description_selection(self.env))
        return [(value, labels[value]) for value in ("refund", "exchange", "store_credit")]

    _CUSTOMER_NOTE_MAX_LENGTH = 2000

    @api.model
    def _prepare_portal_return_vals(self, sale_order, note, resolution="refund"):
        """What the portal adds to the return the wizard prepares for the order."""
        # Plain text, never HTML: what a customer types is shown to the returns team as written.
        return {"resolution": resolution, "customer_note": (note or "").strip() or False}

    @api.model
    def _create_from_portal(self, sale_order, quantities, reason, note=False, resolution="refund"):
        """The return a customer asks for on the portal, submitted to the policy at once.

        `quantities` maps the keys of `_get_portal_candidates` to the quantities asked for; the line
        constraints refuse more than was delivered and not yet returned, so nothing is created then.
        """
        if not reason:
            raise UserError(self.env._("Tell us why you send the items back."))
        if resolution not in dict(self._get_portal_resolutions()):
            raise UserError(self.env._("Choose a refund, an exchange or a store credit."))
        if note and len(note) > self._CUSTOMER_NOTE_MAX_LENGTH:
            raise UserError(self.env._(
                "Your note is too long: %(max)s characters at most.", max=self._CUSTOMER_NOTE_MAX_LENGTH))
        if any(qty < 0 for qty in quantities.values()):
            raise UserError(self.env._("Quantities to return cannot be negative."))
        wizard = self.env["return.order.create"].create(self._prepare_create_wizard_vals(sale_order))
        wizard._set_quantities({
            line: quantities[key] for line in wizard.line_ids
            if (key := self._get_candidate_key(line._prepare_return_line_vals())) in quantities
        })
        if not wizard._get_requested_lines():
            raise UserError(self.env._("Choose at least one item to return."))
        wizard.reason_id = reason
        order = wizard._create_return_order(self._prepare_portal_return_vals(sale_order, note, resolution))
        order.message_post(body=self.env._("Requested by the customer on the portal."))
        order.action_submit()
        return order
