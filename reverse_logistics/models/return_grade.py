from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnGrade(models.Model):
    _name = "return.grade"
    _description = "Condition Grade"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Shown on the grading station, e.g. A.")
    hotkey = fields.Char(
        size=1, help="Single key that picks this grade on the grading station (a letter or a digit).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    recovery_rate = fields.Float(
        string="Recovery Rate (%)", digits=(5, 2), default=100.0,
        help="Share of the unit's value expected back from a unit in this condition.",
    )
    min_score = fields.Float(
        string="Minimum Checklist Score (%)", digits=(5, 2),
        help="A checklist scoring at least this suggests this grade (the best grade reached wins).",
    )
    default_disposition_id = fields.Many2one(
        "return.disposition",
        help="Used when no disposition rule matches more precisely.",
    )
    color = fields.Integer()
    shows_use = fields.Boolean(
        help="Units in this condition were used: returned for a reason that says unused, they count against "
        "the customer's return behaviour.",
    )

    _sql_constraints = [
        ("code_uniq", "unique(code)", "Grade codes must be unique."),
    ]

    @api.constrains("recovery_rate", "min_score", "hotkey")
    def _check_values(self):
        for grade in self:
            if not 0 <= grade.recovery_rate <= 100 or not 0 <= grade.min_score <= 100:
                raise ValidationError(self.env._("Rates and scores of a grade are percentages between 0 and 100."))
            if grade.hotkey and self.search_count([("hotkey", "=ilike", grade.hotkey), ("id", "!=", grade.id)]):
                raise ValidationError(self.env._("The key %(key)s already picks another grade.", key=grade.hotkey))

    @api.model
    def _suggest_from_score(self, score, line=None):
        """Best grade whose minimum score the checklist reached, among those for `line`'s units."""
        return self.search(self._get_allowed_domain(line) + [("min_score", "<=", score)],
                           order="min_score desc, sequence", limit=1)

    @api.model
    def _get_allowed_domain(self, line=None):
        """The grades `line`'s units may get (`line`: a return line; None: any). Hook: an addon with
        grades of its own for some units (a 3PL's brand) narrows it."""
        return []
