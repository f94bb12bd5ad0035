from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare

from ..tools import check_flow_access

RETURNS_MANAGER = "reverse_logistics.group_return_manager"

# Returns the customer asked for and the company accepted: what counts as returned.
ACCEPTED_STATES = ("approved", "receiving", "received", "done")


class ReturnCustomerBehaviour(models.Model):
    """How a customer (commercial partner) returns, over the rolling period of the company's default policy.

    One row per customer and company, rebuilt by the daily cron and on demand; only the system writes it.
    The figures are compared with the thresholds of the policy that applies to a return when the return is
    submitted (`_get_flag_reasons`): a flagged customer's returns go to a manager. The team reads this;
    customers never do (no portal access, the return's field is for internal users)."""

    _name = "return.customer.behaviour"
    _description = "Customer Return Behaviour"
    _order = "is_flagged desc, rate_value desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_days = fields.Integer(string="Period (days)", readonly=True)
    date_from = fields.Datetime(string="Since", readonly=True)
    date_computed = fields.Datetime(string="Computed On", readonly=True)
    qty_delivered = fields.Float(string="Units Delivered", digits="Product Unit of Measure", readonly=True)
    qty_returned = fields.Float(string="Units Returned", digits="Product Unit of Measure", readonly=True)
    rate_qty = fields.Float(string="Return Rate by Units (%)", digits=(6, 2), readonly=True)
    value_invoiced = fields.Monetary(string="Invoiced", readonly=True)
    value_returned = fields.Monetary(readonly=True)
    rate_value = fields.Float(string="Return Rate by Value (%)", digits=(6, 2), readonly=True)
    lot_mismatch_count = fields.Integer(
        string="Lot Mismatches", readonly=True,
        help="Return lines naming a lot or serial number that was not delivered on the order they return.")
    used_claimed_unused_count = fields.Integer(
        string="Used, Said Unused", readonly=True,
        help="Returns with units graded as used for a reason that says they were unused.")
    is_flagged = fields.Boolean(
        string="Flagged", readonly=True, index=True,
        help="Crosses a threshold of the company's default policy: returns go to a manager.")
    flag_reasons = fields.Text(string="Why Flagged", readonly=True)

    _sql_constraints = [
        ("partner_company_uniq", "unique(partner_id, company_id)",
         "A customer has one return behaviour per company."),
    ]

    # ------------------------------------------------------------------
    # Thresholds
    # ------------------------------------------------------------------
    def _get_flag_reasons(self, policy):
        """Why `policy` flags this customer, in plain words; empty when no threshold is crossed (no
        threshold set: nothing is ever flagged)."""
        self.ensure_one()
        if not policy:
            return []
        reasons = []
        if policy.behaviour_max_rate_qty and float_compare(
                self.rate_qty, policy.behaviour_max_rate_qty, precision_digits=2) > 0:
            reasons.append(self.env._(
                "Returned %(rate)s %% of the units delivered in %(days)s days (limit %(limit)s %%).",
                rate=round(self.rate_qty, 2), days=self.period_days, limit=policy.behaviour_max_rate_qty))
        if policy.behaviour_max_rate_value and float_compare(
                self.rate_value, policy.behaviour_max_rate_value, precision_digits=2) > 0:
            reasons.append(self.env._(
                "Returned %(rate)s %% of the value invoiced in %(days)s days (limit %(limit)s %%).",
                rate=round(self.rate_value, 2), days=self.period_days, limit=policy.behaviour_max_rate_value))
        if policy.behaviour_max_lot_mismatches \
                and self.lot_mismatch_count >= policy.behaviour_max_lot_mismatches:
            reasons.append(self.env._(
                "%(count)s returned lots or serial numbers did not match the delivery (flagged from %(limit)s).",
                count=self.lot_mismatch_count, limit=policy.behaviour_max_lot_mismatches))
        if policy.behaviour_max_used_unused \
                and self.used_claimed_unused_count >= policy.behaviour_max_used_unused:
            reasons.append(self.env._(
                "%(count)s returns said unused were graded as used (flagged from %(limit)s).",
                count=self.used_claimed_unused_count, limit=policy.behaviour_max_used_unused))
        return reasons

    @api.model
    def _get_for(self, partner, company):
        """The behaviour row of a customer in a company (read as the system: the return's check needs it
        whoever submits)."""
        return self.sudo().search([
            ("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", company.id),
        ], limit=1)

    # ------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------
    @api.model
    def _get_period_days(self, company):
        return self.env["return.policy"].sudo()._get_default_policy(company).behaviour_period_days or 365

    @api.model
    def _get_delivered_qty(self, partners, company, date_from):
        """{commercial partner id: units delivered since `date_from`} (deliveries, not returns of returns)."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT p.commercial_partner_id, SUM(m.product_qty)
              FROM stock_move m
              JOIN stock_picking pk ON pk.id = m.picking_id
              JOIN res_partner p ON p.id = pk.partner_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
             WHERE m.state = 'done' AND dest.usage = 'customer' AND m.origin_returned_move_id IS NULL
               AND m.company_id = %(company)s AND m.date >= %(date_from)s
               AND p.commercial_partner_id = ANY(%(partners)s)
          GROUP BY p.commercial_partner_id
        """, company=company.id, date_from=date_from, partners=partners.ids))
        return dict(self.env.cr.fetchall())

    @api.model
    def _get_invoiced_value(self, partners, company, date_from):
        """{commercial partner id: untaxed value of the product lines invoiced since `date_from`, in
        company currency}."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT am.commercial_partner_id, SUM(-aml.balance)
              FROM account_move_line aml
              JOIN account_move am ON am.id = aml.move_id
             WHERE am.move_type = 'out_invoice' AND am.state = 'posted' AND aml.display_type = 'product'
               AND am.company_id = %(company)s AND am.invoice_date >= %(date_from)s
               AND am.commercial_partner_id = ANY(%(partners)s)
          GROUP BY am.commercial_partner_id
        """, company=company.id, date_from=date_from.date(), partners=partners.ids))
        return dict(self.env.cr.fetchall())

    @api.model
    def _prepare_behaviour_vals(self, partner, company, date_from, delivered, invoiced, lines):
        """The figures of one customer from his submitted return lines of the period (`lines`, as the
        system)."""
        # The returns a customer decides on (those the policy could approve by itself): warranty claims,
        # recalls and take-backs say nothing of his behaviour.
        accepted = lines.filtered(
            lambda ln: ln.order_id.state in ACCEPTED_STATES and ln.order_id.return_type_id.auto_approvable)
        qty_returned = sum(accepted.mapped("product_uom_qty"))
        value_returned = sum(
            ln.order_id._get_amount_in_company_currency(ln.price_subtotal) for ln in accepted)
        mismatches = 0
        for line in lines.filtered("lot_id"):
            delivered_lots = line._get_delivered_lots()
            if delivered_lots is not None and line.lot_id not in delivered_lots:
                mismatches += 1
        # The latest grading of each unit: a regrade replaces what it corrects.
        used_unused = lines.grading_ids._get_current().filtered(
            lambda g: g.grade_id.shows_use and g.line_id.reason_id.claims_unused).order_id
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "period_days": (fields.Datetime.now() - date_from).days,
            "date_from": date_from,
            "date_computed": fields.Datetime.now(),
            "qty_delivered": delivered,
            "qty_returned": qty_returned,
            "rate_qty": 100.0 * qty_returned / delivered if delivered else 0.0,
            "value_invoiced": invoiced,
            "value_returned": value_returned,
            "rate_value": 100.0 * value_returned / invoiced if invoiced else 0.0,
            "lot_mismatch_count": mismatches,
            "used_claimed_unused_count": len(used_unused),
        }

    @api.model
    def _recompute(self, partners, company):
        """Rebuild the rows of `partners` (commercial partners) in `company`; returns them."""
        partners = partners.commercial_partner_id
        if not partners:
            return self.browse()
        days = self._get_period_days(company)
        date_from = fields.Datetime.now() - timedelta(days=days)
        delivered = self._get_delivered_qty(partners, company, date_from)
        invoiced = self._get_invoiced_value(partners, company, date_from)
        lines = self.env["return.order.line"].sudo().search([
            ("order_id.commercial_partner_id", "in", partners.ids), ("company_id", "=", company.id),
            ("order_id.date_submitted", "!=", False), ("order_id.date_request", ">=", date_from),
        ])
        lines_by_partner = defaultdict(lambda: self.env["return.order.line"].sudo())
        for line in lines:
            lines_by_partner[line.order_id.commercial_partner_id.id] |= line
        policy = self.env["return.policy"].sudo()._get_default_policy(company)
        behaviours = self.sudo().search([("partner_id", "in", partners.ids), ("company_id", "=", company.id)])
        by_partner = {b.partner_id.id: b for b in behaviours}
        result = self.sudo().browse()
        for partner in partners:
            vals = self._prepare_behaviour_vals(
                partner, company, date_from, delivered.get(partner.id, 0.0), invoiced.get(partner.id, 0.0),
                lines_by_partner[partner.id])
            behaviour = by_partner.get(partner.id)
            if behaviour:
                behaviour.write(vals)
            else:
                behaviour = self.sudo().create(vals)
            reasons = behaviour._get_flag_reasons(policy)
            behaviour.write({"is_flagged": bool(reasons), "flag_reasons": "\n".join(reasons) or False})
            result |= behaviour
        return result

    @api.model
    def _get_candidate_partners(self, company, date_from):
        """Commercial partners with a delivery or a submitted return in the period, or a row already."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT p.commercial_partner_id
              FROM stock_move m
              JOIN stock_picking pk ON pk.id = m.picking_id
              JOIN res_partner p ON p.id = pk.partner_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
             WHERE m.state = 'done' AND dest.usage = 'customer' AND m.company_id = %(company)s
               AND m.date >= %(date_from)s
             UNION
            SELECT o.commercial_partner_id FROM return_order o
             WHERE o.company_id = %(company)s AND o.date_submitted IS NOT NULL AND o.date_request >= %(date_from)s
             UNION
            SELECT b.partner_id FROM return_customer_behaviour b WHERE b.company_id = %(company)s
        """, company=company.id, date_from=date_from))
        return self.env["res.partner"].browse(row[0] for row in self.env.cr.fetchall() if row[0])

    @api.model
    def _cron_compute_customer_behaviour(self, batch_size=200):
        """Rebuild the rows not yet computed today, `batch_size` customers per call; the cron runs again
        while some remain (`_notify_progress`)."""
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        done = 0
        remaining = 0
        # Every company, each in its own environment: a database holds a handful of them.
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            date_from = fields.Datetime.now() - timedelta(days=self._get_period_days(company))
            partners = self._get_candidate_partners(company, date_from)
            fresh = self.sudo().search([
                ("company_id", "=", company.id), ("date_computed", ">=", today),
            ]).partner_id
            todo = partners - fresh
            batch = todo[:max(batch_size - done, 0)]
            if batch:
                self.with_company(company)._recompute(batch, company)
            done += len(batch)
            remaining += len(todo) - len(batch)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_recompute(self):
        """Rebuild these rows now (Returns Managers)."""
        check_flow_access(self, RETURNS_MANAGER, "read")
        for company in self.company_id:
            rows = self.filtered_domain([("company_id", "=", company.id)])
            self._recompute(rows.partner_id, company)
        return True

    @api.model
    def action_recompute_partner(self, partner_id):
        """Compute the behaviour of one customer in the current company now (Returns Managers)."""
        if not self.env.user.has_group(RETURNS_MANAGER):
            raise AccessError(self.env._("Only a Returns Manager may compute a customer's return behaviour."))
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise UserError(self.env._("This customer does not exist."))
        partner.check_access("read")
        return self._recompute(partner, self.env.company).ids
