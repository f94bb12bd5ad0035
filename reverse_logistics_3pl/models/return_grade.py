from odoo import api, fields, models
from odoo.tools import SQL


class ReturnGrade(models.Model):
    _inherit = "return.grade"

    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", index="btree_not_null", ondelete="restrict",
        help="A brand's own grade: offered and accepted for the brand's goods only. Empty: a grade for all "
             "goods, the company's and every brand's.")

    # A brand may name its grades with the codes of the general ones (its own A, B, C...); two grades of one
    # brand never share a code, and two general grades neither (the index below: NULLs are distinct in a
    # unique constraint).
    _sql_constraints = [
        ("code_uniq", "unique(code, client_id)", "Grade codes must be unique per brand."),
    ]

    def init(self):
        res = super().init()
        self.env.cr.execute(SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS return_grade_general_code_uniq ON return_grade (code) "
            "WHERE client_id IS NULL"))
        return res

    @api.model
    def _get_allowed_domain(self, line=None):
        domain = super()._get_allowed_domain(line)
        if line is None:
            return domain
        owner = line.order_id._get_goods_owner()
        return domain + ([("client_id", "in", [False, owner.id])] if owner else [("client_id", "=", False)])
