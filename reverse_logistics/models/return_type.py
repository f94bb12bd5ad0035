import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnType(models.Model):
    """What kind of return a return order is, and what that kind allows (the spirit of OCA's `rma.operation`
    and of D365's disposition codes): the flow reads the type's flags, never its name or code.

    The flags are read when the event happens (submission, approval, resolution, the choice of the type
    for the restocking fee): changing them applies to what comes next, never to what already happened."""

    _name = "return.type"
    _description = "Return Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True, help="Technical name, stable across languages, for imports and the external API.")
    sequence = fields.Integer(default=10, help="The first type a company may use is the default of new returns.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company may use it.")
    refund_allowed = fields.Boolean(
        string="Refund or Replace", default=True,
        help="The customer may be refunded or get a replacement. Off (e.g. a WEEE take-back): the resolution "
        "is None, so the policy's value limit and hand-typed prices do not stop auto-approval.")
    window_applies = fields.Boolean(
        string="Return Window", default=True,
        help="The policy's return window applies (off for negotiated distributor terms and warranty claims).")
    restocking_fee_applies = fields.Boolean(
        string="Restocking Fee", default=True,
        help="The policy's restocking fees are charged. Fixed on the lines when the type is chosen.")
    auto_approvable = fields.Boolean(
        string="Auto-approval",
        help="The policy may approve these returns by itself (within its value limit). Off: a manager "
        "decides, so choosing a type never dodges the window.")
    customer_match_required = fields.Boolean(
        string="Sold to the Customer", default=True,
        help="Each line must give back what was sold (or delivered) to the return's own customer.")
    policy_rules_apply = fields.Boolean(
        string="Returnability Rules", default=True,
        help="The policy's non-returnable products, lot match and window, the serial and kit checks apply. "
        "Off for returns the company owes the customer whatever its policy says (WEEE take-backs).")

    _sql_constraints = [("code_uniq", "unique(code)", "A return type's code exists only once.")]

    @api.constrains("code")
    def _check_code(self):
        for return_type in self:
            if not re.fullmatch(r"[a-z0-9_]+", return_type.code):
                raise ValidationError(self.env._(
                    "The code %(code)s of %(name)s is a technical name: lowercase letters, digits and "
                    "underscores only.", code=return_type.code, name=return_type.name))
