import math
from collections import defaultdict

from odoo import api, models
from odoo.tools import float_round


class ReturnOrderLine(models.Model):
    """Kit lines: the customer returns the kit (the sale line's product, in its unit) and the receipt
    brings in its components, exploded by mrp with their BoM lines, so that sale_mrp's kit quantities
    follow. Quantities of kit lines are counted in kits from the component moves.

    Partial kits: a kit is received, and so credited, only when all its components are back (whole
    kits, as sale_mrp counts delivered kits). Components of an incomplete kit stay in triage: the
    receipt keeps a backorder for the missing ones; if it is closed short, the kit is never credited
    and is no longer returnable (the customer kept part of it).
    """

    _inherit = "return.order.line"

    def _get_kit_bom(self):
        """The kit BoM the line's product was delivered with, found as sale_mrp finds it for the sale
        line's delivered quantity; empty when the line is no kit (or a component returned on its own)."""
        self.ensure_one()
        product, sale_line = self.product_id, self.sale_line_id
        bom_model = self.env["mrp.bom"].sudo()
        if not product or (sale_line and sale_line.product_id != product):
            return bom_model
        moves = sale_line.sudo().move_ids.filtered(lambda m: m.state != "cancel")
        if moves:
            # What was delivered decides: the kit's BoM on the component moves, none for a plain product.
            return moves.bom_line_id.bom_id.filtered(lambda b: b.type == "phantom" and (
                b.product_id == product or (b.product_tmpl_id == product.product_tmpl_id and not b.product_id)))[:1]
        company = self.company_id or self.order_id.company_id or self.env.company
        return bom_model._bom_find(product, company_id=company.id, bom_type="phantom")[product]

    def _get_kit_qty(self, bom, plus_moves, minus_moves):
        """Whole kits, in the line's unit, made by the components of `plus_moves` less those of
        `minus_moves`: mrp's own count (lowest ratio over the components, rounded down)."""
        self.ensure_one()
        moves = (plus_moves | minus_moves).sudo()
        filters = {
            "incoming_moves": lambda m: m in plus_moves,
            "outgoing_moves": lambda m: m in minus_moves,
        }
        qty = moves._compute_kit_quantities(self.product_id, bom.product_qty, bom, filters)
        return bom.product_uom_id._compute_quantity(max(qty, 0.0), self.product_uom_id)

    def _get_kit_components(self, bom):
        """{component: quantity per kit of the line's unit, in the component's unit}."""
        self.ensure_one()
        per_kit = {}
        _boms, bom_lines = bom.sudo().explode(self.product_id, bom.product_qty)
        for bom_line, data in bom_lines:
            product = bom_line.product_id
            qty = bom_line.product_uom_id._compute_quantity(data["qty"] / bom.product_qty, product.uom_id, round=False)
            if product.type != "service" and qty:
                per_kit[product] = per_kit.get(product, 0.0) + qty
        ratio = self.product_uom_id._compute_quantity(1.0, bom.product_uom_id, round=False)
        return {product: qty * ratio for product, qty in per_kit.items()}

    def _get_kit_count(self, bom, qty_by_product, whole=True):
        """Kits, in the line's unit, that component quantities make: complete kits (lowest ratio,
        rounded down) when `whole`, else kits of which any component is there (highest, rounded up)."""
        ratios = [float_round((qty_by_product.get(product) or 0.0) / per_kit, precision_digits=6)
                  for product, per_kit in self._get_kit_components(bom).items()]
        if not ratios:
            return 0.0
        return max(math.floor(min(ratios)), 0) if whole else max(math.ceil(max(ratios)), 0)

    def _get_moves_qty_by_product(self, plus_moves, minus_moves):
        """{product: quantity of `plus_moves` less `minus_moves`, in the product's unit}."""
        qty = defaultdict(float)
        for moves, sign in ((plus_moves, 1), (minus_moves, -1)):
            for move in moves:
                qty[move.product_id] += sign * move.product_uom._compute_quantity(move.quantity, move.product_id.uom_id)
        return qty

    def _get_net_done_moves(self, moves):
        """(moves in, moves out): done moves of the chain of `moves` and Odoo's returns of them."""
        plus, minus = self.env["stock.move"], self.env["stock.move"]
        seen = self.env["stock.move"]
        sign, level = 1, moves
        while level:
            level -= seen
            seen |= level
            done = level.filtered(lambda m: m.state == "done")
            if sign > 0:
                plus |= done
            else:
                minus |= done
            sign, level = -sign, level.returned_move_ids
        return plus, minus

    def _get_net_done_qty(self, moves):
        bom = self._get_kit_bom()
        if not bom:
            return super()._get_net_done_qty(moves)
        # Received kits: complete kits only (the partial-kit rule above).
        return self._get_kit_qty(bom, *self._get_net_done_moves(moves))

    def _get_reserved_qty(self):
        bom = self._get_kit_bom()
        if not bom or self.order_id.state not in ("received", "done"):
            return super()._get_reserved_qty()
        # A kit of which any component came back is taken, whole: sale_mrp no longer counts it delivered.
        received = self._get_moves_qty_by_product(*self._get_net_done_moves(self.move_ids))
        return max(self._get_kit_count(bom, received, whole=False), self.qty_received)

    def _get_origin_moves(self):
        bom = self._get_kit_bom()
        if not bom or not self.sale_line_id:
            return super()._get_origin_moves()
        # The delivered component moves of the kit's sale line.
        return self.sale_line_id.move_ids.filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
            and not m.origin_returned_move_id and m.bom_line_id.bom_id == bom
        )

    def _get_returnable_qty(self, others=None):
        bom = self._get_kit_bom()
        if not bom or not self.sale_line_id:
            return super()._get_returnable_qty(others)
        moves = self._get_origin_moves()
        if not moves:
            return None
        # Delivered kits net of Odoo's own return wizard (and of what it sent to the customer again).
        native_returns = moves.returned_move_ids.filtered(lambda m: m.state != "cancel" and not m.return_line_id)
        resent = native_returns.returned_move_ids.filtered(lambda m: m.state == "done")
        delivered = self._get_kit_qty(bom, moves | resent, native_returns)
        if others is None:
            others = self._get_competing_lines()
        others = others.filtered(lambda o: o._origin != self._origin and o.sale_line_id == self.sale_line_id
                                 and o.product_id == self.product_id)
        returned = sum(other._get_reserved_qty() for other in others)
        return float_round(max(delivered - returned, 0.0), precision_rounding=self.product_uom_id.rounding)

    def _get_qty_giving_back(self, product, qty):
        bom = self._get_kit_bom()
        per_kit = self._get_kit_components(bom).get(product) if bom and product != self.product_id else None
        if not per_kit:
            return super()._get_qty_giving_back(product, qty)
        # The kits that hold these components, whole: a kit is returned and credited as the kit.
        return float(math.ceil(float_round(qty / per_kit, precision_digits=6)))

    def _get_units_given_back(self, product, qty):
        bom = self._get_kit_bom()
        per_kit = self._get_kit_components(bom).get(product) if bom and product != self.product_id else None
        if not per_kit:
            return super()._get_units_given_back(product, qty)
        return qty * per_kit

    def _get_kit_origin_move(self, bom_line):
        """The delivered move of a kit component that a receipt move of this line gives back."""
        self.ensure_one()
        return self._get_origin_moves().filtered(lambda m: m.bom_line_id == bom_line)[-1:]

    @api.onchange("sale_line_id")
    def _onchange_sale_line_id(self):
        # The core's warning, if any, still reaches the user.
        res = super()._onchange_sale_line_id()
        if self.sale_line_id and self._get_kit_bom():
            # A kit has one delivered move per component: the line gives back the sale line's kits.
            self.origin_move_id = False
        return res

    def _prepare_receipt_move_vals(self):
        vals_list = super()._prepare_receipt_move_vals()
        for line, vals in zip(self, vals_list, strict=True):
            if line._get_kit_bom():
                # mrp explodes the kit move into component moves; each gives back its own delivered move.
                vals["origin_returned_move_id"] = False
        return vals_list

    # Grading: a kit line grades the components in triage, one grading per component and lot; its
    # quantities count kits: graded (dispositioned) when all their components are, to grade while
    # any component of them waits.
    def _get_gradable_quantities(self):
        bom = self._get_kit_bom()
        if not bom:
            return super()._get_gradable_quantities()
        received = self._get_moves_qty_by_product(*self._get_net_done_moves(self.move_ids))
        return {product: received.get(product, 0.0) for product in self._get_kit_components(bom)}

    def _compute_grading_quantities(self):
        res = super()._compute_grading_quantities()
        for line in self:
            bom = line._get_kit_bom()
            if not bom:
                continue
            first_gradings = line.grading_ids.filtered(lambda g: not g.previous_grading_id)
            graded, dispositioned = defaultdict(float), defaultdict(float)
            for grading in first_gradings:
                graded[grading.product_id] += grading.quantity
                if grading.state != "graded":
                    dispositioned[grading.product_id] += grading.quantity
            ungraded = {product: max(qty - graded[product], 0.0)
                        for product, qty in line._get_gradable_quantities().items()}
            line.qty_graded = line._get_kit_count(bom, graded)
            line.qty_dispositioned = line._get_kit_count(bom, dispositioned)
            line.qty_to_grade = line._get_kit_count(bom, ungraded, whole=False)
        return res

    def _get_returned_unit_cost(self):
        bom = self._get_kit_bom()
        if not bom:
            return super()._get_returned_unit_cost()
        origins = self._get_origin_moves()
        if not origins:
            return None
        # A kit comes back as its components, each valued at what its delivered move cost.
        cost = 0.0
        for component, per_kit in self._get_kit_components(bom).items():
            origin = origins.filtered(lambda m, c=component: m.product_id == c)[-1:]
            if origin:
                cost += per_kit * self._get_return_cost(origin, component)
        return cost

    def _get_component_unit_value(self, product):
        """Value of one unit of a kit's component: the kit's value shared by the components' costs
        (by their quantities when none has a cost)."""
        self.ensure_one()
        bom = self._get_kit_bom()
        per_kit = self._get_kit_components(bom) if bom else {}
        if product not in per_kit:
            return product.standard_price
        costs = {p: p.with_company(self.company_id).standard_price * qty for p, qty in per_kit.items()}
        total = sum(costs.values())
        share = costs[product] / total if total else per_kit[product] / sum(per_kit.values())
        return self._get_unit_value() * share / per_kit[product]
