from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class ReturnDispositionRule(models.Model):
    _name = "return.disposition.rule"
    _description = "Disposition Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: applies to all companies.")
    grade_ids = fields.Many2many("return.grade", string="Grades", help="Empty: any grade.")
    reason_ids = fields.Many2many("return.reason", string="Reasons", help="Empty: any reason.")
    product_ids = fields.Many2many("product.product", string="Products", help="Empty: any product.")
    categ_ids = fields.Many2many(
        "product.category", string="Product Categories", help="Empty: any category (sub-categories match).",
    )
    return_type_ids = fields.Many2many("return.type", string="Return Types", help="Empty: any return type.")
    # In company currency, as graded units' unit values are.
    min_unit_value = fields.Float(string="Unit Value From", digits="Product Price")
    max_unit_value = fields.Float(string="Unit Value To", digits="Product Price", help="0: no upper bound.")
    mode = fields.Selection(
        [("fixed", "Fixed Disposition"), ("value", "Best Net Recovery")], default="fixed", required=True,
        help="Best Net Recovery picks, among the allowed dispositions, the one with the highest "
        "recovery rate x unit value - processing cost.",
    )
    disposition_id = fields.Many2one("return.disposition")
    allowed_disposition_ids = fields.Many2many(
        "return.disposition", "return_disposition_rule_allowed_rel", string="Allowed Dispositions",
    )

    @api.constrains("mode", "disposition_id", "allowed_disposition_ids")
    def _check_target(self):
        for rule in self:
            if rule.mode == "fixed" and not rule.disposition_id:
                raise ValidationError(self.env._("Rule %(rule)s needs a disposition.", rule=rule.name))
            if rule.mode == "value" and not rule.allowed_disposition_ids:
                raise ValidationError(self.env._(
                    "Rule %(rule)s needs the dispositions it may choose from.", rule=rule.name))

    @api.model
    def _get_rules_for(self, companies):
        """The active rules that apply to these companies' units, in their order."""
        return self.search([("company_id", "in", companies.ids + [False])])

    def _find_decision(self, grading):
        """(disposition, rule, why) of the first of these rules that matches the grading, else the
        grade's default disposition (with an empty rule), else None."""
        for rule in self:
            if rule._matches(grading, grading.unit_value):
                disposition, why = rule._decide(grading, grading.unit_value)
                return disposition, rule, why
        if grading.grade_id.default_disposition_id:
            return (grading.grade_id.default_disposition_id, self.browse(),
                    self.env._("Default disposition of grade %(grade)s", grade=grading.grade_id.name))
        return None

    def _matches(self, grading, unit_value):
        self.ensure_one()
        if self.company_id and self.company_id != grading.company_id:
            return False
        if self.grade_ids and grading.grade_id not in self.grade_ids:
            return False
        if self.reason_ids and grading.reason_id not in self.reason_ids:
            return False
        if self.product_ids and grading.product_id not in self.product_ids:
            return False
        if self.categ_ids:
            ancestors = {int(c) for c in (grading.product_id.categ_id.parent_path or "").split("/") if c}
            if not ancestors & set(self.categ_ids.ids):
                return False
        if self.return_type_ids and grading.return_type_id not in self.return_type_ids:
            return False
        rounding = grading.currency_id.rounding
        if self.min_unit_value and float_compare(unit_value, self.min_unit_value, precision_rounding=rounding) < 0:
            return False
        if self.max_unit_value and float_compare(unit_value, self.max_unit_value, precision_rounding=rounding) > 0:
            return False
        return True

    def _decide(self, grading, unit_value):
        """(disposition, explanation) for a grading this rule matched."""
        self.ensure_one()
        if self.mode == "fixed":
            return self.disposition_id, self.env._("Rule %(rule)s", rule=self.name)
        options = sorted(
            ((d._get_expected_net_recovery(grading.grade_id, unit_value, grading._get_disposition_terms(d)), d)
             for d in self.allowed_disposition_ids),
            key=lambda option: (-option[0], option[1].sequence),
        )
        best_value, best = options[0]
        detail = ", ".join(f"{d.name} {value:.2f}" for value, d in options)
        return best, self.env._(
            "Rule %(rule)s, best net recovery per unit: %(detail)s", rule=self.name, detail=detail,
        )
