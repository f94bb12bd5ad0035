from odoo import models
from odoo.exceptions import UserError


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    def action_decide(self):
        """Pick a disposition for each graded unit from the rules (first match wins); the matching itself
        is the rules' business (return.disposition.rule._find_decision)."""
        self._check_flow_access("reverse_logistics.group_return_user")
        if self and not self.filtered(lambda g: g.state == "graded"):
            raise UserError(self.env._("These units were dispositioned already."))
        return self._action_decide()

    def _action_decide(self):
        pending = self.filtered(lambda g: g.state == "graded")
        rules = self.env["return.disposition.rule"]._get_rules_for(pending.company_id)
        unmatched = self.browse()
        for grading in pending:
            decision = rules._find_decision(grading)
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
