from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", tracking=True, index="btree_not_null", check_company=True,
        help="The brand that owns the returned goods: they are received into its ownership and stay its "
             "own through every disposition. The 3PL values none of them and credits no customer.",
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("client_id", "resolution")
    def _check_client_resolution(self):
        for order in self.filtered("client_id"):
            if order.resolution != "none":
                raise ValidationError(self.env._(
                    "%(name)s returns goods of %(client)s: the brand refunds its own customer, so the return "
                    "is resolved by no credit note, store credit or replacement from this company (resolution "
                    "'No Resolution').", name=order.name, client=order.client_id.display_name))

    @api.onchange("client_id")
    def _onchange_client_id(self):
        if self.client_id:
            self.resolution = "none"

    # ------------------------------------------------------------------
    # CRUD and protected fields
    # ------------------------------------------------------------------
    @api.model
    def _get_user_document_fields(self):
        # Whose goods they are is what the receipt's ownership is made of: fixed once submitted.
        return super()._get_user_document_fields() + ["client_id"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A client's return credits no one here: its resolution is none unless one is asked for
            # (and then refused by the constraint, loudly).
            if vals.get("client_id") and "resolution" not in vals:
                vals["resolution"] = "none"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_goods_owner(self):
        """The partner who owns this return's units once received: the client, or nobody (the company)."""
        self.ensure_one()
        return self.client_id
