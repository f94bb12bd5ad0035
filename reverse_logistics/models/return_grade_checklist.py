from odoo import fields, models


class ReturnGradeChecklist(models.Model):
    _name = "return.grade.checklist"
    _description = "Grading Checklist"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    categ_ids = fields.Many2many(
        "product.category", string="Product Categories",
        help="Products in these categories and their sub-categories are graded with this checklist.",
    )
    question_ids = fields.One2many("return.grade.question", "checklist_id", string="Questions", copy=True)

    def _get_for_product(self, product, line=None):
        """Checklist of the product's nearest category, from the first of `_get_candidate_domains(line)`
        that has one (`line`: the return line whose units are graded)."""
        for domain in self._get_candidate_domains(line):
            categ = product.categ_id
            checklists = self.search(domain + [("categ_ids", "parent_of", categ.ids)])
            while categ:
                match = checklists.filtered(lambda c, categ=categ: categ in c.categ_ids)[:1]
                if match:
                    return match
                categ = categ.parent_id
        return self.browse()

    def _get_candidate_domains(self, line=None):
        """Domains of the checklists that may grade `line`'s units, the preferred first. Hook: an addon
        whose units have checklists of their own (a 3PL's brand) puts those first."""
        return [[]]

    def _score(self, passed_questions):
        """Weighted share (0-100) of the questions that passed."""
        self.ensure_one()
        total = sum(self.question_ids.mapped("weight"))
        if not total:
            return 100.0
        return 100.0 * sum((passed_questions & self.question_ids).mapped("weight")) / total
