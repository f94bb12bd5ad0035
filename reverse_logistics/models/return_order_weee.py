from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnOrder(models.Model):
    """WEEE take-back: end-of-life equipment collected from customers and collection points.

    Nothing is refunded (resolution 'none'), no window applies and no restocking fee is charged; as no
    money changes hands, the policy approves take-backs by itself when it auto-approves at all.
    """

    _inherit = "return.order"

    return_type = fields.Selection(
        selection_add=[("takeback", "WEEE Take-back")], ondelete={"takeback": "set default"},
    )
    weee_source = fields.Selection(
        [("household", "Household"), ("business", "Business")], string="WEEE Source",
        compute="_compute_weee_source", store=True, readonly=False, precompute=True,
        help="Where the equipment comes from in the WEEE register: private households or other users. "
        "Defaults from the customer (a company is a business); change it for a collection point that "
        "gathers household equipment.",
    )

    @api.depends("partner_id.commercial_partner_id.is_company")
    def _compute_weee_source(self):
        for order in self:
            order.weee_source = "business" if order.partner_id.commercial_partner_id.is_company else "household"

    @api.constrains("return_type", "resolution")
    def _check_takeback_resolution(self):
        for order in self:
            if order.return_type == "takeback" and order.resolution != "none":
                raise ValidationError(self.env._(
                    "%(name)s is a WEEE take-back: nothing is refunded or replaced.", name=order.name))

    @api.onchange("return_type")
    def _onchange_return_type_takeback(self):
        if self.return_type == "takeback":
            self.resolution = "none"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("return_type") == "takeback":
                vals["resolution"] = "none"
        return super().create(vals_list)

    @api.model
    def _get_user_creatable_fields(self, vals):
        return super()._get_user_creatable_fields(vals) | {"weee_source"}

    def _get_user_writable_fields(self):
        allowed = super()._get_user_writable_fields()
        if self.state == "draft":
            allowed = allowed | {"weee_source"}
        return allowed

    def _is_restocking_fee_charged(self):
        return self.return_type != "takeback" and super()._is_restocking_fee_charged()

    def _is_auto_approvable(self):
        # A take-back carries no money: the value limit does not apply, only whether the policy
        # approves by itself at all.
        self.ensure_one()
        if self.return_type == "takeback":
            return bool(self.policy_id.auto_approve)
        return super()._is_auto_approvable()


class ReturnOrderLine(models.Model):
    _inherit = "return.order.line"

    def _get_policy_problems(self):
        # Producers must take back waste equipment whatever their return policy says: the policy's
        # returnability and lot rules apply to returns for credit, not to take-backs.
        return super(ReturnOrderLine, self.filtered(lambda line: line.order_id.return_type != "takeback")
                     )._get_policy_problems()
