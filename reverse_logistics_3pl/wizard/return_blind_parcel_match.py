from odoo import fields, models


class ReturnBlindParcelMatch(models.TransientModel):
    """The clerk matches a blind parcel to the brand's announced return (through
    `action_match_announced_return`)."""

    _name = "return.blind.parcel.match"
    _description = "Match a Blind Parcel"

    parcel_id = fields.Many2one("return.order", string="Blind Parcel", required=True, readonly=True)
    client_id = fields.Many2one(related="parcel_id.client_id")
    announced_id = fields.Many2one(
        "return.order", string="Announced Return", required=True,
        domain="[('client_id', '=', client_id), ('is_blind_parcel', '=', False), "
               "('client_ref', '!=', False), ('state', 'in', ('draft', 'approved'))]")

    def action_match(self):
        self.ensure_one()
        self.parcel_id.action_match_announced_return(self.announced_id.id)
        return {"type": "ir.actions.act_window_close"}
