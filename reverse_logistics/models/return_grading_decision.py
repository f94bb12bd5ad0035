from odoo import models
from odoo.exceptions import UserError


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # ------------------------------------------------------------------
    # Decision
    # ------------------------------------------------------------------
    def _get_rules(self):
        return self.env["return.disposition.rule"].search([
            ("company_id", "in", self.company_id.ids + [False]),
        ])

    def action_decide(self):
        """Pick a disposition for each graded unit from the rules (first match wins)."""
        pending = self.filtered(lambda g: g.state == "graded")
        rules = pending._get_rules()
        unmatched = self.browse()
        for grading in pending:
            decision = grading._decide(rules)
            if not decision:
                unmatched |= grading
                continue
            disposition, rule, why = decision
            grading.sudo().write({"disposition_id": disposition.id, "disposition_rule_id": rule.id,
                           "disposition_note": why})
        if unmatched:
            raise UserError(self.env._(
                "No disposition rule matches these units; they stay pending:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in unmatched),
            ))
        return True

    def _decide(self, rules):
        """(disposition, rule, why) or None."""
        self.ensure_one()
        for rule in rules:
            if rule._matches(self, self.unit_value):
                disposition, why = rule._decide(self, self.unit_value)
                return disposition, rule, why
        if self.grade_id.default_disposition_id:
            return (self.grade_id.default_disposition_id, self.env["return.disposition.rule"],
                    self.env._("Default disposition of grade %(grade)s", grade=self.grade_id.name))
        return None
