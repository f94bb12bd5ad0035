from odoo import api, models

from ..tools import check_addons_numbers


class Base(models.AbstractModel):
    """Numbers a client sends to the addons' fields are checked on every model before the ORM rounds them:
    1e308, infinities and NaN make float_round overflow, and an integer beyond the column's range fails in
    PostgreSQL; either would reach the user as a server error instead of a message."""

    _inherit = "base"

    def _get_context_default_vals(self):
        """The `default_<field>` values of the context (any client can send them)."""
        return {key[8:]: value for key, value in self.env.context.items()
                if key.startswith("default_") and key[8:] in self._fields}

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # Callers may pass a generator (Odoo's own tests do): read it once, hand the list on.
            vals_list = list(vals_list)
            check_addons_numbers(self, self._get_context_default_vals())
            for vals in vals_list:
                check_addons_numbers(self, vals)
        return super().create(vals_list)

    def onchange(self, values, field_names, fields_spec):
        # The form's onchange rounds and computes with what the client typed, before any save.
        if not self.env.su:
            check_addons_numbers(self, self._get_context_default_vals())
            check_addons_numbers(self, values)
        return super().onchange(values, field_names, fields_spec)

    def write(self, vals):
        if not self.env.su:
            check_addons_numbers(self, vals)
        return super().write(vals)
