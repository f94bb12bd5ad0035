from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, float_round


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    qty_not_invoiced = fields.Float(
        string="Not Invoiced", digits="Product Unit of Measure", readonly=True, copy=False,
        help="Returned units that were delivered but never invoiced: nothing is credited for them, they "
        "lower what is left to invoice on the sale (as Odoo does when invoicing delivered quantities).",
    )

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
            if line.invoice_line_id or not line.sale_line_id:
                continue
            line.invoice_line_id = line._get_sale_invoice_lines()[:1]

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

    def _get_policy_problems(self):
        problems = super()._get_policy_problems()
        for line in self.filtered(lambda ln: ln.sale_line_id and ln.product_id):
            if line.product_id != line.sale_line_id.product_id:
                problems.append(("kit", line._get_kit_component_message()))
        return problems

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
            base = line[base_field or line.order_id._get_resolution_base_field()]
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
