from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnType(models.Model):
    """A value of return.order's `return_type`, as a record, so that disposition rules can name several.

    Seeded by data for each value (an addon adding a value, as recalls do, adds its record too)."""

    _name = "return.type"
    _description = "Return Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="The value of the return order's Return Type.")
    sequence = fields.Integer(default=10)

    _sql_constraints = [("code_uniq", "unique(code)", "A return type exists only once.")]

    @api.constrains("code")
    def _check_code(self):
        codes = dict(self.env["return.order"]._fields["return_type"]._description_selection(self.env))
        for return_type in self:
            if return_type.code not in codes:
                raise ValidationError(self.env._(
                    "%(code)s is not a return type of return orders (%(codes)s).",
                    code=return_type.code, codes=", ".join(codes)))
