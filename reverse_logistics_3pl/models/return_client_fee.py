from odoo import fields, models

FEE_KINDS = [
    ("received", "Per Return Received"),
    ("graded", "Per Unit Graded"),
    ("disposal", "Per Unit Dispositioned"),
    ("refurbish", "Per Unit Refurbished"),
    ("disposed", "Per Unit Disposed Of"),
    ("triage_day", "Per Unit and Day in Triage"),
]

# Operations whose units are destroyed (scrapped or sent to recycling): the "disposed" fee.
DISPOSED_OPERATIONS = ("dispose", "recycle")


class ReturnClientFee(models.Model):
    """A client's handling fee schedule: what the 3PL charges the brand for each kind of work. The amount
    is read when the work is done and frozen on the fee event; a later change applies to what comes next."""

    _name = "return.client.fee"
    _description = "Client Handling Fee"
    _order = "client_id, kind"
    _check_company_auto = True

    client_id = fields.Many2one("res.partner", string="Client (Brand)", required=True, index=True,
                                check_company=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(FEE_KINDS, required=True)
    amount = fields.Monetary(string="Fee", required=True)
    product_id = fields.Many2one(
        "product.product", string="Invoiced As", check_company=True, domain="[('type', '=', 'service')]",
        help="The service product of the invoice line (Returns Handling when empty).")
    active = fields.Boolean(default=True)
    free_days = fields.Integer(
        help="Per unit and day in triage: the days a unit waits from its receipt to its "
        "disposition free of charge; each whole day beyond is charged.")

    _sql_constraints = [
        ("kind_unique", "unique(company_id, client_id, kind)", "A client has one fee per kind of work."),
        ("amount_positive", "CHECK(amount >= 0)", "A handling fee is never negative."),
        ("free_days_positive", "CHECK(free_days >= 0)", "Free days are never negative."),
    ]
