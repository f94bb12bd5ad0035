from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero, float_round


class ReturnOrderLine(models.Model):
    _name = "return.order.line"
    _inherit = ["reverse.logistics.flow.mixin"]
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
    sale_line_id = fields.Many2one("sale.order.line", string="Sale Line", index="btree_not_null")
    origin_move_id = fields.Many2one(
        "stock.move", string="Delivered Move", index="btree_not_null",
        help="The delivery move this line returns: Odoo reverses its valuation and the sale's "
        "delivered quantity.",
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", string="Invoice Line", index="btree_not_null",
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
    reason_id = fields.Many2one("return.reason", string="Reason")
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
    note = fields.Text()

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
    grade_summary = fields.Char(string="Grades", compute="_compute_grading_quantities", store=True)
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
                 "grading_ids.previous_grading_id")
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

    @api.depends("refund_line_ids.price_subtotal", "refund_line_ids.parent_state",
                 "grading_ids.processing_cost", "grading_ids.recovery_value")
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

    @api.depends("reason_id", "order_id.policy_id", "order_id.return_type")
    def _compute_restocking_fee_percent(self):
        for line in self:
            policy = line.order_id.policy_id
            if not policy or not line.order_id._is_restocking_fee_charged():
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
        """No sale, delivery or invoice gives this line its price: the user typed it."""
        self.ensure_one()
        return not (self.sale_line_id or self.origin_move_id or self.invoice_line_id)

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
            if order.return_type not in order._get_customer_matched_return_types():
                continue
            customer = line._get_document_customer()
            if customer and order.partner_id.commercial_partner_id != customer:
                raise ValidationError(self.env._(
                    "%(product)s was sold to %(customer)s, not to %(partner)s: a return gives back what its "
                    "own customer bought.", product=line.product_id.display_name,
                    customer=customer.display_name, partner=order.partner_id.display_name))

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
    # What users may write (reverse.logistics.flow.mixin): lines are edited while the return is a draft;
    # prices come from the sale and invoice, the fee from the policy (a manager may change it)
    # ------------------------------------------------------------------
    @api.model
    def _get_user_draft_fields(self, has_document):
        allowed = {"product_id", "product_uom_qty", "lot_id", "reason_id", "exchange_product_id", "note", "sequence",
                   "sale_line_id", "origin_move_id"}
        if not has_document:
            # Nothing to take the price from (a distributor return without documents): the user gives it.
            allowed |= {"price_unit", "discount", "tax_ids"}
        if self.env.user.has_group("reverse_logistics.group_return_manager"):
            allowed.add("restocking_fee_percent")
        return allowed

    @api.model
    def _get_user_creatable_fields(self, vals):
        order = self.env["return.order"].browse(vals.get("order_id"))
        if order and order.state != "draft":
            return set()
        has_document = bool(vals.get("sale_line_id") or vals.get("origin_move_id"))
        return self._get_user_draft_fields(has_document) | {"order_id"}

    def _get_user_writable_fields(self):
        self.ensure_one()
        if self.order_id.state != "draft":
            return {"note"}
        return self._get_user_draft_fields(bool(self.sale_line_id or self.origin_move_id or self.invoice_line_id))

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
        """Units this line takes out of what is returnable: received once the order stopped receiving."""
        self.ensure_one()
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
        for line in self:
            policy = line.order_id.policy_id
            if policy and line.product_id:
                problems += policy._get_line_problems(line)
            if line.state == "draft" and line.lot_id.product_id.tracking == "serial":
                problems += [("serial", msg) for msg in line._get_serial_problems(line.lot_id).values()]
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
