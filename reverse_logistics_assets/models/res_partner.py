from odoo import api, fields, models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    _inherit = "res.partner"

    asset_balance_ids = fields.One2many("returnable.asset.balance", "partner_id", string="Returnable Assets")
    asset_balance_count = fields.Float(compute="_compute_asset_balance_count", string="Assets Held")

    @api.depends("commercial_partner_id.asset_balance_ids.balance")
    def _compute_asset_balance_count(self):
        for partner in self:
            partner.asset_balance_count = sum(partner.commercial_partner_id.asset_balance_ids.mapped("balance"))

    def action_view_asset_balances(self):
        # Rebuilt as the system, for a user who may read these balances (returns staff, his customers).
        self.env["returnable.asset.balance"].check_access("read")
        self.check_access("read")
        self.env["returnable.asset.balance"]._recompute(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "reverse_logistics_assets.action_returnable_asset_balance")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    def action_return_assets(self):
        if not self.env.user.has_group("reverse_logistics.group_return_user"):
            raise AccessError(self.env._("Receiving returned assets needs the Returns User group."))
        return {
            "name": self.env._("Assets Returned"),
            "type": "ir.actions.act_window",
            "res_model": "returnable.asset.return",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }
