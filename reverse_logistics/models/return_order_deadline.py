from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression


class ReturnOrder(models.Model):
    """Deadlines that act by themselves: approved returns whose goods never come expire, and units
    that wait too long for grading give the returns team an activity. Both run as batched crons."""

    _inherit = "return.order"

    state = fields.Selection(
        selection_add=[("expired", "Expired")],
        ondelete={"expired": lambda records: records.write({"state": "cancel"})},
    )
    date_expired = fields.Datetime(string="Expired On", readonly=True, copy=False)

    _CRON_BATCH_SIZE = 200

    # ------------------------------------------------------------------
    # Receipt deadline
    # ------------------------------------------------------------------
    @api.model
    def _get_expirable_domain(self, now=None):
        """Approved returns with nothing received, approved longer ago than their policy's deadline.

        One branch per policy, as each has its own number of days; a policy with 0 days never expires."""
        now = now or fields.Datetime.now()
        policies = self.env["return.policy"].sudo().with_context(active_test=False).search(
            [("receipt_deadline_days", ">", 0)])
        branches = [
            [("policy_id", "=", policy.id), ("date_approved", "<", now - timedelta(days=policy.receipt_deadline_days))]
            for policy in policies
        ]
        if not branches:
            return expression.FALSE_DOMAIN
        return expression.AND([[("state", "=", "approved")], expression.OR(branches)])

    @api.model
    def _cron_expire_returns(self, batch_size=None):
        """Expire one batch; Odoo's cron runs again at once while `remaining` is not 0.

        Idempotent: an expired return is no longer approved, so it is never picked again."""
        batch_size = batch_size or self._CRON_BATCH_SIZE
        orders = self.sudo()
        domain = self._get_expirable_domain()
        batch = orders.search(domain, order="date_approved, id", limit=batch_size)
        batch._action_expire()
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _action_expire(self):
        """No goods came: cancel the open receipt and free the units (expired lines reserve nothing)."""
        if not self:
            return
        self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel")).sudo().action_cancel()
        self.sudo().write({"state": "expired", "date_expired": fields.Datetime.now()})
        for order in self:
            order.message_post(body=self.env._(
                "Expired: nothing was received within the %(days)s days the policy allows.",
                days=order.policy_id.receipt_deadline_days))
        self._send_customer_mail("expired")

    def action_reopen_expired(self):
        """A manager accepts the goods after all: approved again, with a new receipt and deadline."""
        if not self.env.user.has_group("reverse_logistics.group_return_manager"):
            raise AccessError(self.env._("Only a Returns Manager may reopen an expired return."))
        self._check_flow_access()
        if any(order.state != "expired" for order in self):
            raise UserError(self.env._("Only expired returns can be reopened."))
        for order in self:
            # The units must still be returnable: another return may have taken them meanwhile.
            order.line_ids._check_returnable_quantity()
        self.sudo().write({"state": "approved", "date_approved": fields.Datetime.now(), "date_expired": False})
        self._create_receipts()
        for order in self:
            order.message_post(body=self.env._("Reopened by %(user)s after it expired.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # Grading SLA
    # ------------------------------------------------------------------
    @api.model
    def _get_grading_overdue_domain(self, activity_type, now=None):
        """Returns whose units wait for grading longer than their policy's SLA since the goods first
        arrived, and that have no open overdue-grading activity yet (so the cron gives only one)."""
        now = now or fields.Datetime.now()
        policies = self.env["return.policy"].sudo().with_context(active_test=False).search(
            [("grading_sla_hours", ">", 0)])
        branches = [
            [("policy_id", "=", policy.id),
             ("date_first_receipt", "<", now - timedelta(hours=policy.grading_sla_hours))]
            for policy in policies
        ]
        if not branches:
            return expression.FALSE_DOMAIN
        return expression.AND([
            [("disposition_status", "=", "to_grade"),
             ("activity_ids", "not any", [("activity_type_id", "=", activity_type.id)])],
            expression.OR(branches),
        ])

    @api.model
    def _cron_grading_sla(self, batch_size=None):
        batch_size = batch_size or self._CRON_BATCH_SIZE
        activity_type = self.env.ref("reverse_logistics.mail_activity_return_grading_overdue")
        orders = self.sudo()
        domain = self._get_grading_overdue_domain(activity_type)
        batch = orders.search(domain, order="date_first_receipt, id", limit=batch_size)
        for order in batch:
            order.activity_schedule(
                activity_type_id=activity_type.id, user_id=order._get_grading_sla_user().id,
                note=self.env._("Units of %(name)s wait for grading for more than %(hours)s hours.",
                                name=order.name, hours=order.policy_id.grading_sla_hours),
            )
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _get_grading_sla_user(self):
        """Who gets the overdue-grading activity: the policy's responsible for the returns team."""
        self.ensure_one()
        return self.policy_id.user_id or self.user_id or self.env.ref("base.user_admin")

    def _on_graded(self):
        res = super()._on_graded()
        graded = self.filtered(lambda o: o.disposition_status != "to_grade")
        # Done by the system on behalf of whoever graded: the activity may be assigned to someone else.
        graded.sudo().activity_feedback(["reverse_logistics.mail_activity_return_grading_overdue"])
        return res
