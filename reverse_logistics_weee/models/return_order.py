from odoo import api, fields, models


class ReturnOrder(models.Model):
    _inherit = "return.order"

    weee_source = fields.Selection(
        [("household", "Household"), ("business", "Business")], string="WEEE Source",
        compute="_compute_weee_source", store=True, readonly=False, precompute=True,
        help="Where the equipment comes from in the WEEE register: private households or other users. "
        "Defaults from the customer (a company is a business); change it for a collection point that "
        "gathers household equipment.",
    )

    # The form shows the WEEE source of take-backs only (read from the type when shown, never stored).
    is_weee_takeback = fields.Boolean(related="return_type_id.weee_takeback")

    @api.depends("partner_id.commercial_partner_id.is_company")
    def _compute_weee_source(self):
        for order in self:
            order.weee_source = "business" if order.partner_id.commercial_partner_id.is_company else "household"

    def _get_protected_fields(self, names=()):
        # The source is fixed with the customer once the return is submitted: the register counts it.
        protected = super()._get_protected_fields(names) + ["is_weee_takeback"]
        if any(order.state != "draft" for order in self):
            protected.append("weee_source")
        return protected
