from odoo import fields, models


class ReturnPolicy(models.Model):
    """What the policy tells the customer: the instructions printed on the return slip."""

    _inherit = "return.policy"

    slip_instructions = fields.Html(
        string="Return Slip Instructions", translate=True,
        default=lambda self: self.env._(
            "<p>Put this slip in the parcel with the items listed, pack them safely and send the parcel "
            "to the address above. Write the return number on the outside of the parcel.</p>"),
        help="Printed on the return slip the customer puts in the parcel.",
    )

