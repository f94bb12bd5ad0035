import math

from odoo import api, models
from odoo.exceptions import UserError


class ReverseLogisticsFlowMixin(models.AbstractModel):
    """Records whose state, dates, quantities and values are set by the flow, never by hand.

    Odoo lets any user with write access write any field through JSON-RPC, `readonly` being a hint to
    the web client only. Models of this mixin list what a user may write in the record's current state
    (`_get_user_writable_fields`) and what a user may give at creation (`_get_user_creatable_fields`);
    everything else is written by the flow's own methods, which do it as the superuser (`sudo()`), so
    the guard never stands in their way. Mail fields (followers, activities) stay free.

    A forbidden field that the model computes (an editable compute such as a price taken from the
    invoice) is dropped rather than refused: the web client sends the values its onchange computed,
    and the compute decides them again anyway. Any other forbidden field is refused with a UserError.
    """

    _name = "reverse.logistics.flow.mixin"
    _description = "Fields Set by the Reverse Logistics Flow"

    _FLOW_FREE_PREFIXES = ("message_", "activity_")
    # No quantity, price or value of the flow comes near this; beyond it float_round overflows.
    _FLOW_MAX_NUMBER = 1e12

    def _get_user_writable_fields(self):
        """Field names a user may write on this record now (one record)."""
        return set()

    @api.model
    def _get_user_creatable_fields(self, vals):
        """Field names a user may give when creating a record with these values."""
        return set()

    @api.model
    def _check_number(self, value, label):
        """Refuse what is no usable number (NaN, infinities, absurd magnitudes, which JSON-RPC and forms
        can send) before any rounding or comparison meets it."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or abs(value) > self._FLOW_MAX_NUMBER:
            raise UserError(self.env._("%(label)s: %(value)s is not a valid number.", label=label, value=value))
        return value

    def _check_user_numbers(self, vals):
        for name, value in vals.items():
            field = self._fields.get(name)
            if field and field.type in ("float", "monetary", "integer") and value is not False \
                    and value is not None:
                self._check_number(value, field.string)

    def _sanitize_user_vals(self, vals, allowed):
        """The values a user may write: forbidden computed ones dropped, other forbidden ones refused."""
        forbidden = [
            name for name in vals
            if name not in allowed and not name.startswith(self._FLOW_FREE_PREFIXES)
        ]
        computed = {name for name in forbidden if name in self._fields and self._fields[name].compute}
        self._check_user_fields(sorted(set(forbidden) - computed))
        self._check_user_numbers(vals)
        return {name: value for name, value in vals.items() if name not in computed}

    def _check_user_fields(self, forbidden):
        if forbidden:
            labels = ", ".join(self._fields[name].string if name in self._fields else name for name in forbidden)
            raise UserError(self.env._(
                "%(model)s: %(fields)s cannot be set by hand here; the return flow sets them "
                "(or the record's state no longer allows the change).",
                model=self._description, fields=labels,
            ))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            vals_list = [self._sanitize_user_vals(vals, self._get_user_creatable_fields(vals)) for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self:
            allowed = set.intersection(*(record._get_user_writable_fields() for record in self))
            vals = self._sanitize_user_vals(vals, allowed)
        return super().write(vals)
