from odoo import models


class ReturnGrading(models.Model):
    """Dispositions of more units than one request should move go to the background batch cron."""

    _inherit = "return.grading"

    def action_dispose(self):
        self._check_flow_access("reverse_logistics.group_return_user")
        limit = self.env["reverse.logistics.batch"]._get_size_limit("disposition", 500)
        if not limit or len(self) <= limit:
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
            # The private path: the size limit applies to requests, and the user was checked when queueing.
            todo._action_dispose()
