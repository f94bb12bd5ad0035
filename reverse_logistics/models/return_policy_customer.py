from odoo import api, fields, models
from odoo.exceptions import ValidationError


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

    # One switch per customer mail (data/mail_template_data.xml); all on by default.
    mail_request_received = fields.Boolean(
        string="Request Received", default=True,
        help="Mail the customer when a return waits for a manager's review.")
    mail_approved = fields.Boolean(
        string="Approved", default=True, help="Mail the customer the approval, with the return slip attached.")
    mail_rejected = fields.Boolean(
        string="Rejected", default=True, help="Mail the customer the refusal and its reason.")
    mail_goods_received = fields.Boolean(
        string="Goods Received", default=True, help="Mail the customer when every expected unit arrived.")
    mail_resolved = fields.Boolean(
        string="Refunded / Credited / Replaced", default=True,
        help="Mail the customer when a credit note is posted or a replacement order is created.")
    mail_expired = fields.Boolean(
        string="Expired", default=True, help="Mail the customer when the return expired unreceived.")

    receipt_deadline_days = fields.Integer(
        string="Receipt Deadline (days)", default=30,
        help="An approved return whose goods did not arrive this many days after approval expires and "
        "its units become returnable again. 0: never.")
    grading_sla_hours = fields.Integer(
        string="Grading SLA (hours)", default=48,
        help="Units waiting for grading longer than this after they arrived give the responsible an "
        "activity. 0: no SLA.")

    @api.constrains("receipt_deadline_days", "grading_sla_hours")
    def _check_deadlines(self):
        for policy in self:
            if policy.receipt_deadline_days < 0 or policy.grading_sla_hours < 0:
                raise ValidationError(self.env._("Deadlines cannot be negative (0 switches them off)."))
