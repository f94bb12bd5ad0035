from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import float_compare, float_is_zero, float_round

ESTIMATE_BASES = [
    ("reason", "Product and Reason"),
    ("product", "Product"),
    ("category", "Product Category"),
    ("none", "No History"),
]


class ReturnRecoveryEstimate(models.Model):
    """What a requested line is expected to recover, grade by grade, as the history said at submission.

    One row per grade seen in the history: its share of the graded units, the disposition the rules
    choose for such a unit of this line, and that disposition's recovery and processing cost per unit
    (computed as the grading computes a realised recovery). Stored when the return is submitted, as
    stock.valuation.layer stores a move's value: later gradings, rules or rates change no estimate, so
    the estimate can be compared with what was recovered (return.recovery.estimate.report).
    """

    _name = "return.recovery.estimate"
    _description = "Expected Recovery of a Return Line"
    _order = "line_id, share desc, id"

    line_id = fields.Many2one("return.order.line", string="Return Line", required=True, ondelete="cascade",
                              index=True, readonly=True)
    order_id = fields.Many2one(related="line_id.order_id", store=True, index=True)
    company_id = fields.Many2one(related="line_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    product_id = fields.Many2one(related="line_id.product_id", store=True)
    grade_id = fields.Many2one("return.grade", required=True, readonly=True)
    disposition_id = fields.Many2one(
        "return.disposition", readonly=True,
        help="What the disposition rules choose for a unit of this line in this grade. Empty: no rule.")
    share = fields.Float(string="Share of Units (%)", digits=(5, 2), readonly=True,
                         help="Share of the history's graded units that got this grade.")
    unit_recovery_value = fields.Monetary(currency_field="company_currency_id", readonly=True)
    unit_processing_cost = fields.Monetary(currency_field="company_currency_id", readonly=True)
    expected_amount = fields.Monetary(
        currency_field="company_currency_id", readonly=True,
        help="The line's quantity x share x (recovery value - processing cost) per unit.")

    # ------------------------------------------------------------------
    # Freezing the estimate of requested lines
    # ------------------------------------------------------------------
    @api.model
    def _freeze_for_lines(self, lines):
        """Estimate the lines not estimated yet and store it: the figures are the facts of the request.
        The history read is other returns' gradings, so the system reads it (the caller may submit the
        return: check_flow_access ran)."""
        lines = lines.filtered(lambda line: not line.expected_recovery_basis)
        if not lines:
            return
        shipping = {}
        for order in lines.order_id:
            shipping.update(self._split_return_shipping_cost(order))
        rules_by_company = {}
        histories = {}  # the lines of one category read its history once
        rows = []
        for line in lines.sudo():
            company = line.company_id
            basis, history_qty, by_grade = self._get_history(line, histories)
            if basis != "none" and company not in rules_by_company:
                rules_by_company[company] = self.env["return.disposition.rule"].sudo()._get_rules_for(company)
            quantity = self._get_line_quantity(line)
            policy = line.order_id.policy_id
            line_rows = [] if basis == "none" else \
                self._prepare_estimate_rows(line, rules_by_company[company], by_grade, quantity)
            rows += line_rows
            rounding = company.currency_id.rounding
            line.write({
                "expected_recovery_basis": basis,
                "expected_recovery_history_qty": history_qty,
                "expected_recovery_amount": float_round(
                    sum(r["expected_amount"] for r in line_rows), precision_rounding=rounding),
                "return_cost_amount": float_round(
                    quantity * policy.recovery_handling_cost + shipping.get(line.id, 0.0),
                    precision_rounding=rounding),
            })
        self.sudo().create(rows)

    @api.model
    def _get_line_quantity(self, line):
        """The requested units in the product's unit, as gradings count them."""
        return line.product_uom_id._compute_quantity(line.product_uom_qty, line.product_id.uom_id) \
            if line.product_uom_id and line.product_uom_id != line.product_id.uom_id else line.product_uom_qty

    @api.model
    def _split_return_shipping_cost(self, order):
        """{line id: share of the return's shipping cost}, pro rata to the requested units; the
        rounding difference goes to the last line so the shares add up to the cost."""
        cost = order._get_return_shipping_cost()
        rounding = order.company_id.currency_id.rounding
        total_qty = sum(order.line_ids.mapped("product_uom_qty"))
        if float_is_zero(cost, precision_rounding=rounding) or float_is_zero(total_qty, precision_digits=6):
            return {}
        shares, left = {}, cost
        all_lines = order.line_ids
        for line in all_lines[:-1]:
            shares[line.id] = float_round(cost * line.product_uom_qty / total_qty, precision_rounding=rounding)
            left -= shares[line.id]
        shares[all_lines[-1:].id] = float_round(left, precision_rounding=rounding)
        return shares

    @api.model
    def _get_history_domain(self, line, since):
        """Done first gradings (the grade units arrived in, not a regrade after refurbishment) of the
        line's company over the period."""
        return [
            ("company_id", "=", line.company_id.id),
            ("state", "=", "done"),
            ("previous_grading_id", "=", False),
            ("date_done", ">=", since),
        ]

    @api.model
    def _get_history(self, line, histories=None):
        """(basis, units read, {grade: units}): the same product and reason when the policy's minimum
        of units was graded for them, else the same product, else the product's category (any history),
        else no history. One grouped read of the category's history answers the three levels;
        `histories` (a dict) keeps it for the other lines of the same history."""
        policy = line.order_id.policy_id
        since = fields.Datetime.now() - timedelta(days=policy.recovery_history_days or 365)
        domain = self._get_history_domain(line, since) + [("categ_id", "=", line.product_id.categ_id.id)]
        histories = {} if histories is None else histories
        key = repr(domain)
        if key not in histories:
            histories[key] = self.env["return.grading"].sudo()._read_group(
                domain, ["product_id", "reason_id", "grade_id"], ["quantity:sum"])
        groups = histories[key]
        levels = [
            ("reason", lambda product, reason: product == line.product_id and reason == line.reason_id,
             policy.recovery_history_min_qty),
            ("product", lambda product, reason: product == line.product_id, policy.recovery_history_min_qty),
            ("category", lambda product, reason: True, 0.0),
        ]
        for basis, matches, minimum in levels:
            if basis == "reason" and not line.reason_id:
                continue
            by_grade = {}
            for product, reason, grade, qty in groups:
                if qty > 0 and matches(product, reason):
                    by_grade[grade] = by_grade.get(grade, 0.0) + qty
            total = sum(by_grade.values())
            if not float_is_zero(total, precision_digits=6) and float_compare(total, minimum, precision_digits=6) >= 0:
                return basis, total, by_grade
        return "none", 0.0, {}

    @api.model
    def _prepare_estimate_rows(self, line, rules, by_grade, quantity):
        """One row per grade: the disposition the rules choose for a unit of this line in that grade
        (return.disposition.rule._find_decision on a grading not saved), and the recovery the grading
        would compute (return.grading._compute_recovery_value) less the disposition's processing cost."""
        total = sum(by_grade.values())
        rows = []
        for grade, qty in by_grade.items():
            unit = self.env["return.grading"].sudo().new({
                "line_id": line.id, "product_id": line.product_id.id, "grade_id": grade.id, "quantity": 1.0,
            })
            decision = rules._find_decision(unit)
            disposition = decision[0] if decision else self.env["return.disposition"]
            recovery = cost = 0.0
            if disposition:
                unit.disposition_id = disposition
                unit.operation = disposition.operation
                recovery = unit._compute_recovery_value()
                cost = unit._get_disposition_terms(disposition)[1]
            share = qty / total
            rows.append({
                "line_id": line.id,
                "grade_id": grade.id,
                "disposition_id": disposition.id,
                "share": share * 100.0,
                "unit_recovery_value": recovery,
                "unit_processing_cost": cost,
                "expected_amount": float_round(quantity * share * (recovery - cost),
                                               precision_rounding=line.company_id.currency_id.rounding),
            })
        # The unsaved gradings must not linger in the line's cache of gradings.
        line.invalidate_recordset(["grading_ids"])
        return rows
