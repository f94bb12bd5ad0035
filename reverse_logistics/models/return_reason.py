from odoo import fields, models


class ReturnReason(models.Model):
    _name = "return.reason"
    _description = "Return Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_defect = fields.Boolean(
        string="Product Defect",
        help="The product was faulty: the policy never charges a restocking fee for this reason.",
    )
    claims_unused = fields.Boolean(
        string="Says Unused",
        help="The customer says the goods were not used: units graded as used for this reason count against "
        "his return behaviour.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of a return reason must be unique."),
    ]
