from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # A brand's shopper is a partner of its own, never a contact of the brand: a contact's commercial
    # partner is the brand, so a shopper given portal access would read the brand's returns as the brand.
    shopper_of_client_id = fields.Many2one(
        "res.partner", string="Shopper of Client (Brand)", index="btree_not_null", readonly=True, copy=False,
        groups="base.group_user",
        help="The brand this customer bought from: set when the brand announced a return for them, so an "
             "announcement finds them again by e-mail among that brand's shoppers only.")
