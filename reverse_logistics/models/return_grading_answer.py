from odoo import fields, models


class ReturnGradingAnswer(models.Model):
    _name = "return.grading.answer"
    _description = "Checklist Answer of a Graded Unit"
    _order = "grading_id, sequence, id"

    grading_id = fields.Many2one("return.grading", required=True, ondelete="cascade", index=True)
    question_id = fields.Many2one("return.grade.question", required=True, ondelete="cascade")
    sequence = fields.Integer(related="question_id.sequence")
    passed = fields.Boolean()
