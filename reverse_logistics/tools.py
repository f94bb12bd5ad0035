"""Checks the core's models share, as plain functions (no mixin model).

Odoo lets any user with write access write any field through JSON-RPC, `readonly` being a hint to the web
client only: each model of the flow lists the fields users may not write in the record's state
(`_get_protected_fields()`) and refuses them with their names (`check_protected_fields`), as
`sale.order.line` does on locked orders; the flow writes them with `sudo()` once `check_flow_access` checked
the caller. Numbers a client sends are checked before any rounding meets them.
"""

import math

from odoo import models
from odoo.exceptions import AccessError, UserError

# No quantity, price or value of the flow comes near this; beyond it float_round overflows.
MAX_NUMBER = 1e12


def check_number(env, value, label):
    """Refuse what is no usable number (NaN, infinities, absurd magnitudes, which JSON-RPC and forms can
    send) before any rounding or comparison meets it."""
    # The magnitude first: an integer of hundreds of digits (JSON has no limit) cannot become a float.
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or abs(value) > MAX_NUMBER or not math.isfinite(value):
        shown = value if not isinstance(value, int) or abs(value) <= MAX_NUMBER else f"{str(value)[:15]}..."
        raise UserError(env._("%(label)s: %(value)s is not a valid number.", label=label, value=shown))
    return value


def check_text(env, value, label, max_length):
    """Text a client sent for a field the addons store or search: no NUL (PostgreSQL refuses it, which would
    reach the user as a server error) and no more than `max_length` characters."""
    if not isinstance(value, str):
        raise UserError(env._("%(label)s must be text.", label=label))
    if "\x00" in value or len(value) > max_length:
        raise UserError(env._("%(label)s: at most %(max)s characters, and no NUL character.",
                              label=label, max=max_length))
    return value


def check_id(env, value, label):
    """A record id a client sent: a positive integer that fits the database's ids."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise UserError(env._("%(label)s: %(value)s is not a valid record.", label=label, value=value))
    return value


def check_numbers(model, vals):
    """Numbers and ids of `vals` for `model`, lines created or updated with it included: the ORM rounds
    them (and precomputes the lines) before any constraint runs."""
    for name, value in vals.items():
        field = model._fields.get(name)
        if not field or value is False or value is None:
            continue
        if field.type in ("float", "monetary", "integer"):
            check_number(model.env, value, field.string)
        elif field.type == "many2one" and not isinstance(value, models.BaseModel):
            check_id(model.env, value, field.string)
        elif field.type in ("one2many", "many2many") and isinstance(value, (list, tuple)):
            for command in value:
                if isinstance(command, (list, tuple)) and len(command) == 3 and command[0] in (0, 1) \
                        and isinstance(command[2], dict):
                    check_numbers(model.env[field.comodel_name], command[2])


def _parse_number(text):
    """A number a client sent as text, as the ORM would read it; the text itself when it is none (then
    refused as such)."""
    try:
        return float(text)
    except ValueError:
        return text


def _is_addons_field(model, field):
    return (getattr(field, "_module", None) or "").startswith("reverse_logistics") \
        or (model._original_module or "").startswith("reverse_logistics")


def check_addons_numbers(model, vals):
    """The numbers of `vals` for the addons' models and the fields they add to Odoo's, nested lines
    included: the ORM rounds them (or PostgreSQL stores them) before any constraint runs, and a client can
    send 1e308, NaN or an integer the column cannot hold."""
    for name, value in vals.items():
        field = model._fields.get(name)
        if not field or value is False or value is None:
            continue
        if field.type in ("float", "monetary", "integer") and _is_addons_field(model, field):
            if isinstance(value, str):
                value = _parse_number(value)
            check_number(model.env, value, field.string)
            if field.type == "integer" and abs(value) >= 2**31:
                raise UserError(model.env._(
                    "%(label)s: %(value)s is not a valid number.", label=field.string, value=value))
        elif field.type in ("one2many", "many2many") and isinstance(value, (list, tuple)):
            for command in value:
                if isinstance(command, (list, tuple)) and len(command) == 3 and command[0] in (0, 1) \
                        and isinstance(command[2], dict):
                    check_addons_numbers(model.env[field.comodel_name], command[2])


def check_flow_access(records, group=None, operation="write"):
    """Before a button lets the flow act as the system: the caller must have `group` (an xmlid) and
    `operation` access to these records. The system itself (the portal's, the mail gateway's and the
    crons' privileged paths, which checked their caller already) passes."""
    env = records.env
    if env.su:
        return
    if group and not env.user.has_group(group):
        raise AccessError(env._(
            "%(model)s: only %(group)s may do this.", model=records._description,
            group=env.ref(group).display_name))
    records.check_access(operation)


def check_protected_fields(records, names, protected):
    """Refuse, naming them, the fields of `names` that are in `protected` (users may not write them)."""
    refused = [name for name in protected if name in names]
    if refused:
        raise UserError(records.env._(
            "%(model)s: %(fields)s cannot be set by hand here; the return flow sets them "
            "(or the record's state no longer allows the change).",
            model=records._description,
            fields=", ".join(records._fields[name]._description_string(records.env) for name in refused),
        ))


def without_protected_defaults(model, protected):
    """`model` without the context keys `default_<field>` of protected fields: any client can send them,
    and a forged `default_state` would otherwise fill what the user may not give."""
    context = model.env.context
    forged = [key for key in context if key.startswith("default_") and key[8:] in protected]
    if not forged:
        return model
    # Replaced, not merged (with_context(**...)): merging would keep the forged keys.
    context = {key: value for key, value in context.items() if key not in forged}
    return model.with_context(context)  # pylint: disable=context-overridden


def check_user_create(model, vals_list, protected):
    """What create() checks when a user creates records of a model with protected fields: none of them
    given, numbers sane. Returns the model to create with (forged `default_<field>` keys dropped)."""
    for vals in vals_list:
        check_protected_fields(model, vals, protected)
        check_numbers(model, vals)
    return without_protected_defaults(model, protected)


def check_user_write(records, vals, protected):
    """What write() checks when a user writes records of a model with protected fields."""
    check_protected_fields(records, vals, protected)
    check_numbers(records, vals)


def refuse_mail_creation(model):
    """`message_new` of a model that takes no new records by e-mail. Odoo's `message_process` is public,
    and its fallback route creates the record as the system with the values its caller sends."""
    raise AccessError(model.env._("%(model)s: nothing is created by e-mail here.", model=model._description))


BATCH_LIMIT_PARAMETER = "reverse_logistics.batch_limit.%s"


def get_batch_limit(env, key, default):
    """Records one request or one cron call handles (system parameter reverse_logistics.batch_limit.<key>;
    0: no limit). Read from the system parameters only: no context key a client sends changes it."""
    name = BATCH_LIMIT_PARAMETER % key
    value = env["ir.config_parameter"].sudo().get_param(name)
    if value in (None, False, ""):
        return default
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit < 0:
        raise UserError(env._("The system parameter %(name)s must be a whole number, 0 or more.", name=name))
    return limit
