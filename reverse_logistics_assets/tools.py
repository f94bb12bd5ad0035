"""Background work of the assets addon, the Odoo 18 way: how much one request or one cron call handles is
a system parameter, and a cron works through what waits in chunks, telling `ir.cron._notify_progress` how
much it did and how much is left, so Odoo commits each call's work and calls again at once."""

# How much one request or one cron call handles is the core's system parameter, read the core's way.
from odoo.addons.reverse_logistics.tools import get_batch_limit

__all__ = ["get_batch_limit", "run_cron_chunk"]


def run_cron_chunk(records, callback, key, default=200):
    """For a cron whose work is `records`, all still to do: do the first chunk with `callback(chunk)` and
    report the rest to `ir.cron._notify_progress`. The callers select only records not done yet (a flag or
    a state written in the same transaction as the work), so a call that crashes is rolled back whole and
    the next one does its chunk again, never twice. Returns what `callback` returned."""
    limit = get_batch_limit(records.env, key, default)
    chunk, rest = (records[:limit], records[limit:]) if limit else (records, records.browse())
    result = callback(chunk)
    records.env["ir.cron"]._notify_progress(done=len(chunk), remaining=len(rest))
    return result
