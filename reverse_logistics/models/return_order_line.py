from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero, float_round

from ..tools import check_id, check_numbers, check_protected_fields, without_protected_defaults
from .return_credit_allocation import CREDIT_ALLOCATION_READERS
from .return_recovery_estimate import ESTIMATE_BASES


class ReturnOrderLine(models.Model):
    _name = "return.order.line"
    _description = "Return Order Line"
    _order = "order_id, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one("return.order", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="order_id.partner_id", store=True)
    state = fields.Selection(related="order_id.state", store=True)
    currency_id = fields.Many2one(related="order_id.currency_id")

    product_id = fields.Many2one(
        "product.product", required=True, check_company=True, domain="[('type', '=', 'consu')]",
    )
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    tracking = fields.Selection(related="product_id.tracking")
    product_uom_qty = fields.Float(
        string="Quantity", digits="Product Unit of Measure", required=True, default=1.0,
    )
    qty_received = fields.Float(
        string="Received", digits="Product Unit of Measure", compute="_compute_qty_received", store=True,
    )
    qty_refunded = fields.Float(
        string="Credited", digits="Product Unit of Measure", compute="_compute_qty_refunded", store=True,
    )
    qty_exchanged = fields.Float(
        string="Replaced", digits="Product Unit of Measure", compute="_compute_qty_exchanged", store=True,
    )
    lot_id = fields.Many2one(
        "stock.lot", string="Lot/Serial", check_company=True, domain="[('product_id', '=', product_id)]",
    )
    sale_line_id = fields.Many2one("sale.order.line", index="btree_not_null")
    origin_move_id = fields.Many2one(
        "stock.move", string="Delivered Move", index="btree_not_null",
        help="The delivery move this line returns: Odoo reverses its valuation and the sale's "
        "delivered quantity.",
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", index="btree_not_null",
        compute="_compute_invoice_line_id", store=True, readonly=False, precompute=True,
    )
    price_unit = fields.Float(
        digits="Product Price", compute="_compute_price", store=True, readonly=False, precompute=True,
    )
    discount = fields.Float(
        string="Discount (%)", digits="Discount", compute="_compute_price", store=True, readonly=False,
        precompute=True,
    )
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", compute="_compute_price", store=True, readonly=False,
        precompute=True, check_company=True,
    )
    price_subtotal = fields.Monetary(compute="_compute_amounts", store=True, string="Value")
    reason_id = fields.Many2one("return.reason")
    restocking_fee_percent = fields.Float(
        string="Fee (%)", digits=(5, 2), compute="_compute_restocking_fee_percent", store=True,
        readonly=False, precompute=True,
    )
    restocking_fee_amount = fields.Monetary(compute="_compute_amounts", store=True, string="Fee")
    exchange_product_id = fields.Many2one(
        "product.product", string="Replace With", check_company=True,
        help="Product sent in exchange; the returned product when empty.",
    )
    move_ids = fields.One2many("stock.move", "return_line_id", string="Receipt Moves")
    refund_line_ids = fields.One2many("account.move.line", "return_line_id", string="Credit Note Lines")
    exchange_line_ids = fields.One2many("sale.order.line", "return_line_id", string="Replacement Lines")
    # Read as the system: deliveries and sale lines of other salespeople's orders count too.
    policy_problems = fields.Text(compute="_compute_policy_problems", string="Policy Check", compute_sudo=True)
    note = fields.Text(groups="base.group_user")

    grading_ids = fields.One2many("return.grading", "line_id", string="Gradings")
    qty_graded = fields.Float(
        string="Graded", digits="Product Unit of Measure", compute="_compute_grading_quantities", store=True,
    )
    qty_dispositioned = fields.Float(
        string="Dispositioned", digits="Product Unit of Measure", compute="_compute_grading_quantities",
        store=True,
    )
    qty_to_grade = fields.Float(
        string="To Grade", digits="Product Unit of Measure", compute="_compute_grading_quantities", store=True,
    )
    # How the units were graded is the team's assessment, not the customer's to read.
    grade_summary = fields.Char(string="Grades", compute="_compute_grading_quantities", store=True,
                                groups="base.group_user")
    # Recovery ledger, in company currency.
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    refund_amount = fields.Monetary(
        string="Refunded", currency_field="company_currency_id", compute="_compute_ledger", store=True,
        help="Untaxed amount of the posted credit notes, net of the restocking fee.", groups="base.group_user",
    )
    restocking_fee_charged = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
    )
    processing_cost = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
    )
    recovery_value = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
    )
    net_recovery = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
        help="Recovery value less processing costs.",
    )
    # Expected recovery, estimated from the history when the return is submitted and frozen then
    # (return.recovery.estimate): the request's facts, compared later with what was recovered.
    expected_recovery_amount = fields.Monetary(
        string="Expected Recovery", currency_field="company_currency_id", readonly=True, copy=False,
        groups="base.group_user",
        help="Expected net recovery of the requested units when the return was submitted: over the graded "
        "history, the share of each grade x (what the disposition the rules choose recovers - its processing "
        "cost).")
    return_cost_amount = fields.Monetary(
        string="Cost of Bringing Back", currency_field="company_currency_id", readonly=True, copy=False,
        groups="base.group_user",
        help="Handling cost per unit of the policy x the requested units, plus the line's share of the return "
        "shipping cost, when the return was submitted.")
    expected_net_amount = fields.Monetary(
        string="Expected Net", currency_field="company_currency_id", compute="_compute_expected_net_amount",
        store=True, groups="base.group_user", help="Expected recovery less the cost of bringing the units back.")
    expected_recovery_basis = fields.Selection(
        ESTIMATE_BASES, string="Estimated From",
        readonly=True, copy=False, groups="base.group_user",
        help="The history the estimate read. No History: nothing graded to estimate from, no expected recovery.")
    expected_recovery_history_qty = fields.Float(
        string="History (units)", digits="Product Unit of Measure", readonly=True, copy=False,
        groups="base.group_user")
    expected_recovery_ids = fields.One2many(
        "return.recovery.estimate", "line_id", string="Expected Recovery by Grade", readonly=True,
        groups="base.group_user")

    @api.depends("expected_recovery_amount", "return_cost_amount")
    def _compute_expected_net_amount(self):
        for line in self:
            line.expected_net_amount = line.expected_recovery_amount - line.return_cost_amount

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.returned_move_ids.state",
                 "move_ids.returned_move_ids.quantity",
                 "move_ids.returned_move_ids.returned_move_ids.state",
                 "move_ids.returned_move_ids.returned_move_ids.quantity")
    def _compute_qty_received(self):
        for line in self:
            line.qty_received = line._get_net_done_qty(line.move_ids)

    def _get_net_done_qty(self, moves):
        """Done quantity of `moves` (into the company) net of Odoo's returns of them, in the line's unit.

        Odoo's Return wizard on a return receipt sends the goods back to the customer: those units are
        no longer received. A return of that return brings them in again, and so on down the chain.
        """
        self.ensure_one()
        qty = 0.0
        seen = self.env["stock.move"]
        sign, level = 1, moves
        while level:
            level -= seen
            seen |= level
            for move in level.filtered(lambda m: m.state == "done"):
                qty += sign * move.product_uom._compute_quantity(move.quantity, self.product_uom_id)
            sign, level = -sign, level.returned_move_ids
        return qty

    @api.depends("qty_received", "grading_ids.quantity", "grading_ids.state", "grading_ids.grade_id",
                 "grading_ids.previous_grading_id", "grading_ids.grade_id.code", "grading_ids.grade_id.sequence")
    def _compute_grading_quantities(self):
        for line in self:
            current = line.grading_ids._get_current()
            first_gradings = line.grading_ids.filtered(lambda g: not g.previous_grading_id)
            line.qty_graded = sum(first_gradings.mapped("quantity"))
            line.qty_dispositioned = sum(g.quantity for g in first_gradings if g.state != "graded")
            line.qty_to_grade = max(line.qty_received - line.qty_graded, 0.0)
            by_grade = {}
            for grading in current.sorted(lambda g: g.grade_id.sequence):
                by_grade[grading.grade_id.code] = by_grade.get(grading.grade_id.code, 0.0) + grading.quantity
            line.grade_summary = ", ".join(f"{qty:g} {code}" for code, qty in by_grade.items())

    @api.depends("refund_line_ids.balance", "refund_line_ids.parent_state", "refund_line_ids.is_restocking_fee",
                 "grading_ids.processing_cost", "grading_ids.recovery_value", "grading_ids.previous_grading_id")
    def _compute_ledger(self):
        for line in self:
            posted = line.refund_line_ids.filtered(lambda aml: aml.parent_state == "posted")
            fees = posted.filtered("is_restocking_fee")
            line.refund_amount = sum(posted.mapped("balance"))
            line.restocking_fee_charged = -sum(fees.mapped("balance"))
            first_gradings = line.grading_ids.filtered(lambda g: not g.previous_grading_id)
            line.processing_cost = sum(first_gradings.mapped("processing_cost"))
            line.recovery_value = sum(first_gradings.mapped("recovery_value"))
            line.net_recovery = line.recovery_value - line.processing_cost

    @api.depends("exchange_line_ids.product_uom_qty", "exchange_line_ids.state")
    def _compute_qty_exchanged(self):
        for line in self:
            line.qty_exchanged = sum(
                sol.product_uom_qty for sol in line.exchange_line_ids if sol.state != "cancel"
            )

    # On the policy and the type, not on their settings: the percent is fixed when they are chosen, so a
    # manager changing a fee or a type's flag never rewrites the returns already made.
    @api.depends("reason_id", "order_id.policy_id", "order_id.return_type_id")
    def _compute_restocking_fee_percent(self):
        for line in self:
            policy = line.order_id.policy_id
            if not policy or not line.order_id.return_type_id.restocking_fee_applies:
                line.restocking_fee_percent = 0.0
            else:
                line.restocking_fee_percent = policy._get_restocking_fee_percent(line.reason_id)

    @api.depends(
        "product_id", "product_uom_qty", "lot_id", "order_id.date_request", "order_id.policy_id.window_days",
        "order_id.policy_id.category_window_ids.window_days", "order_id.policy_id.non_returnable_product_ids",
        "order_id.policy_id.non_returnable_categ_ids", "order_id.policy_id.lot_match_required",
    )
    def _compute_policy_problems(self):
        returnable_by_line = self.filtered("product_id")._get_returnable_quantities()
        for line in self:
            messages = [msg for _code, msg in line._get_policy_problems()]
            returnable = returnable_by_line.get(line)
            if returnable is not None and float_compare(
                line.product_uom_qty, returnable, precision_rounding=line.product_uom_id.rounding
            ) > 0:
                messages.append(line._get_excess_message(returnable))
            line.policy_problems = "\n".join(messages)

    @api.onchange("sale_line_id")
    def _onchange_sale_line_id(self):
        if self.sale_line_id:
            self.product_id = self.sale_line_id.product_id
            self.origin_move_id = self.sale_line_id.move_ids.filtered(
                lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
            )[-1:]

    @api.constrains("price_unit", "discount")
    def _check_price_and_discount(self):
        """A returned unit is worth nothing or more: a negative price or a discount outside 0-100 % would
        credit more than the price, or make a receipt that can never be valued."""
        for line in self:
            if float_compare(line.price_unit, 0.0, precision_digits=6) < 0:
                raise ValidationError(self.env._(
                    "%(product)s: the unit price of a returned unit cannot be negative.",
                    product=line.product_id.display_name))
            if not 0.0 <= line.discount <= 100.0:
                raise ValidationError(self.env._(
                    "%(product)s: a discount is a percentage between 0 and 100.",
                    product=line.product_id.display_name))

    def _is_priced_by_hand(self):
        """No sale or invoice gives this line its price: the user typed it (a delivery alone prices
        nothing: one made without a sale carries no selling price)."""
        self.ensure_one()
        return not (self.sale_line_id or self.invoice_line_id)

    @api.constrains("restocking_fee_percent")
    def _check_restocking_fee_percent(self):
        if any(not 0.0 <= line.restocking_fee_percent <= 100.0 for line in self):
            raise ValidationError(self.env._("A restocking fee is a percentage between 0 and 100."))

    @api.constrains("product_uom_qty", "origin_move_id", "sale_line_id", "lot_id")
    def _check_returnable_quantity(self):
        live = self.filtered(lambda ln: ln.state not in ("cancel", "rejected"))
        live.sudo()._lock_origin_moves()
        returnable_by_line = live._get_returnable_quantities()
        for line in self:
            if line.state in ("cancel", "rejected"):
                continue
            if float_compare(line.product_uom_qty, 0.0, precision_rounding=line.product_uom_id.rounding) <= 0:
                raise ValidationError(self.env._(
                    "The quantity of %(product)s to return must be positive.", product=line.product_id.display_name,
                ))
            if not line._is_countable_quantity(line.product_uom_qty):
                raise ValidationError(self.env._(
                    "%(product)s is counted in %(uom)s: %(qty)s cannot be returned (no fraction of a unit, and "
                    "no more decimals than the unit's rounding).",
                    product=line.product_id.display_name, uom=line.product_uom_id.name, qty=line.product_uom_qty,
                ))
            returnable = returnable_by_line[line]
            if returnable is not None and float_compare(
                line.product_uom_qty, returnable, precision_rounding=line.product_uom_id.rounding
            ) > 0:
                raise ValidationError(line._get_excess_message(returnable))
            if line.lot_id and line.lot_id.product_id != line.product_id:
                raise ValidationError(self.env._(
                    "Lot %(lot)s is not a lot of %(product)s.", lot=line.lot_id.name,
                    product=line.product_id.display_name,
                ))

    def _get_document_customer(self):
        """The commercial partner the line's documents were sold (or, without a sale, delivered) to."""
        self.ensure_one()
        sale = self.sale_line_id.order_id or self.origin_move_id.sale_line_id.order_id
        return (sale.partner_id or self.origin_move_id.picking_id.partner_id).commercial_partner_id

    @api.constrains("sale_line_id", "origin_move_id", "order_id")
    def _check_customer_is_documents_customer(self):
        for line in self.sudo():
            order = line.order_id
            # A recall returns what was delivered to a consignee, who may not be who bought it.
            if not order.return_type_id.customer_match_required:
                continue
            customer = line._get_document_customer()
            if customer and order.partner_id.commercial_partner_id != customer:
                raise ValidationError(self.env._(
                    "%(product)s was sold to %(customer)s, not to %(partner)s: a return gives back what its "
                    "own customer bought.", product=line.product_id.display_name,
                    customer=customer.display_name, partner=order.partner_id.display_name))

    @api.constrains("product_id", "sale_line_id", "origin_move_id")
    def _check_documents_agree(self):
        """A line's product, sale line and delivery tell one story: the price and the credit come from the
        sale line, the returnable quantity from the delivery, so a delivery of another product or of another
        sale line would credit one product's price for another's units."""
        for line in self.sudo():
            move, sale_line = line.origin_move_id, line.sale_line_id
            if move and move.product_id != line.product_id:
                raise ValidationError(self.env._(
                    "%(product)s cannot be returned against the delivery of %(delivered)s (%(picking)s).",
                    product=line.product_id.display_name, delivered=move.product_id.display_name,
                    picking=move.picking_id.name or move.reference))
            if move and sale_line and move.sale_line_id != sale_line:
                raise ValidationError(self.env._(
                    "The delivery %(picking)s of %(product)s was not made for the sale line %(sale_line)s: "
                    "name the sale line the delivery was made for.",
                    picking=move.picking_id.name or move.reference, product=move.product_id.display_name,
                    sale_line=sale_line.display_name))
            # A kit's components are delivered on the kit's sale line: they are its products too.
            if sale_line and line.product_id and line.product_id not in (
                    sale_line.product_id | sale_line.move_ids.product_id):
                raise ValidationError(self.env._(
                    "%(product)s was not sold nor delivered on the sale line %(sale_line)s.",
                    product=line.product_id.display_name, sale_line=sale_line.display_name))

    @api.constrains("sale_line_id", "origin_move_id")
    def _check_documents_access(self):
        """A user names only deliveries and sale lines they may read (see return.order's check)."""
        if self.env.su:
            return
        for line in self:
            for document in (line.sale_line_id, line.origin_move_id):
                if document:
                    document.check_access("read")

    def _is_countable_quantity(self, qty):
        """A quantity the unit of measure can express: within its rounding and, for units counted one by
        one (the Unit category: units, dozens), a whole number of units."""
        self.ensure_one()
        uom = self.product_uom_id
        if float_compare(float_round(qty, precision_rounding=uom.rounding), qty, precision_digits=6):
            return False
        if uom.category_id == self.env.ref("uom.product_uom_categ_unit", raise_if_not_found=False):
            units = uom._compute_quantity(qty, uom.category_id.uom_ids.filtered(
                lambda u: u.uom_type == "reference")[:1] or uom, round=False)
            return float_is_zero(units - round(units), precision_digits=6)
        return True

    def _get_excess_message(self, returnable):
        self.ensure_one()
        return self.env._(
            "%(product)s: %(qty)s requested but only %(returnable)s can still be returned "
            "(delivered minus already returned).",
            product=self.product_id.display_name + (f" ({self.lot_id.name})" if self.lot_id else ""),
            qty=self.product_uom_qty, returnable=returnable,
        )

    # ------------------------------------------------------------------
    # What users may not write: lines are edited while the return is a draft; prices come from the sale
    # and invoice, the fee from the policy (a manager may change it); the rest is the flow's
    # ------------------------------------------------------------------
    @api.model
    def _get_system_fields(self):
        """Fields the flow alone sets. Fields an extension adds are not here: writable unless it adds them."""
        return [
            "company_id", "partner_id", "state", "currency_id", "company_currency_id", "product_uom_id",
            "tracking", "invoice_line_id", "qty_received", "qty_refunded", "qty_exchanged", "qty_graded",
            "qty_dispositioned", "qty_to_grade", "qty_not_invoiced", "price_subtotal", "restocking_fee_amount",
            "move_ids", "credit_allocation_ids", "refund_line_ids", "exchange_line_ids", "grading_ids",
            "policy_problems", "grade_summary", "refund_amount", "restocking_fee_charged", "processing_cost",
            "recovery_value", "net_recovery", "kept_by_customer", "expected_recovery_amount", "return_cost_amount",
            "expected_net_amount", "expected_recovery_basis", "expected_recovery_history_qty",
            "expected_recovery_ids",
        ]

    @api.model
    def _get_draft_fields(self):
        """What the return's draft says about the line: fixed once the return left the draft."""
        return ["order_id", "product_id", "product_uom_qty", "lot_id", "reason_id", "exchange_product_id",
                "sequence", "sale_line_id", "origin_move_id", "price_unit", "discount", "tax_ids",
                "restocking_fee_percent"]

    def _get_protected_fields(self, names=(), orders=None):
        """Fields users may not write on these lines (`orders`: the returns lines are created on)."""
        protected = self._get_system_fields()
        orders = self.order_id if orders is None else orders
        if any(order.state != "draft" for order in orders):
            return protected + self._get_draft_fields()
        documents = ("sale_line_id", "origin_move_id", "invoice_line_id")
        if any(name in names and names[name] for name in documents if isinstance(names, dict)) \
                or any(line.sale_line_id or line.origin_move_id or line.invoice_line_id for line in self):
            # The price is the sale's and the invoice's, also when the document comes in the same write;
            # without documents (a distributor return) the user gives it.
            protected += ["price_unit", "discount", "tax_ids"]
        if "restocking_fee_percent" in names \
                and not self.env.user.has_group("reverse_logistics.group_return_manager"):
            protected.append("restocking_fee_percent")
        return protected

    @api.model
    def _complete_document_vals(self, vals, lines=None):
        """A line that returns a sale's delivery returns that sale line: its price is the sale's and the
        invoice's (as when the sale line is given), never one typed before the delivery was named."""
        if vals.get("origin_move_id") and not vals.get("sale_line_id") \
                and not (lines and any(line.sale_line_id for line in lines)):
            move = self.env["stock.move"].sudo().browse(
                check_id(self.env, vals["origin_move_id"], self._fields["origin_move_id"].string))
            if move.exists() and move.sale_line_id:
                vals["sale_line_id"] = move.sale_line_id.id
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._complete_document_vals(dict(vals)) for vals in vals_list]
        if not self.env.su:
            orders = self.env["return.order"].browse(
                {check_id(self.env, vals["order_id"], self._fields["order_id"].string)
                 for vals in vals_list if vals.get("order_id")})
            for vals in vals_list:
                protected = self._get_protected_fields(vals, orders=orders & orders.browse(vals.get("order_id")))
                if vals.get("sale_line_id") or vals.get("origin_move_id") or vals.get("invoice_line_id"):
                    protected += ["price_unit", "discount", "tax_ids"]
                check_protected_fields(self, vals, protected)
                check_numbers(self, vals)
            self = without_protected_defaults(self, self._get_system_fields())  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        if self and "origin_move_id" in vals:
            vals = self._complete_document_vals(dict(vals), self)
        if not self.env.su and self:
            check_protected_fields(self, vals, self._get_protected_fields(vals))
            check_numbers(self, vals)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Delivered and returnable quantities
    # ------------------------------------------------------------------
    def _get_origin_moves(self):
        """Done deliveries to the customer that this line gives back."""
        self.ensure_one()
        if self.origin_move_id:
            return self.origin_move_id
        if self.sale_line_id:
            return self.sale_line_id.move_ids.filtered(
                lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
                and not m.origin_returned_move_id
            )
        return self.env["stock.move"]

    def _get_matched_lot(self, moves):
        """The line's lot when it was delivered on these moves; otherwise quantities are not per lot
        (whether a foreign lot may come back is the policy's call, not a quantity question)."""
        self.ensure_one()
        return self.lot_id if self.lot_id and self.lot_id in moves.move_line_ids.lot_id else self.lot_id.browse()

    def _get_delivered_qty(self, moves, lot):
        self.ensure_one()
        if lot:
            return sum(
                ml.product_uom_id._compute_quantity(ml.quantity, self.product_uom_id)
                for ml in moves.move_line_ids if ml.lot_id == lot
            )
        return sum(m.product_uom._compute_quantity(m.quantity, self.product_uom_id) for m in moves)

    def _get_reserved_qty(self):
        """Units this line takes out of what is returnable: received once the order stopped receiving.

        An expired return holds nothing back, like a cancelled one: its units are returnable again."""
        self.ensure_one()
        if self.order_id.state == "expired":
            return 0.0
        if self.order_id.state in ("received", "done"):
            return self.qty_received
        return self.product_uom_qty

    def _get_returnable_qty(self, others=None):
        """Delivered minus returned (by Odoo's return wizard or by other returns); None: no origin.

        `others`: the live return lines that may compete with this one (any superset will do), as found
        by `_get_competing_lines`; searched for this line alone when not given.
        """
        self.ensure_one()
        moves = self._get_origin_moves()
        if not moves:
            return None
        lot = self._get_matched_lot(moves)
        delivered = self._get_delivered_qty(moves, lot)
        # Returns made with Odoo's own wizard, outside any return order.
        native_returns = moves.returned_move_ids.filtered(lambda m: m.state != "cancel" and not m.return_line_id)
        if lot:
            returned = sum(
                ml.product_uom_id._compute_quantity(ml.quantity, self.product_uom_id)
                for ml in native_returns.move_line_ids if ml.lot_id == lot
            )
        else:
            returned = sum(m.product_uom._compute_quantity(m.product_uom_qty, self.product_uom_id)
                           for m in native_returns)
        # Goods Odoo's wizard sent back to the customer again (a return of that return) are delivered again.
        resent = native_returns.returned_move_ids.filtered(lambda m: m.state == "done")
        if lot:
            returned -= sum(
                ml.product_uom_id._compute_quantity(ml.quantity, self.product_uom_id)
                for ml in resent.move_line_ids if ml.lot_id == lot
            )
        else:
            returned -= sum(m.product_uom._compute_quantity(m.quantity, self.product_uom_id) for m in resent)
        if others is None:
            others = self._get_competing_lines()
        others = others.filtered(lambda o: o._origin != self._origin and (
            o.origin_move_id in moves or (self.sale_line_id and o.sale_line_id == self.sale_line_id))
            and (not lot or o.lot_id == lot))
        if self.origin_move_id:
            # A line tied to one move only competes with lines of that move.
            others = others.filtered(lambda o: not o.origin_move_id or o.origin_move_id == self.origin_move_id)
        returned += sum(other._get_reserved_qty() for other in others)
        return float_round(max(delivered - returned, 0.0), precision_rounding=self.product_uom_id.rounding)

    def _get_qty_giving_back(self, product, qty):
        """This line's quantity, in its unit, that gives back `qty` delivered units of `product` (in the
        product's unit): the same units for a line of that product. Hook: a kit line gives back the kits
        that hold them (reverse_logistics_mrp); a recall returns units this way."""
        self.ensure_one()
        return product.uom_id._compute_quantity(qty, self.product_uom_id)

    def _get_units_given_back(self, product, qty):
        """Units of `product` (in its unit) that `qty` of this line gives back: `_get_qty_giving_back`
        read the other way."""
        self.ensure_one()
        return self.product_uom_id._compute_quantity(qty, product.uom_id)

    def _get_competing_lines(self):
        """Live return lines on the delivered moves or sale lines of these lines, in one search.

        Searched as the system: every return of those units counts, whoever's they are and whether the
        caller may read them (a salesman sees the returns of his own orders only); the caller's own
        access to the deliveries and sale lines is checked when they are named on a line."""
        moves = self.env["stock.move"].union(*(line._get_origin_moves() for line in self))
        if not moves:
            return self.browse()
        return self.sudo().search([
            ("state", "not in", ("cancel", "rejected")),
            "|", ("origin_move_id", "in", moves.ids), ("sale_line_id", "in", self.sale_line_id.ids),
        ])

    def _get_returnable_quantities(self):
        """{line: returnable quantity or None} for all these lines, with one search of the competing ones.

        Counted as the system (deliveries, sale lines and every competing return, whoever may read them),
        once the caller's access to the return and to the documents it names was checked."""
        lines = self.sudo()
        others = lines._get_competing_lines()
        return {line: line._get_returnable_qty(others) for line in lines}

    def _lock_origin_moves(self):
        """Serialize returns of the same delivered moves. Two requests that each see only committed lines
        could together ask for more than was delivered; touching the moves' rows makes the later one wait
        and then fail with a serialization error, which Odoo retries in a fresh transaction: the retry sees
        the winner's lines and refuses what is no longer returnable, with the usual message."""
        moves = self.env["stock.move"].union(*(line._get_origin_moves() for line in self))
        if moves:
            self.env.cr.execute(SQL(
                "UPDATE stock_move SET write_date = write_date WHERE id IN %s", tuple(sorted(moves.ids))))

    def _get_delivery_date(self):
        moves = self._get_origin_moves()
        return max(moves.mapped("date")) if moves else False

    def _get_delivered_lots(self):
        """Lots delivered on the origin moves, or None when the line has no origin to compare with."""
        moves = self._get_origin_moves()
        return moves.move_line_ids.lot_id if moves else None

    def _get_policy_problems(self):
        problems = []
        # Producers must take back waste equipment whatever their return policy says (and a recall is owed
        # to the customer): the type says whether the policy's returnability and lot rules apply.
        lines = self.filtered(lambda line: line.order_id.return_type_id.policy_rules_apply)
        for line in lines:
            policy = line.order_id.policy_id
            if policy and line.product_id:
                problems += policy._get_line_problems(line)
            if line.state == "draft" and line.lot_id.product_id.tracking == "serial":
                problems += [("serial", msg) for msg in line._get_serial_problems(line.lot_id).values()]
        for line in lines.filtered(lambda ln: ln.sale_line_id and ln.product_id):
            if line.product_id != line.sale_line_id.product_id:
                problems.append(("kit", line._get_kit_component_message()))
        return problems

    def _get_serial_problems(self, serials, new_names=()):
        """{serial (or new serial's name): why it cannot come back on this line}. Whatever the policy says
        about lots, a returned serial number must have been delivered to this customer (commercial partner)
        and not have come back since, and must not be in the company's stock (it would be on hand twice).
        A line given back against no delivery (no sale, no delivered move) takes any serial never
        delivered, new ones (`new_names`, typed on the receipt) included."""
        self.ensure_one()
        problems = {}
        order = self.order_id.sudo()
        customer = order.partner_id.commercial_partner_id
        has_origin = bool(self.sale_line_id or self.origin_move_id)
        if has_origin:
            for name in new_names:
                problems[name] = self.env._(
                    "Serial number %(serial)s of %(product)s was never delivered to %(customer)s.",
                    serial=name, product=self.product_id.display_name, customer=customer.display_name)
        if not serials:
            return problems
        move_line_model = self.env["stock.move.line"].sudo()
        # The messages may show on the customer's portal page: they name no location, transfer or other customer.
        stocked = self.env["stock.quant"].sudo().search([
            ("lot_id", "in", serials.ids), ("location_id.usage", "=", "internal"),
            ("company_id", "=", order.company_id.id), ("quantity", ">", 0),
        ]).lot_id
        for serial in serials:
            if serial in stocked:
                problems[serial] = self.env._(
                    "Serial number %(serial)s of %(product)s is in stock: it cannot come back from %(customer)s.",
                    serial=serial.name, product=serial.product_id.display_name, customer=customer.display_name)
                continue
            last = move_line_model.search([
                ("lot_id", "=", serial.id), ("state", "=", "done"),
                "|", ("location_dest_id.usage", "=", "customer"), ("location_id.usage", "=", "customer"),
            ], order="date desc, id desc", limit=1)
            if not last:
                if has_origin:
                    problems[serial] = self.env._(
                        "Serial number %(serial)s of %(product)s was never delivered to %(customer)s.",
                        serial=serial.name, product=serial.product_id.display_name, customer=customer.display_name)
                continue
            if last.location_id.usage == "customer":
                problems[serial] = self.env._(
                    "Serial number %(serial)s of %(product)s already came back from the customer.",
                    serial=serial.name, product=serial.product_id.display_name)
                continue
            partner = last.picking_partner_id or last.move_id.partner_id
            if partner.commercial_partner_id != customer:
                problems[serial] = self.env._(
                    "Serial number %(serial)s of %(product)s was not delivered to %(customer)s.",
                    serial=serial.name, product=serial.product_id.display_name, customer=customer.display_name)
        return problems

    def _get_gradable_quantities(self):
        """{product: quantity received on this line, in the product's unit}: what its gradings grade.
        Hook: a kit line grades the components its receipt brought in."""
        self.ensure_one()
        return {self.product_id: self.qty_received}

    def _get_ungraded_units(self):
        """[(product, lot, qty)] received on this line and not graded yet."""
        self.ensure_one()
        received = {}
        for move_line in self.move_ids.filtered(lambda m: m.state == "done").move_line_ids:
            key = (move_line.product_id, move_line.lot_id)
            received[key] = received.get(key, 0.0) + move_line.quantity
        for grading in self.grading_ids.filtered(lambda g: not g.previous_grading_id):
            key = (grading.product_id, grading.lot_id)
            received[key] = received.get(key, 0.0) - grading.quantity
        return [(product, lot, qty) for (product, lot), qty in received.items()
                if float_compare(qty, 0.0, precision_rounding=product.uom_id.rounding) > 0]

    def _get_ungraded_lots(self):
        """[(lot, qty)] of the line's product received on this line and not graded yet."""
        self.ensure_one()
        return [(lot, qty) for product, lot, qty in self._get_ungraded_units() if product == self.product_id]

    # ------------------------------------------------------------------
    # Receipt
    # ------------------------------------------------------------------
    def _prepare_receipt_move_vals(self):
        vals_list = []
        for line in self:
            order = line.order_id
            picking_type = order.warehouse_id.return_type_id
            origin_move = line.origin_move_id or line._get_origin_moves()[-1:]
            vals_list.append({
                "name": line.product_id.display_name,
                "product_id": line.product_id.id,
                "product_uom_qty": line.product_uom_qty,
                "product_uom": line.product_uom_id.id,
                "location_id": order._get_return_source_location().id,
                "location_dest_id": order._get_receipt_location().id,
                "picking_type_id": picking_type.id,
                "partner_id": order.partner_id.id,
                "company_id": order.company_id.id,
                "warehouse_id": order.warehouse_id.id,
                "origin": order.name,
                "origin_returned_move_id": origin_move.id,
                "to_refund": bool(line.sale_line_id),
                "sale_line_id": line.sale_line_id.id,
                "return_line_id": line.id,
                "procure_method": "make_to_stock",
            })
        return vals_list

    def _set_receipt_lots(self):
        """Pre-fill the announced lot on the receipt so the warehouse only confirms it."""
        for line in self.filtered("lot_id"):
            line.move_ids.filtered(lambda m: m.state not in ("done", "cancel")).move_line_ids.lot_id = line.lot_id

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(line.state not in ("draft", "cancel") for line in self):
            raise UserError(self.env._("Lines of an approved return cannot be deleted."))

    # ==================================================================
    # Invoicing: credited invoice lines, shares, restocking fee, cost of goods
    # ==================================================================
    credit_allocation_ids = fields.One2many(
        "return.credit.allocation", "return_line_id", string="Credit Allocations", readonly=True,
        groups=CREDIT_ALLOCATION_READERS,
    )
    qty_not_invoiced = fields.Float(
        string="Not Invoiced", digits="Product Unit of Measure", compute="_compute_qty_not_invoiced",
        store=True, copy=False,
        help="Returned units that were delivered but never invoiced: nothing is credited for them, they "
        "lower what is left to invoice on the sale (as Odoo does when invoicing delivered quantities).",
    )

    @api.depends("credit_allocation_ids.qty", "credit_allocation_ids.kind")
    def _compute_qty_not_invoiced(self):
        # The allocations are the one record of units found never invoiced (see _create_credit_notes).
        for line in self:
            line.qty_not_invoiced = sum(
                allocation.qty for allocation in line.credit_allocation_ids if allocation.kind == "not_invoiced")

    @api.depends("refund_line_ids.quantity", "refund_line_ids.product_uom_id", "refund_line_ids.parent_state",
                 "refund_line_ids.is_restocking_fee", "refund_line_ids.return_credit_share")
    def _compute_qty_refunded(self):
        for line in self:
            line.qty_refunded = sum(
                aml.product_uom_id._compute_quantity(aml.quantity, line.product_uom_id)
                if aml.product_uom_id and line.product_uom_id else aml.quantity
                for aml in line.refund_line_ids
                if aml.parent_state != "cancel" and not aml.is_restocking_fee and not aml.return_credit_share
            )

    @api.depends("sale_line_id", "order_id.invoice_id")
    def _compute_invoice_line_id(self):
        """The invoice line the return line shows its price from: the newest that billed the sale line
        (or the one of the return's invoice). Credit notes may take units from several invoice lines."""
        for line in self:
            if not line.sale_line_id:
                continue
            candidates = line._get_sale_invoice_lines()
            current, invoice = line.invoice_line_id, line.order_id.invoice_id
            # Kept while it still bills the sale line (and is on the return's invoice, when the return
            # names one that bills it): a price once shown does not move with a later invoice.
            if current in candidates and (current.move_id == invoice or invoice not in candidates.move_id):
                continue
            line.invoice_line_id = candidates[:1]

    @api.depends("invoice_line_id", "sale_line_id", "product_id")
    def _compute_price(self):
        for line in self:
            invoice_line, sale_line = line.invoice_line_id, line.sale_line_id
            uom = line.product_uom_id
            if invoice_line:
                line.price_unit = invoice_line.product_uom_id._compute_price(invoice_line.price_unit, uom) \
                    if invoice_line.product_uom_id and uom else invoice_line.price_unit
                line.discount = invoice_line.discount
                line.tax_ids = invoice_line.tax_ids
            elif sale_line:
                line.price_unit = sale_line.product_uom._compute_price(sale_line.price_unit, uom) \
                    if sale_line.product_uom and uom else sale_line.price_unit
                line.discount = sale_line.discount
                line.tax_ids = sale_line.tax_id
            elif line.product_id and not line.price_unit:
                line.price_unit = line.product_id.lst_price
                line.tax_ids = line.product_id.taxes_id._filter_taxes_by_company(line.order_id.company_id)

    @api.depends("product_uom_qty", "price_unit", "discount", "tax_ids", "restocking_fee_percent",
                 "order_id.currency_id", "invoice_line_id")
    def _compute_amounts(self):
        for line in self:
            line.price_subtotal = line._get_tax_details(line.product_uom_qty)["total_excluded"]
            line.restocking_fee_amount = line._get_requested_restocking_fee()

    def _get_requested_restocking_fee(self):
        """The fee the credit note will charge for the requested units (the same computation), against the
        invoice line the return shows its price from."""
        self.ensure_one()
        if not self.restocking_fee_percent:
            return 0.0
        invoice_line = self.invoice_line_id._origin
        try:
            return self._get_restocking_fee(self.product_uom_qty, invoice_line)
        except UserError:
            # Not creditable in the invoiced unit (the credit refuses it by name): the line's own price.
            return self._get_restocking_fee(self.product_uom_qty)

    def _get_currency(self):
        """The currency the line's amounts are in: its invoice's or sale's (the return's own currency is
        computed from them too, but may not be yet while a new return computes its lines)."""
        self.ensure_one()
        return (self.invoice_line_id.currency_id or self.sale_line_id.currency_id or self.currency_id
                or self.company_id.currency_id or self.order_id.company_id.currency_id)

    def _round(self, amount):
        self.ensure_one()
        currency = self._get_currency()
        return currency.round(amount) if currency else amount

    def _get_tax_details(self, qty, price_unit=None, discount=None, taxes=None, uom=None):
        """Untaxed and taxed totals of `qty` units through Odoo's tax engine, as an invoice line computes
        them (taxes included or excluded in the price), rounded in the currency."""
        self.ensure_one()
        account_tax = self.env["account.tax"]
        currency = self._get_currency()
        base_line = account_tax._prepare_base_line_for_taxes_computation(
            self,
            price_unit=self.price_unit if price_unit is None else price_unit,
            quantity=qty,
            discount=(self.discount or 0.0) if discount is None else discount,
            tax_ids=self.tax_ids if taxes is None else taxes,
            currency_id=currency,
            product_id=self.product_id,
            product_uom_id=uom or self.product_uom_id,
        )
        account_tax._add_tax_details_in_base_line(base_line, self.company_id or self.env.company)
        details = base_line["tax_details"]
        return {
            "total_excluded": currency.round(details["raw_total_excluded_currency"]),
            "total_included": currency.round(details["raw_total_included_currency"]),
        }

    def _get_unit_value(self):
        """Value of one returned unit in company currency, untaxed: what the customer paid for it (at the
        invoice's rate), else its cost."""
        self.ensure_one()
        if not self.price_unit:
            return self.product_id.standard_price
        unit = self._get_tax_details(1.0)["total_excluded"] if self.tax_ids else \
            self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        currency, company = self.currency_id, self.company_id
        if not currency or currency == company.currency_id:
            return unit
        invoice = self.invoice_line_id.move_id
        date = invoice.invoice_date or invoice.date or self.order_id.date_request or fields.Date.context_today(self)
        return currency._convert(unit, company.currency_id, company, date, round=False)

    def _get_kit_component_message(self):
        return self.env._(
            "%(product)s was delivered as a component of the kit %(kit)s: return and credit whole kits "
            "(%(kit)s), not their components.",
            product=self.product_id.display_name, kit=self.sale_line_id.product_id.display_name,
        )

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def _get_resolved_qty(self, done_field):
        """Units already resolved: credited, or (for credits) found never invoiced."""
        self.ensure_one()
        qty = self[done_field]
        if done_field == "qty_refunded":
            qty += self.qty_not_invoiced
        return qty

    def _get_quantities_to_resolve(self, done_field, base_field=None):
        """[(line, qty)] still owed to the customer: base quantity minus what was already resolved."""
        result = []
        for line in self:
            base = line._get_resolution_base_qty(base_field)
            qty = float_round(base - line._get_resolved_qty(done_field),
                              precision_rounding=line.product_uom_id.rounding)
            if not float_is_zero(qty, precision_rounding=line.product_uom_id.rounding) and qty > 0:
                result.append((line, qty))
        return result

    # Allocation of returned units to the invoice lines that billed them -----------------------
    def _get_sale_invoice_lines(self):
        """Posted invoice lines of the sale line, in the order units are credited from them: the
        return's own invoice first, then the newest invoice first."""
        self.ensure_one()
        invoice_lines = self.sale_line_id.invoice_lines.filtered(
            lambda aml: aml.move_id.move_type == "out_invoice" and aml.parent_state == "posted"
            and aml.display_type == "product"
        )
        invoice = self.order_id.invoice_id
        return invoice_lines.sorted(lambda aml: (
            aml.move_id == invoice, aml.move_id.invoice_date or aml.move_id.date, aml.move_id.id, aml.id,
        ), reverse=True)

    def _get_credited_by_invoice_line(self, invoice_lines):
        """{invoice line: units (in the line's unit) already credited against it}, credit notes made by
        hand included: those name the invoice they reverse, else they count against the newest."""
        self.ensure_one()
        credited = defaultdict(float)
        refunds = self.sale_line_id.invoice_lines.filtered(
            lambda aml: aml.move_id.move_type == "out_refund" and aml.parent_state != "cancel"
            and aml.display_type == "product" and not aml.is_restocking_fee
        )
        manual = defaultdict(float)
        for refund in refunds:
            qty = refund.product_uom_id._compute_quantity(refund.quantity, self.product_uom_id)
            if refund.refunded_invoice_line_id:
                credited[refund.refunded_invoice_line_id] += qty
            else:
                manual[refund.move_id.reversed_entry_id] += qty
        for reversed_invoice, qty in manual.items():
            targets = invoice_lines.filtered(lambda aml, inv=reversed_invoice: aml.move_id == inv) \
                if reversed_invoice else self.env["account.move.line"]
            for invoice_line in targets + (invoice_lines - targets):
                room = self._get_invoice_line_qty(invoice_line) - credited[invoice_line]
                take = min(qty, max(room, 0.0))
                credited[invoice_line] += take
                qty -= take
                if qty <= 0:
                    break
        return credited

    def _get_invoice_line_qty(self, invoice_line):
        self.ensure_one()
        return invoice_line.product_uom_id._compute_quantity(invoice_line.quantity, self.product_uom_id)

    def _get_credit_allocation(self, lines_qty):
        """Split the units to credit over the invoice lines that billed them.

        Returns (allocation, not_invoiced): [(line, invoice line or empty, qty in the line's unit)] and
        [(line, qty)] of units never invoiced. Raises a UserError naming the invoice when some units
        cannot be credited exactly, so that nothing is created.
        """
        allocation, not_invoiced = [], []
        by_sale_line = defaultdict(list)
        for line, qty in lines_qty:
            if line.sale_line_id:
                by_sale_line[line.sale_line_id].append((line, qty))
            else:
                # No sale behind it (distributor return): credited at the return line's own price.
                allocation.append((line, self.env["account.move.line"], qty))
        for group in by_sale_line.values():
            group_alloc, group_waived = group[0][0]._allocate_sale_line(group)
            allocation += group_alloc
            not_invoiced += group_waived
        return allocation, not_invoiced

    def _get_unreceived_resolved_qty(self, batch):
        """Units of this sale line's returns resolved (credited, or found never invoiced) but not received
        yet: Odoo still counts them delivered."""
        self.ensure_one()
        others = self.search([
            ("sale_line_id", "=", self.sale_line_id.id), ("state", "not in", ("cancel", "rejected")),
        ])
        total = 0.0
        for other in others | self.browse([line.id for line in batch]):
            resolved = other._get_resolved_qty("qty_refunded") + batch.get(other, 0.0)
            received = other.product_uom_id._compute_quantity(other.qty_received, self.product_uom_id)
            resolved = other.product_uom_id._compute_quantity(resolved, self.product_uom_id)
            total += max(resolved - received, 0.0)
        return total

    def _allocate_sale_line(self, group):
        """Allocation for [(line, qty)] of one sale line; `self` is any line of the group."""
        self.ensure_one()
        sale_line, uom = self.sale_line_id, self.product_uom_id
        for line, _qty in group:
            if line.product_id != sale_line.product_id:
                raise UserError(line._get_kit_component_message())
        invoice_lines = self._get_sale_invoice_lines()
        credited = self._get_credited_by_invoice_line(invoice_lines)
        room = {il: self._get_invoice_line_qty(il) - credited[il] for il in invoice_lines}
        # Units never invoiced: delivered before this return minus what is still invoiced, credit
        # notes of returns aside (credit notes made by hand are taken to cover units the customer keeps).
        batch = {line: qty for line, qty in group}
        requested = sum(batch.values())
        delivered = sale_line.product_uom._compute_quantity(sale_line.qty_delivered, uom)
        delivered_after = delivered - self._get_unreceived_resolved_qty(batch)
        invoiced = sum(self._get_invoice_line_qty(il) for il in invoice_lines)
        credited_by_returns = sum(
            aml.product_uom_id._compute_quantity(aml.quantity, uom)
            for aml in sale_line.invoice_lines
            if aml.refunded_invoice_line_id and aml.parent_state != "cancel" and not aml.is_restocking_fee
        )
        never_invoiced = max(delivered_after + requested - (invoiced - credited_by_returns), 0.0)
        allocation, waived = [], []
        for line, qty in group:
            skip = min(qty, never_invoiced)
            never_invoiced -= skip
            if float_compare(skip, 0.0, precision_rounding=uom.rounding) > 0:
                waived.append((line, skip))
            rest = float_round(qty - skip, precision_rounding=uom.rounding)
            for invoice_line in invoice_lines:
                if float_compare(rest, 0.0, precision_rounding=uom.rounding) <= 0:
                    break
                take = min(rest, room[invoice_line])
                if float_compare(take, 0.0, precision_rounding=uom.rounding) <= 0:
                    continue
                room[invoice_line] -= take
                rest -= take
                allocation.append((line, invoice_line, take))
            if float_compare(rest, 0.0, precision_rounding=uom.rounding) > 0:
                raise UserError(line._get_cannot_credit_message(rest, invoice_lines, credited))
        return allocation, waived

    def _get_cannot_credit_message(self, qty, invoice_lines, credited):
        self.ensure_one()
        details = ", ".join(
            self.env._("%(invoice)s billed %(billed)s and has %(credited)s credited",
                       invoice=il.move_id.name, billed=self._get_invoice_line_qty(il), credited=credited[il])
            for il in invoice_lines
        ) or self.env._("no posted invoice")
        return self.env._(
            "%(order)s: %(qty)s %(uom)s of %(product)s cannot be credited: %(details)s. Nothing was "
            "credited; check the credit notes made by hand for these invoices.",
            order=self.order_id.name, qty=qty, uom=self.product_uom_id.name,
            product=self.product_id.display_name, details=details,
        )

    # Credit note lines ----------------------------------------------------------------------
    def _get_income_account(self, fiscal_position, invoice_line=None):
        self.ensure_one()
        if invoice_line:
            return invoice_line.account_id
        accounts = self.product_id.product_tmpl_id.with_company(self.company_id).get_product_accounts(
            fiscal_pos=fiscal_position)
        return accounts["income"]

    def _get_credit_note_taxes(self, fiscal_position, invoice_line=None):
        self.ensure_one()
        if invoice_line:
            return invoice_line.tax_ids
        return fiscal_position.map_tax(self.tax_ids)

    def _get_credit_terms(self, qty, invoice_line=None):
        """(quantity, unit, price_unit, discount) of the credit: the invoice line's own price and unit, so
        that the credit note computes exactly as the invoice did; never above what it billed."""
        self.ensure_one()
        if not invoice_line:
            return qty, self.product_uom_id, self.price_unit, self.discount
        inv_uom = invoice_line.product_uom_id or self.product_uom_id
        inv_qty = self.product_uom_id._compute_quantity(qty, inv_uom, round=False)
        if float_compare(inv_qty, float_round(inv_qty, precision_rounding=inv_uom.rounding),
                         precision_digits=6) == 0:
            return float_round(inv_qty, precision_rounding=inv_uom.rounding), inv_uom, \
                invoice_line.price_unit, invoice_line.discount
        # Not a whole number of the invoiced unit: credit in the returned unit at the converted price,
        # only when that price is exact in the price's precision.
        price = inv_uom._compute_price(invoice_line.price_unit, self.product_uom_id)
        digits = self.env["decimal.precision"].precision_get("Product Price")
        if float_compare(price, float_round(price, precision_digits=digits), precision_digits=10) != 0:
            raise UserError(self.env._(
                "%(order)s: %(qty)s %(uom)s of %(product)s cannot be credited exactly against %(invoice)s, "
                "which billed them in %(inv_uom)s at %(price)s: return whole %(inv_uom)s or credit by hand.",
                order=self.order_id.name, qty=qty, uom=self.product_uom_id.name,
                product=self.product_id.display_name, invoice=invoice_line.move_id.name,
                inv_uom=inv_uom.name, price=invoice_line.price_unit,
            ))
        return qty, self.product_uom_id, price, invoice_line.discount

    def _prepare_credit_note_line_vals(self, qty, fiscal_position, invoice_line=None):
        self.ensure_one()
        invoice_line = invoice_line or self.env["account.move.line"]
        quantity, uom, price_unit, discount = self._get_credit_terms(qty, invoice_line)
        return {
            "product_id": self.product_id.id,
            "name": invoice_line.name or self.sale_line_id.name or self.product_id.display_name,
            "quantity": quantity,
            "product_uom_id": uom.id,
            "price_unit": price_unit,
            "discount": discount,
            "tax_ids": [fields.Command.set(self._get_credit_note_taxes(fiscal_position, invoice_line).ids)],
            "account_id": self._get_income_account(fiscal_position, invoice_line).id,
            "sale_line_ids": [fields.Command.set(self.sale_line_id.ids)],
            "analytic_distribution": invoice_line.analytic_distribution,
            "return_line_id": self.id,
            "refunded_invoice_line_id": invoice_line.id,
        }

    def _prepare_credit_allocation_vals(self, kind, qty, invoice_line=None, credit_note_line=None):
        """The record of `qty` units (in the line's unit) credited by `credit_note_line` against
        `invoice_line` (kind "credited"), or found never invoiced ("not_invoiced"). Facts as they are now."""
        self.ensure_one()
        invoice_line = invoice_line or self.env["account.move.line"]
        credit_note_line = credit_note_line or self.env["account.move.line"]
        return {
            "return_line_id": self.id,
            "company_id": self.order_id.company_id.id,
            "product_id": self.product_id.id,
            "qty": qty,
            "product_uom_id": self.product_uom_id.id,
            "kind": kind,
            "invoice_line_id": invoice_line.id,
            "invoice_id": invoice_line.move_id.id,
            "credit_note_line_id": credit_note_line.id,
            "credit_note_id": credit_note_line.move_id.id,
            "currency_id": (credit_note_line.currency_id or self._get_currency()).id,
            "amount": credit_note_line.price_subtotal,
        }

    def _get_restocking_fee(self, qty, invoice_line=None):
        """The fee for `qty` units: a percentage of what the customer paid for them (the credited line total
        in the price's tax convention, less their share of the invoice's discount and promotion lines),
        rounded once in the currency. The one computation of the fee: the return shows it, the credit
        note charges it."""
        self.ensure_one()
        quantity, _uom, price_unit, discount = self._get_credit_terms(qty, invoice_line)
        total = quantity * price_unit * (1 - (discount or 0.0) / 100.0)
        if invoice_line:
            total *= self._get_paid_share(invoice_line)
        fee = self._round(total * self.restocking_fee_percent / 100.0)
        # The credit note's fee line holds it as a unit price: never finer than prices are kept.
        return float_round(fee, precision_digits=self.env["decimal.precision"].precision_get("Product Price"))

    def _prepare_restocking_fee_line_vals(self, qty, fiscal_position, invoice_line=None):
        """A negative line on the credit note: the customer gets back the price minus the fee. It takes the
        taxes of the price that are a percentage of it (a fixed amount per unit is no part of a fee) and the
        analytic distribution of the line it is charged on."""
        self.ensure_one()
        if not self.restocking_fee_percent:
            return {}
        invoice_line = invoice_line or self.env["account.move.line"]
        fee = self._get_restocking_fee(qty, invoice_line)
        if not fee:
            return {}
        fee_product = self.env.ref("reverse_logistics.product_restocking_fee")
        fee_accounts = fee_product.product_tmpl_id.with_company(self.company_id).get_product_accounts(
            fiscal_pos=fiscal_position)
        taxes = self._get_percentage_taxes(self._get_credit_note_taxes(fiscal_position, invoice_line))
        return {
            "product_id": fee_product.id,
            "name": self.env._(
                "Restocking fee %(percent)s%% on %(qty)s %(product)s",
                percent=round(self.restocking_fee_percent, 2), qty=qty, product=self.product_id.display_name,
            ),
            "quantity": 1.0,
            "product_uom_id": fee_product.uom_id.id,
            "price_unit": -fee,
            "tax_ids": [fields.Command.set(taxes.ids)],
            "account_id": (fee_accounts["income"] or self._get_income_account(fiscal_position, invoice_line)).id,
            "analytic_distribution": invoice_line.analytic_distribution,
            "return_line_id": self.id,
            "is_restocking_fee": True,
        }

    # What else changed what the customer paid: discount and promotion lines, early payment discounts ---
    @api.model
    def _get_percentage_taxes(self, taxes):
        """The taxes of `taxes` that are a percentage of the price: fixed amounts per unit (an ecotax) are
        dropped, also from inside a group. A fee or a share of a discount is no unit: Odoo's own Discount
        button leaves fixed taxes out of its discount lines the same way."""
        kept = self.env["account.tax"]
        for tax in taxes:
            flat = tax.flatten_taxes_hierarchy()
            if tax.amount_type == "group" and any(child.amount_type == "fixed" for child in flat):
                kept |= flat.filtered(lambda t: t.amount_type != "fixed")
            elif tax.amount_type != "fixed":
                kept |= tax
        return kept

    @api.model
    def _get_tax_group_key(self, taxes):
        """The taxes a discount line was computed on, as sale's Discount button groups order lines."""
        return frozenset(taxes.flatten_taxes_hierarchy().filtered(lambda t: t.amount_type != "fixed").ids)

    @api.model
    def _get_line_gross(self, aml):
        """A line's total before taxes are added or taken out, in its price's tax convention."""
        return aml.quantity * aml.price_unit * (1 - (aml.discount or 0.0) / 100.0)

    @api.model
    def _is_invoice_discount_line(self, aml):
        """A line that lowered what the customer paid for the invoice's goods: a global discount (sale's
        Discount button) or a promotion (loyalty rewards): a negative price on no goods, no down payment
        (a down payment deducted was paid on its own invoice)."""
        return (aml.display_type == "product" and aml.quantity > 0 and aml.price_unit < 0
                and (not aml.product_id or aml.product_id.type == "service")
                and not any(aml.sale_line_ids.mapped("is_downpayment")))

    @api.model
    def _get_invoice_base_lines(self, invoice):
        """The lines of `invoice` whose price a discount or an early payment discount was taken off."""
        return invoice.sudo().invoice_line_ids.filtered(
            lambda aml: aml.display_type == "product" and self._get_line_gross(aml) > 0
            and not any(aml.sale_line_ids.mapped("is_downpayment")))

    @api.model
    def _get_invoice_discounts(self, invoice):
        """[(discount line, the lines it was computed on, their total)] of `invoice`: each discount or
        promotion line over the lines of the same taxes (fixed taxes aside), as sale's Discount button
        makes one per set of taxes; over all lines when none has its taxes."""
        invoice = invoice.sudo()
        discounts = invoice.invoice_line_ids.filtered(self._is_invoice_discount_line)
        if not discounts:
            return []
        positive = self._get_invoice_base_lines(invoice)
        result = []
        for discount in discounts:
            key = self._get_tax_group_key(discount.tax_ids)
            base = positive.filtered(lambda aml, k=key: self._get_tax_group_key(aml.tax_ids) == k) or positive
            total = sum(self._get_line_gross(aml) for aml in base)
            if total:
                result.append((discount, base, total))
        return result

    @api.model
    def _get_paid_share(self, invoice_line, discounts=None):
        """What the customer paid per unit of `invoice_line`'s price: 1 less its share of the invoice's
        discount and promotion lines."""
        if discounts is None:
            discounts = self._get_invoice_discounts(invoice_line.move_id)
        return 1.0 + sum(self._get_line_gross(discount) / total
                         for discount, base, total in discounts if invoice_line in base)

    @api.model
    def _get_untaxed_paid_share(self, invoice_line, discounts):
        """Untaxed amount the customer paid per unit of `invoice_line`'s price (its untaxed part, less
        its share of the untaxed discount and promotion lines)."""
        gross = self._get_line_gross(invoice_line)
        share = invoice_line.price_subtotal / gross if gross else 0.0
        return share + sum(discount.price_subtotal / total
                           for discount, base, total in discounts if invoice_line in base)

    @api.model
    def _get_early_payment_discount(self, invoice):
        """The early payment discount the customer took on `invoice`, as (percentage, tax computation),
        else None: the invoice's payment term offers one and the entry that paid it booked it (Odoo's
        payment registration and bank reconciliation write the discount on lines of type 'epd')."""
        invoice = invoice.sudo()
        term = invoice.invoice_payment_term_id
        if not term.early_discount or invoice.move_type != "out_invoice":
            return None
        term_lines = invoice.line_ids.filtered(lambda aml: aml.display_type == "payment_term")
        payments = term_lines.matched_credit_ids.credit_move_id.move_id.filtered(
            lambda move: move.move_type == "entry")
        if any(aml.display_type == "epd" for aml in payments.line_ids):
            return term.discount_percentage, term.early_pay_discount_computation
        return None

    @api.model
    def _get_credit_shares(self, invoice):
        """What a credit note of `invoice` gives back beside the units: the returned units' share of the
        invoice's discount and promotion lines and of the early payment discount the customer took.

        A running state: each share is the rounded share of all the units credited by returns so far
        less the rounded share of those credited before, so that the shares of every return of every
        unit add up to the invoice's lines exactly. Credit notes made by hand give back their own shares.
        None when the invoice has nothing to share.
        """
        invoice = invoice.sudo()
        discounts = self._get_invoice_discounts(invoice)
        early_payment = self._get_early_payment_discount(invoice)
        if not discounts and not early_payment:
            return None
        base_lines = self._get_invoice_base_lines(invoice)
        previous = self.env["account.move.line"].sudo().search([
            ("refunded_invoice_line_id", "in", base_lines.ids), ("parent_state", "!=", "cancel"),
            ("return_line_id", "!=", False), ("is_restocking_fee", "=", False), ("return_credit_share", "=", False),
        ])
        credited = defaultdict(float)
        for aml in previous:
            credited[aml.refunded_invoice_line_id] += self._get_line_gross(aml)
        return {
            "invoice": invoice,
            "base_lines": base_lines,
            "discounts": discounts,
            "early_payment": early_payment,
            "credited": credited,
        }

    def _get_running_share(self, amount, before, now, total):
        """This credit's part of `amount` spread over `total`, `before` of it credited already: the rounded
        share of all that is credited less the rounded share of what was, so the parts add up to `amount`."""
        if not total:
            return 0.0
        return self._round(self._round(amount * (before + now) / total) - self._round(amount * before / total))

    def _prepare_credit_share_line_vals(self, qty, invoice_line, shares):
        """Lines giving back, with `qty` units of `invoice_line`, their share of the invoice's discount and
        promotion lines (negative, with each discount line's own taxes, account and analytic distribution)
        and of the early payment discount the customer took (negative: what was not paid for them is not
        given back; see _prepare_early_payment_share_vals). `shares`: see _get_credit_shares."""
        self.ensure_one()
        quantity, _uom, price_unit, discount = self._get_credit_terms(qty, invoice_line)
        gross = quantity * price_unit * (1 - (discount or 0.0) / 100.0)
        credited = shares["credited"]
        vals_list = []
        for discount_line, base, total in shares["discounts"]:
            if invoice_line not in base:
                continue
            before = sum(credited[aml] for aml in base)
            amount = self._get_running_share(self._get_line_gross(discount_line), before, gross, total)
            if not amount:
                continue
            vals_list.append({
                "product_id": discount_line.product_id.id,
                "name": self.env._("%(discount)s: share of %(qty)s %(product)s", discount=discount_line.name,
                                   qty=qty, product=self.product_id.display_name),
                "quantity": 1.0,
                "product_uom_id": discount_line.product_uom_id.id,
                "price_unit": amount,
                "tax_ids": [fields.Command.set(discount_line.tax_ids.ids)],
                "account_id": discount_line.account_id.id,
                "analytic_distribution": discount_line.analytic_distribution,
                "return_line_id": self.id,
                "refunded_invoice_line_id": discount_line.id,
                "return_credit_share": "discount",
            })
        if shares["early_payment"]:
            vals = self._prepare_early_payment_share_vals(qty, invoice_line, gross, shares)
            if vals:
                vals_list.append(vals)
        credited[invoice_line] += gross
        return vals_list

    def _prepare_early_payment_share_vals(self, qty, invoice_line, gross, shares):
        """The early payment discount the customer took on these units, taken off their credit as Odoo
        booked it when the invoice was paid (account.move's
        _get_invoice_counterpart_amls_for_early_payment_discount), by the payment term's tax computation:

        - *included* (tax reduced on early payment): the percentage of what was paid for the units, taxes
          included, with their percentage taxes: the credit note reverses the tax the payment reduced;
        - *excluded* (tax never reduced): the percentage of their untaxed amount, without taxes;
        - *mixed* (tax reduced on the invoice): the same, without taxes, since the credit note (with the
          invoice's payment term) already computes the tax on the discounted base, as the invoice did.

        On the company's cash discount loss account, the account Odoo booked the discount on."""
        self.ensure_one()
        percent, computation = shares["early_payment"]
        discounts, credited = shares["discounts"], shares["credited"]
        if computation == "included":
            key = self._get_tax_group_key(invoice_line.tax_ids)
            group = shares["base_lines"].filtered(lambda aml: self._get_tax_group_key(aml.tax_ids) == key)
            measure = {aml: self._get_paid_share(aml, discounts) for aml in group}
            taxes = self._get_percentage_taxes(invoice_line.tax_ids)
        else:
            group = shares["base_lines"]
            measure = {aml: self._get_untaxed_paid_share(aml, discounts) for aml in group}
            taxes = self.env["account.tax"]
        before = sum(credited[aml] * measure[aml] for aml in group)
        amount = self._get_running_share(percent / 100.0, before, gross * measure.get(invoice_line, 0.0), 1.0)
        if not amount:
            return {}
        company = shares["invoice"].company_id
        account = company.account_journal_early_pay_discount_loss_account_id or invoice_line.account_id
        return {
            "name": self.env._("Early payment discount %(percent)s%% on %(qty)s %(product)s",
                               percent=round(percent, 2), qty=qty, product=self.product_id.display_name),
            "quantity": 1.0,
            "price_unit": -amount,
            "tax_ids": [fields.Command.set(taxes.ids)],
            "account_id": account.id,
            "analytic_distribution": invoice_line.analytic_distribution,
            "return_line_id": self.id,
            "refunded_invoice_line_id": invoice_line.id,
            "return_credit_share": "early_payment",
        }

    # Cost of goods -----------------------------------------------------------------------------
    def _get_returned_unit_cost(self):
        """Cost of one unit (the product's unit, company currency) of this line's units coming back, as the
        receipt values them, whether or not they are back yet: see _get_return_cost. None when there is no
        delivered move to take it from."""
        self.ensure_one()
        origin = self.origin_move_id or self._get_origin_moves()[-1:]
        if not origin:
            return None
        return self._get_return_cost(origin, self.product_id)

    def _get_return_cost(self, origin, product):
        """Cost of one unit of `product` coming back against the delivered move `origin`: its unit cost
        when it left (stock.move._get_price_unit of a return: the delivered move's valuation layers), or
        today's standard price for a product at standard cost (the receipt's value either way), times the
        share of units the company owns (consignment stock is valued neither way)."""
        self.ensure_one()
        product = product.with_company(self.company_id)
        if product.cost_method == "standard":
            price = product.standard_price
        else:
            returned = self.env["stock.move"].sudo().with_company(self.company_id).new({
                "product_id": product.id, "company_id": self.company_id.id, "origin_returned_move_id": origin.id,
            })
            prices = returned._get_price_unit()
            price = abs(prices.get(self.lot_id, next(iter(prices.values()), 0.0))) if prices else 0.0
        return price * self._get_owned_share(product)

    def _get_owned_share(self, product):
        """Share of this line's units of `product` the company owns: of those received on it, else of those
        delivered on the moves it gives back (of its lot, when it names one)."""
        self.ensure_one()
        received = self.move_ids.filtered(
            lambda m: m.state == "done" and m.location_id.usage == "customer" and m.product_id == product)
        move_lines = received.sudo().move_line_ids
        if not move_lines:
            delivered = self._get_origin_moves().sudo().filtered(lambda m: m.product_id == product).move_line_ids
            move_lines = delivered.filtered(lambda ml: ml.lot_id == self.lot_id) if self.lot_id else delivered
            move_lines = move_lines or delivered
        total = sum(move_lines.mapped("quantity_product_uom"))
        if not total:
            return 1.0
        owned = sum(ml.quantity_product_uom for ml in move_lines if not ml._should_exclude_for_valuation())
        return owned / total

    def _prepare_exchange_line_vals(self, qty):
        self.ensure_one()
        product = self.exchange_product_id or self.product_id
        vals = {
            "product_id": product.id,
            "product_uom_qty": qty,
            "return_line_id": self.id,
        }
        if product == self.product_id:
            vals["price_unit"] = 0.0
        return vals

    def _get_exchange_price(self, sale_order, product):
        """Price of the replacement in the replacement order's pricelist and currency, less what the
        customer paid for the returned unit (converted to that currency); never negative."""
        self.ensure_one()
        if product == self.product_id:
            return 0.0
        pricelist = sale_order.pricelist_id
        currency = sale_order.currency_id
        new_price = pricelist._get_product_price(product, 1.0, currency=currency) if pricelist \
            else product.lst_price
        paid = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        source_currency = self.currency_id or self.company_id.currency_id
        if source_currency != currency:
            paid = source_currency._convert(paid, currency, self.company_id,
                                            sale_order.date_order or fields.Date.context_today(self))
        return max(new_price - paid, 0.0)

    # ==================================================================
    # Keep-the-item refunds: the policy credits the line at approval and nothing comes back
    # ==================================================================
    kept_by_customer = fields.Boolean(
        string="Kept by Customer", readonly=True, copy=False, index=True,
        help="Decided at approval by the return policy: the customer is credited and keeps the goods, "
        "as bringing them back would cost more than they recover. No receipt, nothing enters stock.",
    )

    def _get_resolution_base_qty(self, base_field=None):
        """The quantity the resolution pays for: a kept line's requested units, at whatever step (they
        will never be received); else `base_field` or the policy step's."""
        self.ensure_one()
        if self.kept_by_customer:
            return self.product_uom_qty
        return self[base_field or self.order_id._get_resolution_base_field()]

    def _get_kept_resolved_qty(self):
        """Units of kept lines credited or found never invoiced: delivered, kept, not to invoice again."""
        return sum(line._get_resolved_qty("qty_refunded") for line in self if line.kept_by_customer)
