from odoo import fields, models


class ReturnGradeQuestion(models.Model):
    _name = "return.grade.question"
    _description = "Grading Checklist Question"
    _order = "checklist_id, sequence, id"

    checklist_id = fields.Many2one("return.grade.checklist", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Question", required=True, translate=True)
    weight = fields.Float(default=1.0, help="Points this question adds to the score when it passes.")
