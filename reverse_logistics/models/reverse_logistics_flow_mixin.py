import math

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..tools import without_protected_defaults


class ReverseLogisticsFlowMixin(models.AbstractModel):
    """Records whose state, dates, quantities and values are set by the flow, never by hand.

    No longer used by the core's own models (they refuse their `_get_protected_fields()` by name, see
    reverse_logistics/tools.py): kept only for the recall addon's models until they move the same way.

    Odoo lets any user with write access write any field through JSON-RPC, `readonly` being a hint to
    the web client only. Models of this mixin list what a user may write in the record's current state
    (`_get_user_writable_fields`) and what a user may give at creation (`_get_user_creatable_fields`);
    everything else is written by the flow's own methods, which do it as the superuser (`sudo()`), so
    the guard never stands in their way. Mail fields (followers, activities) stay free.

    A forbidden field that the model computes (an editable compute such as a price taken from the
    invoice) is dropped rather than refused: the web client sends the values its onchange computed,
    and the compute decides them again anyway. Any other forbidden field is refused with a UserError.
    A context default (`default_<field>`, which any client can send) of a field the user may not give is
    ignored. Numbers must be finite and of a sane size, ids ids.

    The flow's buttons act as the superuser once they are allowed: `_check_flow_access` checks first,
    as the caller, the group the job needs and the caller's own access to the records (ACL and record
    rules), so that read access never turns into the flow's power.
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

    @api.model
    def _check_id(self, value, label):
        """A record id a client sent: a positive integer that fits the database's ids."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise UserError(self.env._("%(label)s: %(value)s is not a valid record.", label=label, value=value))
        return value

    @api.model
    def _check_user_numbers(self, vals, model=None):
        """Numbers and ids of `vals` for `model` (this one by default), lines created with it included:
        the ORM rounds them (and precomputes the lines) before any constraint runs."""
        model = model if model is not None else self
        for name, value in vals.items():
            field = model._fields.get(name)
            if not field or value is False or value is None:
                continue
            if field.type in ("float", "monetary", "integer"):
                self._check_number(value, field.string)
            elif field.type == "many2one" and not isinstance(value, models.BaseModel):
                self._check_id(value, field.string)
            elif field.type in ("one2many", "many2many") and isinstance(value, (list, tuple)):
                for command in value:
                    if isinstance(command, (list, tuple)) and len(command) == 3 and command[0] in (0, 1) \
                            and isinstance(command[2], dict):
                        self._check_user_numbers(command[2], model.env[field.comodel_name])

    def _check_flow_access(self, group=None, operation="write"):
        """Before a button lets the flow act as the system: the caller must have `group` (an xmlid) and
        `operation` access to these records. The system itself (the portal's, the mail gateway's and the
        crons' privileged paths, which checked their caller already) passes."""
        if self.env.su:
            return
        if group and not self.env.user.has_group(group):
            raise AccessError(self.env._(
                "%(model)s: only %(group)s may do this.", model=self._description,
                group=self.env.ref(group).display_name))
        self.check_access(operation)

    def _get_forbidden_context_defaults(self, vals_list):
        """Context keys `default_<field>` of fields the user may give at none of these creations."""
        defaults = {key: key[8:] for key in self.env.context if key.startswith("default_") and key[8:] in self._fields}
        if not defaults:
            return set()
        allowed = set().union(*(self._get_user_creatable_fields(vals) for vals in vals_list))
        return {key for key, name in defaults.items()
                if name not in allowed and not name.startswith(self._FLOW_FREE_PREFIXES)}

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
            forbidden = self._get_forbidden_context_defaults(vals_list)
            if forbidden:
                # A forged `default_state` would otherwise fill what the user may not give.
                self = without_protected_defaults(self, {key[8:] for key in forbidden})  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self:
            allowed = set.intersection(*(record._get_user_writable_fields() for record in self))
            vals = self._sanitize_user_vals(vals, allowed)
        return super().write(vals)
