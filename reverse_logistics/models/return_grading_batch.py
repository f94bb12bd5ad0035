from odoo import models


class ReturnGrading(models.Model):
    """Dispositions of more units than one request should move go to the background batch cron."""

    _inherit = "return.grading"

    def action_dispose(self):
        limit = self.env["reverse.logistics.batch"]._get_size_limit("disposition", 500)
        if self.env.context.get("reverse_logistics_batch_id") or not limit or len(self) <= limit:
            return super().action_dispose()
        # Refuse a bad batch now, as the request would, before anything is queued.
        self._prepare_disposal()
        batch = self.env["reverse.logistics.batch"]._queue(
            self, "_dispose_batch_chunk",
            self.env._("Disposition of %(count)s units", count=len(self)),
            chunk_size=self.env["reverse.logistics.batch"]._get_size_limit("disposition_chunk", 200),
        )
        return batch._get_queued_action(batch)

    def _dispose_batch_chunk(self):
        """One chunk of a queued disposition: units already dispositioned (by hand meanwhile, or by
        a chunk committed before a crash) are skipped, so no unit moves twice."""
        todo = self.filtered(lambda g: g.state == "graded")
        if todo:
            todo.action_dispose()
