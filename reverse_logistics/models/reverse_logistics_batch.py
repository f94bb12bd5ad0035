from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import clean_context

# How many times a failing chunk is tried before the batch stops and tells its user.
MAX_ATTEMPTS = 5


class ReverseLogisticsBatch(models.Model):
    """Work too large for one request, done by a cron in chunks committed one by one.

    One mechanism for every bulk operation of the addons (dispositions, quarantine, deposit refunds,
    rental and follow-up runs): `_queue()` records the ids and the method to call on them and triggers
    the cron; each cron call runs the next chunk as the user who queued it and reports its progress
    with `ir.cron._notify_progress`, so Odoo commits it and calls again at once. The chunk's work and
    the batch's progress are committed together: a crash loses both and the chunk runs again; the
    chunk methods also skip records already processed, so nothing is done twice. A failing chunk is
    rolled back alone (savepoint), counted and retried a minute later.
    """

    _name = "reverse.logistics.batch"
    _description = "Background Batch"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    res_model = fields.Char(string="Model", required=True, readonly=True)
    method = fields.Char(required=True, readonly=True, help="Method run on each chunk of records.")
    record_ids = fields.Json(readonly=True, help="Ids of the records, in processing order.")
    batch_context = fields.Json(readonly=True, help="Context keys the chunk method needs.")
    origin_model = fields.Char(readonly=True)
    origin_id = fields.Many2oneReference(model_field="origin_model", readonly=True)
    chunk_size = fields.Integer(required=True, readonly=True)
    total_count = fields.Integer(string="Records", readonly=True)
    done_count = fields.Integer(string="Processed", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    state = fields.Selection(
        [("queued", "Queued"), ("done", "Done"), ("failed", "Failed")],
        default="queued", required=True, readonly=True, index=True,
    )
    attempts = fields.Integer(readonly=True, help="Failed tries of the current chunk.")
    error = fields.Text(readonly=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, default=lambda self: self.env.user)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    date_done = fields.Datetime(readonly=True)

    @api.depends("done_count", "total_count")
    def _compute_progress(self):
        for batch in self:
            batch.progress = 100.0 * batch.done_count / batch.total_count if batch.total_count else 100.0

    @api.model
    def _get_size_limit(self, key, default):
        """Records one request handles by itself; above it, work goes to the cron (0: never)."""
        value = self.env["ir.config_parameter"].sudo().get_param(f"reverse_logistics.batch_limit.{key}")
        try:
            return int(value) if value not in (None, False, "") else default
        except ValueError:
            raise UserError(self.env._(
                "The system parameter reverse_logistics.batch_limit.%(key)s must be a whole number.", key=key,
            )) from None

    @api.model
    def _run_cron_chunk(self, records, callback, key, default=200):
        """For a cron whose work is `records` still to process: process the first chunk with
        `callback(chunk)` and report the rest to `ir.cron._notify_progress`, so Odoo commits this chunk
        and calls the cron again at once (Odoo 18 batch crons). The callers select only records not
        yet processed, so a crash never processes one twice. Returns what `callback` returned."""
        limit = self._get_size_limit(key, default)
        chunk, rest = (records[:limit], records[limit:]) if limit else (records, records.browse())
        result = callback(chunk)
        self.env["ir.cron"]._notify_progress(done=len(chunk), remaining=len(rest))
        return result

    @api.model
    def _queue(self, records, method, name, origin=None, chunk_size=None, context=None):
        """Queue `records.<method>()` in chunks; return the batch. The cron starts at once."""
        batch = self.sudo().with_context(clean_context(self.env.context)).create({
            "name": name,
            "res_model": records._name,
            "method": method,
            "record_ids": records.ids,
            "batch_context": context or {},
            "origin_model": origin._name if origin else False,
            "origin_id": origin.id if origin else False,
            "chunk_size": chunk_size or self._get_size_limit("chunk", 200),
            "total_count": len(records),
            "user_id": self.env.uid,
            "company_id": self.env.company.id,
        })
        self._get_cron()._trigger()
        return batch.sudo(False)

    @api.model
    def _get_cron(self):
        return self.env.ref("reverse_logistics.ir_cron_reverse_logistics_batch").sudo()

    @api.model
    def _cron_process(self):
        """One chunk of the oldest queued batch per call (see the class docstring)."""
        self.env.cr.execute(
            "SELECT id FROM reverse_logistics_batch WHERE state = 'queued' ORDER BY id LIMIT 1 "
            "FOR NO KEY UPDATE SKIP LOCKED")
        row = self.env.cr.fetchone()
        if not row:
            return
        # The batch's bookkeeping is the system's; the chunk itself runs as the user who queued it.
        batch = self.sudo().browse(row[0])
        done = batch._process_next_chunk()
        remaining = sum(self.sudo().search([("state", "=", "queued")]).mapped(lambda b: b.total_count - b.done_count))
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining if done else 0)
        if remaining and not done:
            # The chunk failed: try again in a minute rather than in a loop.
            self._get_cron()._trigger(fields.Datetime.now() + timedelta(minutes=1))

    def _process_next_chunk(self):
        """Run the next chunk; return how many records it processed (0 if it failed)."""
        self.ensure_one()
        chunk_ids = self.record_ids[self.done_count:self.done_count + self.chunk_size]
        if not chunk_ids:
            self._finish()
            return 0
        records = self.env[self.res_model].with_user(self.user_id).with_company(self.company_id).with_context(
            **(self.batch_context or {}), reverse_logistics_batch_id=self.id,
        ).browse(chunk_ids).exists()
        try:
            with self.env.cr.savepoint():
                getattr(records, self.method)()
        except Exception as exc:  # noqa: BLE001 - any failure of the chunk is recorded and retried
            attempts = self.attempts + 1
            vals = {"attempts": attempts, "error": str(exc)}
            if attempts >= MAX_ATTEMPTS:
                vals["state"] = "failed"
            self.write(vals)
            if attempts >= MAX_ATTEMPTS:
                self._notify_user(failed=True)
            return 0
        self.write({"done_count": self.done_count + len(chunk_ids), "attempts": 0, "error": False})
        if self.done_count >= self.total_count:
            self._finish()
        return len(chunk_ids)

    def _finish(self):
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        origin = self._get_origin()
        if origin is not None and hasattr(origin, "_on_batch_done"):
            # What the origin does once every chunk is through (e.g. re-reserve open moves).
            origin.with_user(self.user_id).with_company(self.company_id)._on_batch_done(self)
        self._notify_user()

    def _get_origin(self):
        self.ensure_one()
        if not self.origin_model or not self.origin_id:
            return None
        return self.env[self.origin_model].browse(self.origin_id).exists() or None

    def _notify_user(self, failed=False):
        """Tell who queued it: a message on the origin record and a notification in their browser."""
        self.ensure_one()
        if failed:
            body = self.env._("%(name)s stopped after %(done)s of %(total)s: %(error)s",
                              name=self.name, done=self.done_count, total=self.total_count, error=self.error)
        else:
            body = self.env._("%(name)s is done: %(total)s processed in the background.",
                              name=self.name, total=self.total_count)
        origin = self._get_origin()
        if origin is not None and hasattr(origin, "message_post"):
            origin.sudo().message_post(body=body, partner_ids=self.user_id.partner_id.ids)
        self.user_id.partner_id._bus_send("simple_notification", {
            "type": "danger" if failed else "success", "title": self.name, "message": body, "sticky": failed,
        })

    def action_retry(self):
        """Queue a failed batch again from where it stopped: for a Returns Manager of its company, or the
        user who queued it (its chunks run as that user anyway). Users only read batches: the system
        writes the state once the caller is known to be one of them."""
        self.check_access("read")
        if not self.env.user.has_group("reverse_logistics.group_return_manager") \
                and any(batch.user_id != self.env.user for batch in self):
            raise AccessError(self.env._(
                "Only a Returns Manager or the user who queued a batch may retry it."))
        if any(batch.state != "failed" for batch in self):
            raise UserError(self.env._("Only failed batches can be retried."))
        self.sudo().write({"state": "queued", "attempts": 0})
        self._get_cron()._trigger()
        return True

    @api.model
    def _get_queued_action(self, batch):
        """What the user sees at once: a notification, then the batch and its progress."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": batch.name,
                "message": self.env._("%(count)s records are processed in the background; you will be notified "
                                      "when they are done.", count=batch.total_count),
                "type": "info",
                "next": {"type": "ir.actions.act_window", "res_model": batch._name, "res_id": batch.id,
                         "views": [(False, "form")]},
            },
        }
