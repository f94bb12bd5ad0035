from odoo import fields, models


class ReturnGradeChecklist(models.Model):
    _inherit = "return.grade.checklist"

    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", index="btree_not_null", ondelete="restrict",
        help="A brand's own checklist: its goods of these categories are graded with it before any general "
             "checklist; never the company's own goods nor another brand's. Empty: a checklist for all goods.")

    def _get_candidate_domains(self, line=None):
        general = [("client_id", "=", False)]
        owner = line.order_id._get_goods_owner() if line is not None else self.env["res.partner"]
        if owner:
            return [[("client_id", "=", owner.id)], general]
        return [general]
