from odoo import api, models

from ..tools import check_addons_numbers


class Base(models.AbstractModel):
    """Numbers a client sends to the addons' fields are checked on every model before the ORM rounds them:
    1e308, infinities and NaN make float_round overflow, and an integer beyond the column's range fails in
    PostgreSQL; either would reach the user as a server error instead of a message."""

    _inherit = "base"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                check_addons_numbers(self, vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            check_addons_numbers(self, vals)
        return super().write(vals)
