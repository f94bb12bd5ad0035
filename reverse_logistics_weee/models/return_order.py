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

    is_weee_takeback = fields.Boolean(
        string="WEEE Take-back", compute="_compute_is_weee_takeback", store=True, readonly=True,
        precompute=True, index=True,
        help="The return collects waste equipment for the WEEE register: the return type's flag when the "
        "type was chosen. Kept with the return, so changing the type's configuration later leaves the "
        "registers of past periods as they were.",
    )

    # Only the type chosen is listed, not its flag: a fact taken when the type is set, never rewritten by a
    # later change of the type's configuration.
    @api.depends("return_type_id")
    def _compute_is_weee_takeback(self):
        for order in self:
            order.is_weee_takeback = order.return_type_id.weee_takeback

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
