import io
import math
import time
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_user_create, check_user_write, refuse_mail_creation
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero

from .. import trace_sql

try:
    import xlsxwriter
except ImportError:  # pragma: no cover - Odoo requires it
    xlsxwriter = None


class RecallCampaign(models.Model):
    _name = "recall.campaign"
    _description = "Recall Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_initiated desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="New")
    title = fields.Char(required=True, tracking=True, help="e.g. Peanut traces in chocolate bars")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    state = fields.Selection(
        [("draft", "Draft"), ("traced", "Traced"), ("active", "Active"), ("monitoring", "Monitoring"),
         ("closed", "Closed")],
        default="draft", required=True, tracking=True, copy=False, index=True, readonly=True,
    )
    is_mock = fields.Boolean(
        string="Mock Recall", tracking=True,
        help="A drill: the trace runs and is timed, nothing is quarantined and nobody is told.",
    )
    product_ids = fields.Many2many("product.product", string="Products", check_company=True,
                                   domain="[('tracking', '!=', 'none')]")
    lot_ids = fields.Many2many("stock.lot", string="Affected Lots/Serials", check_company=True,
                               domain="[('product_id', 'in', product_ids)]")
    lot_date_from = fields.Date(string="Lots From", help="Add all lots of the products received or made from.")
    lot_date_to = fields.Date(string="Lots To")
    reason = fields.Text(required=True, tracking=True)
    hazard = fields.Text(help="The risk to health or safety, in the words the consignees will read.")
    instructions = fields.Html(string="What To Do", help="Instructions sent to the consignees.")
    severity = fields.Selection(
        [("1", "Class I"), ("2", "Class II"), ("3", "Class III")], default="2", required=True, tracking=True,
        help="Class I: reasonable probability of serious harm; II: temporary or reversible; III: unlikely harm.",
    )
    depth = fields.Selection(
        [("wholesale", "Wholesale"), ("retail", "Retail"), ("consumer", "Consumer")],
        default="retail", required=True, tracking=True, help="How far down the distribution chain to recall.",
    )
    authority = fields.Char(tracking=True, help="e.g. FDA, RappelConso, FSA")
    authority_ref = fields.Char(string="Authority Reference", tracking=True)
    remedy_ids = fields.Many2many("recall.remedy", string="Remedies Offered")
    effectiveness_level = fields.Selection(
        [("A", "A: 100%"), ("B", "B: between A and C"), ("C", "C: 10%"), ("D", "D: 2%"), ("E", "E: none")],
        string="Effectiveness Check Level", default="B", required=True, tracking=True,
        help="Share of the consignees to contact to verify the recall reached them (21 CFR 7.42(b)(3)): "
        "A all of them, B a sample of more than 10% and less than 100% (see Consignees To Check), C 10%, "
        "D 2%, E none.",
    )
    retrieved_disposition = fields.Selection(
        [("grade", "Grade and Disposition"), ("scrap", "Scrap")], string="Retrieved Units Go To",
        default="grade", required=True, tracking=True,
        help="Where Release Quarantine sends the units retrieved from consignees: to the warehouse's triage, "
        "where they are graded and dispositioned like other returns, or to scrap. Never to stock: only the "
        "company's own units quarantined at activation go back to stock.",
    )
    reminder_days = fields.Integer(default=7, help="Remind consignees who have not answered after this many days.")
    date_initiated = fields.Date(default=fields.Date.context_today, required=True, tracking=True)
    date_traced = fields.Datetime(readonly=True, copy=False)
    date_activated = fields.Datetime(
        readonly=True, copy=False,
        help="From then on, units consignees send back are retrieved by the recall; what they had sent back "
        "before is frozen on the exposure as returned before the recall.")
    date_released = fields.Datetime(
        string="Quarantine Released On", readonly=True, copy=False,
        help="Set by Release Quarantine: the recall no longer blocks its lots. Quarantine Again clears it.")
    date_closed = fields.Datetime(readonly=True, copy=False)
    date_completion_estimated = fields.Date(
        string="Estimated Completion", tracking=True,
        help="When the recall is expected to be completed, as the 21 CFR 7.53(b)(6) status report gives it.")
    user_id = fields.Many2one("res.users", string="Recall Coordinator", default=lambda self: self.env.user)
    quarantine_pending = fields.Boolean(
        readonly=True, copy=False, index=True,
        help="The stock of the affected lots is being moved into quarantine in the background.")
    quarantine_reassign_move_ids = fields.Many2many(
        "stock.move", "recall_campaign_quarantine_move_rel", "campaign_id", "move_id", readonly=True, copy=False,
        string="Reservations To Restore",
        help="Open moves the quarantine took off the affected lots: they look for other stock once it is done.")
    quarantine_progress = fields.Char(readonly=True, copy=False)
    quarantine_error = fields.Text(
        readonly=True, copy=False,
        help="Why the last background run of the quarantine failed; it is retried.")

    exposure_ids = fields.One2many("recall.exposure", "campaign_id")
    consignee_exposure_ids = fields.One2many(
        "recall.exposure", "campaign_id", domain=[("kind", "=", "consignee")])
    supplier_exposure_ids = fields.One2many(
        "recall.exposure", "campaign_id", domain=[("kind", "=", "supplier")], string="Supplier Receipts")
    stock_exposure_ids = fields.One2many(
        "recall.exposure", "campaign_id", domain=[("kind", "=", "on_hand")], string="Stock On Hand")
    consignee_ids = fields.One2many("recall.consignee", "campaign_id", string="Consignees")
    trace_run_ids = fields.One2many("recall.trace.run", "campaign_id", string="Trace Runs")
    return_order_ids = fields.One2many("return.order", "recall_campaign_id", string="Recall Returns")
    quarantine_picking_ids = fields.One2many("stock.picking", "recall_campaign_id", string="Quarantine Transfers")
    effectiveness_check_ids = fields.One2many(
        "recall.effectiveness.check", "campaign_id", string="Effectiveness Checks")

    units_shipped = fields.Float(compute="_compute_effectiveness", store=True)
    units_retrieved = fields.Float(compute="_compute_effectiveness", store=True)
    units_destroyed = fields.Float(compute="_compute_effectiveness", store=True)
    effectiveness = fields.Float(
        string="Effectiveness (%)", compute="_compute_effectiveness", store=True,
        help="Units returned or confirmed destroyed over units shipped.",
    )
    consignee_count = fields.Integer(compute="_compute_counts")
    notified_count = fields.Integer(compute="_compute_counts")
    responded_count = fields.Integer(compute="_compute_counts")
    check_required_count = fields.Integer(
        string="Consignees To Check", compute="_compute_check_counts",
        help="How many consignees the effectiveness checks must reach at this level (21 CFR 7.42(b)(3)).")
    check_done_count = fields.Integer(string="Consignees Checked", compute="_compute_check_counts")
    open_sale_order_ids = fields.Many2many(
        "sale.order", compute="_compute_open_sale_orders", string="Open Orders Shipping Affected Lots",
    )
    last_trace_ms = fields.Float(string="Last Trace (ms)", compute="_compute_counts")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self = check_user_create(self, vals_list, self._get_protected_fields())  # noqa: PLW0642
        for vals in vals_list:
            if vals.get("name", "New") == "New":
                vals["name"] = self.env["ir.sequence"].next_by_code("recall.campaign") or "New"
        return super().create(vals_list)

    @api.depends("exposure_ids.qty_exposed", "exposure_ids.qty_retrieved", "exposure_ids.qty_destroyed",
                 "exposure_ids.qty_returned_before")
    def _compute_effectiveness(self):
        # Summed in the database: a large recall has tens of thousands of exposure rows.
        totals = {
            campaign.id: (shipped, retrieved, destroyed)
            for campaign, shipped, retrieved, destroyed in self.env["recall.exposure"]._read_group(
                [("campaign_id", "in", self.ids), ("kind", "=", "consignee")], ["campaign_id"],
                ["qty_exposed:sum", "qty_retrieved:sum", "qty_destroyed:sum"])
        }
        for campaign in self:
            shipped, retrieved, destroyed = totals.get(campaign.id, (0.0, 0.0, 0.0))
            campaign.units_shipped = shipped
            campaign.units_retrieved = retrieved
            campaign.units_destroyed = destroyed
            campaign.effectiveness = 100.0 * (retrieved + destroyed) / shipped if shipped else 0.0

    @api.depends("consignee_ids.state", "trace_run_ids")
    def _compute_counts(self):
        for campaign in self:
            consignees = campaign.consignee_ids
            campaign.consignee_count = len(consignees)
            campaign.notified_count = len(consignees.filtered(lambda c: c.state != "to_notify"))
            campaign.responded_count = len(consignees.filtered(lambda c: c.state in ("acknowledged", "closed")))
            campaign.last_trace_ms = campaign.trace_run_ids[:1].duration_ms

    @api.depends("effectiveness_level", "consignee_ids.units_exposed", "effectiveness_check_ids.consignee_id")
    def _compute_check_counts(self):
        for campaign in self:
            population = len(campaign.consignee_ids.filtered(lambda c: c.units_exposed > 0))
            campaign.check_required_count = self._get_check_sample_size(campaign.effectiveness_level, population)
            campaign.check_done_count = len(campaign.effectiveness_check_ids.consignee_id)

    # Level B of 21 CFR 7.42(b)(3) is "some percentage ... greater than 10 percent and less than 100 percent",
    # set case by case. The sample taken here is the one that estimates the share of consignees the recall
    # reached within +/- 10 points at 95% confidence (Cochran's sample size for a proportion, p = 0.5, with
    # the finite population correction), kept strictly between 10% and 100% of the consignees.
    _CHECK_LEVEL_SHARE = {"A": 1.0, "C": 0.10, "D": 0.02, "E": 0.0}
    _CHECK_SAMPLE_Z = 1.96
    _CHECK_SAMPLE_MARGIN = 0.10

    @api.model
    def _get_check_sample_size(self, level, population):
        """Consignees to check at an effectiveness check level, out of `population` consignees."""
        if population <= 0:
            return 0
        if level in self._CHECK_LEVEL_SHARE:
            return math.ceil(self._CHECK_LEVEL_SHARE[level] * population - 1e-9)
        n0 = self._CHECK_SAMPLE_Z ** 2 * 0.25 / self._CHECK_SAMPLE_MARGIN ** 2
        sample = math.ceil(n0 * population / (n0 + population - 1) - 1e-9)
        more_than_tenth = population // 10 + 1
        less_than_all = max(population - 1, 1)
        return min(max(sample, more_than_tenth), less_than_all)

    @api.depends("lot_ids", "state")
    def _compute_open_sale_orders(self):
        for campaign in self:
            if not campaign.lot_ids:
                campaign.open_sale_order_ids = False
                continue
            lines = self.env["stock.move.line"].search([
                ("lot_id", "in", campaign._get_affected_lots().ids),
                ("state", "not in", ("done", "cancel")),
                ("location_dest_id.usage", "=", "customer"),
            ])
            campaign.open_sale_order_ids = lines.move_id.sale_line_id.order_id

    @api.constrains("lot_ids", "product_ids")
    def _check_lots_tracked(self):
        for campaign in self:
            untracked = campaign.product_ids.filtered(lambda p: p.tracking == "none")
            if untracked:
                raise ValidationError(self.env._(
                    "A recall follows lots and serial numbers: %(products)s are not tracked by lot or serial. "
                    "Turn on lot tracking for them or recall by another means.",
                    products=", ".join(untracked.mapped("display_name")),
                ))

    # ------------------------------------------------------------------
    # Protected fields: the state, its dates and the figures are the recall's (written by its buttons, as
    # the system); the scope is fixed once the recall is active, the mock flag and the company once it was
    # traced; a closed recall is history. Fields an extension adds are writable unless it protects them.
    # ------------------------------------------------------------------
    def _get_system_fields(self):
        return [
            "state", "date_traced", "date_activated", "date_released", "date_closed", "quarantine_pending",
            "quarantine_reassign_move_ids", "quarantine_progress", "quarantine_error", "exposure_ids",
            "consignee_exposure_ids", "supplier_exposure_ids", "stock_exposure_ids", "consignee_ids",
            "trace_run_ids", "return_order_ids", "quarantine_picking_ids", "units_shipped", "units_retrieved",
            "units_destroyed", "effectiveness", "consignee_count", "notified_count", "responded_count",
            "check_required_count", "check_done_count", "open_sale_order_ids", "last_trace_ms",
        ]

    def _get_scope_fields(self):
        return ["product_ids", "lot_ids", "lot_date_from", "lot_date_to", "date_initiated"]

    def _get_protected_fields(self):
        protected = self._get_system_fields()
        if not self:
            # Checks are recorded on a live recall only.
            return protected + ["effectiveness_check_ids"]
        states = set(self.mapped("state"))
        if "closed" in states:
            return [name for name in self._fields if not name.startswith(("message_", "activity_"))]
        # The reference comes from the sequence at creation.
        protected += ["name"]
        if states - {"draft"}:
            protected += ["company_id", "is_mock"]
        if states - {"draft", "traced"}:
            protected += self._get_scope_fields()
        if states - {"active", "monitoring"}:
            # Checks are recorded from the live recall's form: the check model says what may be written.
            protected += ["effectiveness_check_ids"]
        return protected

    def write(self, vals):
        if not self.env.su and self:
            check_user_write(self, vals, self._get_protected_fields())
        return super().write(vals)

    # ------------------------------------------------------------------
    # Who may act on a recall
    # ------------------------------------------------------------------
    def _check_recall_manager(self):
        """Every action that changes a recall is the Recall Manager's: checked on the server, whatever the
        view shows (and a superuser environment of another user's request does not make him one)."""
        if not self.env.user.has_group("reverse_logistics_recall.group_recall_manager"):
            raise AccessError(self.env._("Only a Recall Manager may do this on a recall."))
        self.check_access("write")

    def _check_not_mock(self, what):
        mocks = self.filtered("is_mock")
        if mocks:
            raise UserError(self.env._(
                "%(names)s: a mock recall is a drill; %(what)s.", names=", ".join(mocks.mapped("name")), what=what))

    def _check_state(self, states, what):
        wrong = self.filtered(lambda c: c.state not in states)
        if wrong:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(self.env._(
                "%(names)s is %(state)s: %(what)s.", names=", ".join(wrong.mapped("name")),
                state=labels[wrong[0].state], what=what))

    # ------------------------------------------------------------------
    # Scope
    # ------------------------------------------------------------------
    def action_add_lots_from_dates(self):
        """Add every lot of the products received or produced in the date range."""
        self._check_recall_manager()
        self._check_state(("draft", "traced"), self.env._("its scope can no longer change"))
        for campaign in self:
            if not campaign.product_ids:
                raise UserError(self.env._("Pick the recalled products first."))
            domain = [
                ("product_id", "in", campaign.product_ids.ids),
                ("state", "=", "done"),
                ("lot_id", "!=", False),
                ("location_id.usage", "in", ("supplier", "production")),
                ("company_id", "=", campaign.company_id.id),
            ]
            if campaign.lot_date_from:
                domain.append(("date", ">=", fields.Datetime.to_datetime(campaign.lot_date_from)))
            if campaign.lot_date_to:
                domain.append(("date", "<", fields.Datetime.to_datetime(campaign.lot_date_to) + timedelta(days=1)))
            lots = self.env["stock.move.line"].search(domain).lot_id
            if not lots:
                raise UserError(self.env._("No lot of these products was received or produced in that period."))
            campaign.lot_ids |= lots
        return True

    def _get_affected_lots(self):
        """The lots of the last trace (seeds and what was made from them), else the seeds."""
        self.ensure_one()
        traced = self.exposure_ids.lot_id
        return traced | self.lot_ids

    # ------------------------------------------------------------------
    # Trace
    # ------------------------------------------------------------------
    def _check_traceable(self):
        for campaign in self:
            if not campaign.lot_ids:
                raise UserError(self.env._(
                    "%(name)s has no affected lots: pick lots or serial numbers, or add them from a date range.",
                    name=campaign.name,
                ))
            untracked = campaign.lot_ids.product_id.filtered(lambda p: p.tracking == "none")
            if untracked:
                raise UserError(self.env._(
                    "%(products)s are not tracked by lot or serial number and cannot be traced.",
                    products=", ".join(untracked.mapped("display_name"))))

    # ------------------------------------------------------------------
    # Trace run and save
    # The read part (`_run_trace`, `action_preview_trace`) only reads and may run on a read replica.
    # Each stored value has one definition, in SQL (trace_sql.py): the save and the preview run it.
    # Saving writes the exposure rows and consignees in bulk from the trace itself (`INSERT ... SELECT`,
    # SQL in ../trace_sql.py), with the values the ORM would store, and on a re-trace only the rows that
    # changed; the ORM cache is invalidated afterwards. A large lot gives tens of thousands of rows:
    # through `create()` it took seconds, in SQL it takes a fraction of one.
    # ------------------------------------------------------------------
    def _run_trace(self):
        """Run the trace query; return (rows, milliseconds)."""
        self.ensure_one()
        self.env.flush_all()
        start = time.perf_counter()
        self.env.cr.execute(trace_sql.trace_query(
            self.lot_ids.ids, self.company_id.id, self.id, self.date_activated))
        rows = self.env.cr.fetchall()
        return rows, (time.perf_counter() - start) * 1000.0

    @api.readonly
    def action_preview_trace(self):
        """The scope a trace would save, without saving it: read-only, so it may run on a replica. The rows
        are those of the scope query the save writes (`trace_sql.scope_query`), not a copy of it."""
        self.check_access("read")
        result = []
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        for campaign in self:
            self.env.flush_all()
            start = time.perf_counter()
            self.env.cr.execute(trace_sql.scope_preview_query(
                campaign.lot_ids.ids, campaign.company_id.id, campaign.id, campaign.date_activated, digits))
            rows = self.env.cr.dictfetchall()
            result.append({
                "id": campaign.id,
                "duration_ms": (time.perf_counter() - start) * 1000.0,
                "rows": rows,
            })
        return result

    # ------------------------------------------------------------------
    # Save
    # ------------------------------------------------------------------
    def action_trace(self):
        """Trace (or re-trace) the affected lots and freeze the scope on the campaign."""
        self._check_recall_manager()
        self._trace()
        return True

    def _trace(self):
        self._check_traceable()
        for campaign in self:
            if campaign.state == "closed":
                raise UserError(self.env._("%(name)s is closed.", name=campaign.name))
            duration = campaign._trace_into_scope_table()
            counts = campaign._save_trace()
            changes = campaign._describe_changes(counts)
            self.env["recall.trace.run"].sudo().create({
                "campaign_id": campaign.id,
                "is_mock": campaign.is_mock,
                "duration_ms": duration,
                "lot_count": counts["lots"],
                "consignee_count": counts["consignees"],
                "units_shipped": counts["units_exposed"],
                "units_on_hand": counts["units_on_hand"],
                "changes": changes,
            })
            vals = {"date_traced": fields.Datetime.now()}
            if campaign.state == "draft":
                vals["state"] = "traced"
            campaign.sudo().write(vals)
            campaign.message_post(body=self.env._(
                "Traced in %(ms).0f ms: %(consignees)s consignees, %(units)s units exposed. %(changes)s",
                ms=duration, consignees=counts["all_consignees"], units=campaign.units_shipped,
                changes=changes or "",
            ))
        return True

    def _trace_into_scope_table(self):
        """Run the trace into a temporary table (with transfers and dates); return milliseconds."""
        self.ensure_one()
        self.env.flush_all()
        cr = self.env.cr
        digits = self.env["decimal.precision"].precision_get("Product Unit of Measure")
        start = time.perf_counter()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", trace_sql.SCOPE_TABLE))
        cr.execute(SQL(
            "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s", trace_sql.SCOPE_TABLE,
            trace_sql.scope_query(self.lot_ids.ids, self.company_id.id, self.id, self.date_activated, digits)))
        self._analyze_scope_table()
        lots = SQL("(SELECT ARRAY_AGG(DISTINCT lot_id) FROM %s WHERE kind IN ('consignee', 'supplier'))::int[]",
                   trace_sql.SCOPE_TABLE)
        cr.execute(SQL(
            """
            UPDATE %(table)s s SET refs = d.refs, date_first = d.date_first, date_last = d.date_last
              FROM (%(details)s) AS d(kind, partner_id, product_id, lot_id, refs, date_first, date_last)
             WHERE d.kind = s.kind AND COALESCE(d.partner_id, 0) = COALESCE(s.partner_id, 0)
               AND d.product_id = s.product_id AND d.lot_id = s.lot_id
            """,
            table=trace_sql.SCOPE_TABLE, details=trace_sql.trace_details_query(lots, self.company_id.id),
        ))
        return (time.perf_counter() - start) * 1000.0

    def _analyze_scope_table(self):
        # A fresh temporary table has no statistics: without them the planner joins it in nested loops.
        self.env.cr.execute(SQL("ANALYZE %s", trace_sql.SCOPE_TABLE))

    # Columns a trace sets on an exposure row, as (column in recall_exposure, column in the scope table).
    _TRACE_COLUMNS = [
        ("depth", "depth"), ("qty_shipped", "qty_shipped"), ("qty_returned_before", "qty_returned_before"),
        ("qty_exposed", "qty_exposed"), ("qty_received", "qty_received"), ("qty_on_hand", "qty_on_hand"),
        ('"references"', "refs"), ("date_first", "date_first"), ("date_last", "date_last"),
        ("qty_retrieved", "qty_retrieved"),
    ]

    def _save_trace(self):
        """Write the scope table onto the campaign: consignees found for the first time, exposure rows
        added, changed or gone (rows that did not change are not written), the consignees' and the
        campaign's stored totals. Answers (units destroyed on site) stay on rows that remain.

        Rows are matched by their key (kind, partner, location, product, lot) in Python, and written by
        id: the tables were just filled in this transaction, so the planner's statistics about them
        cannot be trusted for joins. Returns the counts the trace run and its message report."""
        self.ensure_one()
        cr = self.env.cr
        params = {"table": trace_sql.SCOPE_TABLE, "campaign": self.id, "company": self.company_id.id,
                  "uid": self.env.uid, "now": self.env.cr.now()}
        # Consignees: one per partner shipped to, created once; their answers survive re-traces.
        # Stored as the ORM would: depth from the commercial partner, units exposed summed from their rows
        # (nothing retrieved or destroyed yet), no creation log, no follower.
        cr.execute(SQL(
            """
            INSERT INTO recall_consignee (campaign_id, company_id, partner_id, depth, state, response_count,
                                          reminder_count, units_exposed, units_retrieved, units_destroyed,
                                          effectiveness, create_uid, create_date, write_uid, write_date)
            SELECT %(campaign)s, %(company)s, s.partner_id,
                   CASE WHEN cp.is_company THEN 'retail' ELSE 'consumer' END, 'to_notify', 0, 0, s.exposed, 0.0,
                   0.0, 0.0, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM (SELECT partner_id, SUM(qty_exposed)::float8 AS exposed FROM %(table)s
                     WHERE kind = 'consignee' AND partner_id IS NOT NULL
                       AND partner_id NOT IN (SELECT partner_id FROM recall_consignee
                                               WHERE campaign_id = %(campaign)s)
                     GROUP BY partner_id
                    HAVING SUM(qty_exposed) > 0) s
              JOIN res_partner p ON p.id = s.partner_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
            """, **params))
        cr.execute(SQL("SELECT partner_id, id FROM recall_consignee WHERE campaign_id = %(campaign)s", **params))
        consignees = dict(cr.fetchall())
        columns = [column for column, _scope in self._TRACE_COLUMNS]
        cr.execute(SQL(
            "SELECT id, kind, partner_id, location_id, product_id, lot_id, consignee_id, %s"
            " FROM recall_exposure WHERE campaign_id = %s",
            SQL(", ").join(SQL(column) for column in columns), self.id))
        existing = {tuple(row[1:6]): (row[0], row[6:]) for row in cr.fetchall()}
        cr.execute(SQL(
            "SELECT rid, kind, partner_id, location_id, product_id, lot_id, %s FROM %s",
            SQL(", ").join(SQL(scope) for _column, scope in self._TRACE_COLUMNS), trace_sql.SCOPE_TABLE))
        new_rids, changed, counts = [], [], {"added": 0, "removed": 0, "changed": 0}
        before = sum(1 for key in existing if key[0] == "consignee")
        scope = cr.fetchall()
        for rid, *key_values in scope:
            key, values = tuple(key_values[:5]), key_values[5:]
            consignee_id = consignees.get(key[1]) if key[0] == "consignee" and key[1] else None
            current = existing.pop(key, None)
            if current is None:
                new_rids.append(rid)
                counts["added"] += key[0] == "consignee"
            elif (current[1][0], *current[1][1:]) != (consignee_id, *values):
                changed.append((current[0], rid, consignee_id))
                # qty_exposed is the 4th trace column; the history reports changes of exposure.
                counts["changed"] += key[0] == "consignee" and round(float(current[1][4] - values[3]), 4) != 0
        gone = [exposure_id for exposure_id, _values in existing.values()]
        counts["removed"] = sum(1 for key in existing if key[0] == "consignee")
        if gone:
            cr.execute(SQL("DELETE FROM recall_exposure WHERE id = ANY(%s)", gone))
        if changed:
            cr.execute(SQL(
                """
                UPDATE recall_exposure e SET %(sets)s, consignee_id = u.consignee_id
                  FROM unnest(%(ids)s::int[], %(rids)s::bigint[], %(consignee_ids)s::int[])
                       AS u(id, rid, consignee_id)
                  JOIN %(table)s s ON s.rid = u.rid
                 WHERE e.id = u.id
                """,
                sets=SQL(", ").join(SQL("%s = s.%s", SQL(column), SQL(scope)) for column, scope in self._TRACE_COLUMNS),
                ids=[c[0] for c in changed], rids=[c[1] for c in changed], consignee_ids=[c[2] for c in changed],
                **params))
        if new_rids:
            cr.execute(SQL(
                """
                INSERT INTO recall_exposure (campaign_id, kind, partner_id, location_id, product_id,
                                             lot_id, %(columns)s, consignee_id, qty_destroyed)
                SELECT %(campaign)s, s.kind, s.partner_id, s.location_id, s.product_id, s.lot_id,
                       %(values)s, c.id, 0.0
                  FROM %(table)s s
                  LEFT JOIN unnest(%(partner_ids)s::int[], %(consignee_ids)s::int[]) AS c(partner_id, id)
                         ON s.kind = 'consignee' AND c.partner_id = s.partner_id
                 WHERE %(which)s
                """,
                partner_ids=list(consignees), consignee_ids=list(consignees.values()),
                columns=SQL(", ").join(SQL(column) for column in columns),
                values=SQL(", ").join(SQL("s.%s", SQL(scope)) for _column, scope in self._TRACE_COLUMNS),
                which=SQL("TRUE") if len(new_rids) == len(scope) else SQL(
                    "s.rid = ANY(%s::bigint[])", new_rids),
                **params))
        self.env.invalidate_all()
        self._update_consignee_totals()
        self._drop_unexposed_consignees()
        for fname in ("units_shipped", "units_retrieved", "units_destroyed", "effectiveness"):
            self.env.add_to_compute(self._fields[fname], self)
        self.flush_recordset()
        cr.execute(SQL(
            """
            SELECT COUNT(DISTINCT lot_id),
                   COUNT(DISTINCT partner_id) FILTER (WHERE kind = 'consignee' AND qty_exposed > 0),
                   COALESCE(SUM(qty_exposed), 0.0), COALESCE(SUM(qty_on_hand), 0.0)
              FROM %(table)s
            """, **params))
        lots, n_consignees, units_exposed, units_on_hand = cr.fetchone()
        # Counted in the database: reading the campaign's consignees would load thousands of records.
        cr.execute(SQL("SELECT COUNT(*) FROM recall_consignee WHERE campaign_id = %s", self.id))
        consignee_count = cr.fetchone()[0]
        return dict(counts, before=before, lots=lots, consignees=n_consignees, units_exposed=float(units_exposed),
                    units_on_hand=float(units_on_hand), all_consignees=consignee_count)

    def _update_consignee_totals(self):
        """The consignees' stored totals, from the one definition of them (`trace_sql.consignee_totals_query`,
        which `recall.consignee._compute_units` runs too), written by id where they changed: the rows were
        just written, so the planner's statistics cannot be trusted for a join with them."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute(trace_sql.consignee_totals_query(SQL("e.campaign_id = %s", self.id)))
        totals = {row[0]: tuple(row[1:]) for row in cr.fetchall()}
        cr.execute(SQL("SELECT id, units_exposed, units_retrieved, units_destroyed, effectiveness "
                       "FROM recall_consignee WHERE campaign_id = %s", self.id))
        updates = []
        for consignee_id, *stored in cr.fetchall():
            values = totals.get(consignee_id, (0.0, 0.0, 0.0, 0.0))
            if values != tuple(stored):
                updates.append((consignee_id, *values))
        if updates:
            cr.execute(SQL(
                """
                UPDATE recall_consignee c
                   SET units_exposed = u.exposed, units_retrieved = u.retrieved, units_destroyed = u.destroyed,
                       effectiveness = u.effectiveness
                  FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::float8[], %s::float8[])
                       AS u(id, exposed, retrieved, destroyed, effectiveness)
                 WHERE c.id = u.id
                """, *([list(column) for column in zip(*updates, strict=True)])))
        self.env["recall.consignee"].invalidate_model(
            ["units_exposed", "units_retrieved", "units_destroyed", "effectiveness"])

    def _drop_unexposed_consignees(self):
        """Consignees left with nothing exposed (everything sent back before the recall) that nobody told,
        answered for or returned anything for: not consignees of this recall, never notified."""
        self.ensure_one()
        self.env.cr.execute(SQL(
            """
            SELECT c.id FROM recall_consignee c
             WHERE c.campaign_id = %s AND c.state = 'to_notify' AND COALESCE(c.units_exposed, 0) = 0
               AND COALESCE(c.response_count, 0) = 0
               AND NOT EXISTS (SELECT 1 FROM return_order r WHERE r.recall_consignee_id = c.id)
               AND NOT EXISTS (SELECT 1 FROM recall_effectiveness_check k WHERE k.consignee_id = c.id)
            """, self.id))
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids:
            self.env["recall.consignee"].sudo().browse(ids).unlink()
            # The database set their rows' consignee to NULL (ondelete): the cache follows.
            self.env["recall.exposure"].invalidate_model(["consignee_id"])
            self.invalidate_recordset(["consignee_ids"])

    def _describe_changes(self, counts):
        if not counts["before"]:
            return ""
        if not (counts["added"] or counts["removed"] or counts["changed"]):
            return self.env._("No change since the previous trace.")
        return self.env._(
            "Since the previous trace: %(added)s new, %(removed)s gone, %(changed)s changed exposure rows.",
            added=counts["added"], removed=counts["removed"], changed=counts["changed"],
        )

    def action_mock_recall(self):
        """Run the trace as a drill: timed and kept in the history, no quarantine, no mail."""
        self._check_recall_manager()
        for campaign in self:
            if not campaign.is_mock and campaign.state != "draft":
                raise UserError(self.env._("A live recall cannot be turned into a mock recall."))
            if campaign.state not in ("draft", "traced"):
                raise UserError(self.env._("%(name)s is closed.", name=campaign.name))
            campaign.sudo().is_mock = True
        self._trace()
        return True

    # ------------------------------------------------------------------
    # Activation: quarantine and notification
    # ------------------------------------------------------------------
    def action_activate(self):
        self._check_recall_manager()
        self._check_not_mock(self.env._("it is never activated: it quarantines and notifies nothing"))
        for campaign in self:
            if campaign.state != "traced":
                raise UserError(self.env._("Trace %(name)s before activating it.", name=campaign.name))
            if len(campaign.remedy_ids) < 2:
                raise UserError(self.env._(
                    "Offer at least two remedies (refund, replacement or repair), as the EU General Product "
                    "Safety Regulation requires."))
            # Traced again at this very moment: what consignees sent back until now is frozen as returned
            # before the recall; from now on what comes back is retrieved by it, whatever a re-trace finds.
            campaign._trace()
            campaign.sudo().write({"state": "active", "date_activated": fields.Datetime.now()})
            campaign._quarantine()
            campaign.consignee_ids.filtered(lambda c: c.state == "to_notify" and c.units_exposed > 0)._notify()
        return True

    # ------------------------------------------------------------------
    # Quarantine: at activation (and again on demand) the affected stock on hand goes into its
    # warehouse's quarantine; while the recall is active and not released, an affected lot of the
    # campaign's company goes nowhere but into quarantine, to scrap or back to its vendor
    # (`stock.move.line._check_recall_quarantine`); release sends the company's own units back to stock
    # and the units retrieved from consignees to their disposition.
    # ------------------------------------------------------------------
    def action_quarantine(self):
        """Quarantine Again: move what is on hand of the affected lots outside quarantine into it (stock a
        re-trace found, units released earlier); the recall blocks its lots again if it was released."""
        self._check_recall_manager()
        self._check_not_mock(self.env._("nothing is quarantined"))
        self._check_state(("active", "monitoring"), self.env._("stock is quarantined while the recall is active"))
        for campaign in self:
            released = bool(campaign.date_released)
            if released:
                campaign.sudo().date_released = False
            moved = campaign._quarantine()
            if not moved and not released:
                raise UserError(self.env._(
                    "Every unit of %(name)s's lots on hand is already in quarantine.", name=campaign.name))
            if released:
                campaign.message_post(body=self.env._(
                    "Quarantine restored by %(user)s: the recall blocks its lots again.", user=self.env.user.name))
        return True

    # Above this many stock records (system parameter) the quarantine is left to its cron, which moves
    # them chunk by chunk: one request moving thousands of quants would hold locks for minutes.
    _QUARANTINE_SYNC_LIMIT_PARAM = "reverse_logistics_recall.quarantine_sync_limit"
    _QUARANTINE_CHUNK_PARAM = "reverse_logistics_recall.quarantine_chunk_size"

    @api.model
    def _get_quarantine_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return max(int(value), 0) if value not in (None, False, "") else default
        except ValueError:
            return default

    def _quarantine(self):
        """Move affected stock on hand into quarantine, taking it off open pickings first; return the
        number of stock records moved (or left to the cron).

        Above `_QUARANTINE_SYNC_LIMIT_PARAM` stock records the campaign is flagged `quarantine_pending`
        with the moves that lost their reservation, and `_cron_quarantine` moves the stock chunk by chunk.
        The caller checked the user's rights: the cron only finishes what a Recall Manager asked for."""
        limit = self._get_quarantine_param(self._QUARANTINE_SYNC_LIMIT_PARAM, 1000)
        count = 0
        for campaign in self.filtered(lambda c: c.state in ("active", "monitoring") and not c.is_mock):
            lots = campaign._get_affected_lots()
            reserved = self.env["stock.move.line"].search([
                ("lot_id", "in", lots.ids), ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "internal"), ("company_id", "=", campaign.company_id.id),
            ])
            unreserved_moves = reserved.move_id
            unreserved_moves._do_unreserve()
            quants = self.env["stock.quant"]._get_recall_quarantine_quants(lots, campaign.company_id)
            count += len(quants)
            if campaign.quarantine_pending or (limit and len(quants) > limit):
                # The flag and the moves to reassign are written in this transaction: the cron sees the
                # request whole or not at all.
                campaign.sudo().write({
                    "quarantine_pending": True,
                    "quarantine_reassign_move_ids": [Command.link(move.id) for move in unreserved_moves],
                    "quarantine_progress": self.env._(
                        "%(count)s stock records to move", count=len(quants)),
                    "quarantine_error": False,
                })
                campaign.message_post(body=self.env._(
                    "Quarantine of %(count)s stock records started in the background; %(moves)s reservations "
                    "released.", count=len(quants), moves=len(unreserved_moves)))
                self.env.ref("reverse_logistics_recall.ir_cron_recall_quarantine")._trigger()
                continue
            units = sum(quants.mapped("quantity"))
            quants.with_context(recall_campaign_id=campaign.id)._recall_move_to_quarantine()
            # Open moves that lost their reservation look for unaffected stock again.
            unreserved_moves.exists()._action_assign()
            campaign.message_post(body=self.env._(
                "Quarantine: %(units)s units moved, %(moves)s reservations released.",
                units=units, moves=len(unreserved_moves),
            ))
        return count

    @api.model
    def _cron_quarantine(self):
        """Move one chunk of the stock of each campaign flagged `quarantine_pending` into quarantine.

        Each call is one transaction (the cron commits between calls): the chunk's transfers, the
        progress and, with the last chunk, the reassign of the unreserved moves and the flag cleared.
        What is left is read again from the stock at each call (quants outside quarantine), so a call
        that crashed is rolled back whole and nothing is ever moved twice. A campaign that fails keeps
        its flag and shows the error; the others go on, and the next run retries it."""
        chunk = self._get_quarantine_param(self._QUARANTINE_CHUNK_PARAM, 200) or 200
        campaigns = self.search([("quarantine_pending", "=", True)], order="id")
        done = remaining = 0
        for campaign in campaigns:
            try:
                with self.env.cr.savepoint():
                    moved, left = campaign._quarantine_chunk(chunk)
            except Exception as error:  # noqa: BLE001 - shown on the campaign, retried by the next run
                message = str(error)
                if campaign.quarantine_error != message:
                    # The flag fields are the recall's own (refused to users): written as the system.
                    campaign.sudo().quarantine_error = message
                    campaign.message_post(body=self.env._(
                        "The background quarantine failed and will be retried: %(error)s", error=message))
                continue
            done += moved
            remaining += left
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _quarantine_chunk(self, chunk):
        """Move up to `chunk` stock records of this flagged campaign; return (moved, left)."""
        self.ensure_one()
        if self.state not in ("active", "monitoring") or self.date_released:
            # Released or closed meanwhile: nothing more goes into quarantine.
            quants = self.env["stock.quant"]
        else:
            quants = self.env["stock.quant"]._get_recall_quarantine_quants(
                self._get_affected_lots(), self.company_id)
        todo, left = quants[:chunk], quants[chunk:]
        todo.with_context(recall_campaign_id=self.id)._recall_move_to_quarantine()
        if left:
            self.sudo().write({
                "quarantine_progress": self.env._("%(count)s stock records left to move", count=len(left)),
                "quarantine_error": False,
            })
            return len(todo), len(left)
        moves = self.quarantine_reassign_move_ids
        # Open moves that lost their reservation look for unaffected stock again, once all is moved.
        moves.exists()._action_assign()
        self.sudo().write({
            "quarantine_pending": False, "quarantine_reassign_move_ids": [Command.clear()],
            "quarantine_progress": False, "quarantine_error": False,
        })
        self.message_post(body=self.env._(
            "Background quarantine is done: every stock record of the affected lots is in quarantine; "
            "%(moves)s released reservations looked for other stock.", moves=len(moves)))
        return len(todo), 0

    def _get_quarantine_locations(self):
        """The quarantine locations of the campaigns' companies, each with its warehouse."""
        warehouses = self.env["stock.warehouse"].sudo().search([("company_id", "in", self.company_id.ids)])
        return warehouses.quarantine_location_id

    # ------------------------------------------------------------------
    # Release
    # ------------------------------------------------------------------
    def action_release_quarantine(self):
        """The lots are no longer blocked by this recall: the company's own units quarantined by it go back
        to stock; units retrieved from consignees go to their disposition (triage or scrap), never to stock."""
        self._check_recall_manager()
        self._check_not_mock(self.env._("it quarantined nothing"))
        self._check_state(("active", "monitoring", "closed"), self.env._("it has no quarantine to release"))
        for campaign in self:
            if campaign.date_released:
                raise UserError(self.env._("The quarantine of %(name)s was already released.", name=campaign.name))
            if campaign.quarantine_pending:
                raise UserError(self.env._(
                    "The quarantine of %(name)s is still being moved in the background (%(progress)s): release "
                    "it once it is done.", name=campaign.name, progress=campaign.quarantine_progress or ""))
            # The block is the campaign's: lifted first, so that the release transfers below pass it (another
            # active recall of the same lots still blocks them). No context key lifts it.
            campaign.sudo().date_released = fields.Datetime.now()
            summary = campaign._release_quarantine()
            campaign.message_post(body=self.env._(
                "Quarantine released by %(user)s: %(own)s own units back to stock, %(retrieved)s retrieved units "
                "to %(where)s.", user=self.env.user.name, own=summary["own"], retrieved=summary["retrieved"],
                where=dict(self._fields["retrieved_disposition"]._description_selection(self.env))[
                    campaign.retrieved_disposition]))
        return True

    def _get_own_quarantined_qty(self):
        """{(quarantine location, product, lot): units} the campaign's quarantine transfers brought into
        quarantine from the company's stock, less what its releases already took back to stock."""
        self.ensure_one()
        own = defaultdict(float)
        lines = self.env["stock.move.line"].sudo().search([
            ("move_id.picking_id.recall_campaign_id", "=", self.id), ("state", "=", "done"),
        ])
        quarantines = self._get_quarantine_locations()
        for line in lines:
            qty = line.quantity_product_uom
            # Into quarantine from the company's own stock only: units from a customer are retrieved ones.
            if line.location_dest_id in quarantines and line.location_id.usage == "internal":
                own[line.location_dest_id, line.product_id, line.lot_id] += qty
            elif line.location_id in quarantines:
                own[line.location_id, line.product_id, line.lot_id] -= qty
        return own

    def _release_quarantine(self):
        """Empty the quarantine of this campaign's lots: own units to stock, the rest (retrieved) to the
        campaign's disposition. Returns {"own": units, "retrieved": units}."""
        self.ensure_one()
        quarantines = self._get_quarantine_locations()
        quants = self.env["stock.quant"].sudo().search([
            ("lot_id", "in", self._get_affected_lots().ids), ("location_id", "in", quarantines.ids),
            ("company_id", "=", self.company_id.id), ("quantity", ">", 0),
        ])
        own = self._get_own_quarantined_qty()
        summary = {"own": 0.0, "retrieved": 0.0}
        by_warehouse = defaultdict(lambda: {"own": [], "retrieved": []})
        for quant in quants:
            rounding = quant.product_id.uom_id.rounding
            key = (quant.location_id, quant.product_id, quant.lot_id)
            own_qty = min(max(own.get(key, 0.0), 0.0), quant.quantity)
            if float_compare(own_qty, 0.0, precision_rounding=rounding) > 0:
                own[key] -= own_qty
                by_warehouse[quant.warehouse_id]["own"].append((quant, own_qty))
            rest = quant.quantity - own_qty
            if not float_is_zero(rest, precision_rounding=rounding):
                by_warehouse[quant.warehouse_id]["retrieved"].append((quant, rest))
        for warehouse, parts in by_warehouse.items():
            warehouse = warehouse.sudo()
            if parts["own"]:
                warehouse._recall_create_quant_transfer(
                    self, self.env["stock.quant"].union(*(quant for quant, _qty in parts["own"])),
                    warehouse.lot_stock_id, quantities=[qty for _quant, qty in parts["own"]])
                summary["own"] += sum(qty for _quant, qty in parts["own"])
            if parts["retrieved"]:
                self._dispose_retrieved(warehouse, parts["retrieved"])
                summary["retrieved"] += sum(qty for _quant, qty in parts["retrieved"])
        return summary

    def _dispose_retrieved(self, warehouse, parts):
        """Send retrieved units [(quant, qty)] of a warehouse's quarantine to the campaign's disposition."""
        self.ensure_one()
        if self.retrieved_disposition == "scrap":
            scraps = self.env["stock.scrap"].sudo().create([
                self._prepare_release_scrap_vals(quant, qty) for quant, qty in parts])
            for scrap in scraps:
                scrap.do_scrap()
            return scraps
        if not warehouse.return_location_id:
            warehouse._ensure_return_setup()
        return warehouse._recall_create_quant_transfer(
            self, self.env["stock.quant"].union(*(quant for quant, _qty in parts)), warehouse.return_location_id,
            quantities=[qty for _quant, qty in parts])

    def _prepare_release_scrap_vals(self, quant, qty):
        return {
            "product_id": quant.product_id.id,
            "product_uom_id": quant.product_id.uom_id.id,
            "lot_id": quant.lot_id.id,
            "package_id": quant.package_id.id,
            "scrap_qty": qty,
            "location_id": quant.location_id.id,
            "company_id": self.company_id.id,
            "origin": self.name,
        }

    # ------------------------------------------------------------------
    # The block
    # ------------------------------------------------------------------
    @api.model
    def _get_blocking_campaigns(self, lots, companies):
        """{(lot, company): campaigns} of the live recalls (active or monitoring, not released, not mock)
        of these companies that hold these lots (a seed or a lot the trace found), read in two queries."""
        if not lots or not companies:
            return {}
        relation = self._fields["lot_ids"]
        self.flush_model(["state", "is_mock", "date_released", "company_id", "lot_ids"])
        self.env["recall.exposure"].flush_model(["campaign_id", "lot_id"])
        self.env.cr.execute(SQL(
            """
            WITH live AS (
                SELECT id, company_id FROM recall_campaign
                 WHERE state IN ('active', 'monitoring') AND is_mock IS NOT TRUE AND date_released IS NULL
                   AND company_id = ANY(%(companies)s)
            )
            SELECT e.lot_id, live.company_id, live.id
              FROM recall_exposure e JOIN live ON live.id = e.campaign_id
             WHERE e.lot_id = ANY(%(lots)s)
             UNION
            SELECT r.%(lot_column)s, live.company_id, live.id
              FROM %(relation)s r JOIN live ON live.id = r.%(campaign_column)s
             WHERE r.%(lot_column)s = ANY(%(lots)s)
            """,
            companies=companies.ids, lots=lots.ids, relation=SQL.identifier(relation.relation),
            lot_column=SQL.identifier(relation.column2), campaign_column=SQL.identifier(relation.column1),
        ))
        blocking = defaultdict(lambda: self.browse())
        for lot_id, company_id, campaign_id in self.env.cr.fetchall():
            blocking[self.env["stock.lot"].browse(lot_id), self.env["res.company"].browse(company_id)] |= \
                self.browse(campaign_id)
        return dict(blocking)

    # ------------------------------------------------------------------
    # Follow-up and close
    # ------------------------------------------------------------------
    def action_monitor(self):
        self._check_recall_manager()
        self._check_state(("active",), self.env._("only an active recall is monitored"))
        self.sudo().write({"state": "monitoring"})
        return True

    def action_close(self):
        self._check_recall_manager()
        self._check_state(("traced", "active", "monitoring"), self.env._("it cannot be closed"))
        for campaign in self:
            open_returns = campaign.return_order_ids.filtered(lambda r: r.state not in ("done", "cancel", "rejected"))
            if open_returns:
                raise UserError(self.env._(
                    "%(name)s still has open recall returns: %(returns)s.",
                    name=campaign.name, returns=", ".join(open_returns.mapped("name")),
                ))
        self.sudo().write({"state": "closed", "date_closed": fields.Datetime.now()})
        return True

    def action_notify_new_consignees(self):
        """Notify the consignees a re-trace found after activation (they wait as To Notify)."""
        self._check_recall_manager()
        self._check_not_mock(self.env._("nobody is notified"))
        self._check_state(("active", "monitoring"), self.env._("consignees are notified while it is active"))
        for campaign in self:
            new = campaign.consignee_ids.filtered(lambda c: c.state == "to_notify" and c.units_exposed > 0)
            if not new:
                raise UserError(self.env._(
                    "Every consignee of %(name)s with units exposed was notified.", name=campaign.name))
            new._notify()
            campaign.message_post(body=self.env._(
                "Notice sent to %(count)s consignees found since activation: %(partners)s.",
                count=len(new), partners=", ".join(new.partner_id.mapped("display_name"))))
        return True

    @api.model
    def _cron_send_reminders(self):
        campaigns = self.search([("state", "in", ("active", "monitoring")), ("is_mock", "=", False)])
        campaigns.consignee_ids._send_reminders()

    # ------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------
    def _get_status_report_values(self):
        """The figures a 21 CFR 7.53(b) status report asks for: (1) consignees notified, date and method of
        notification; (2) consignees who responded and the quantity they held when the notice reached them;
        (3) consignees who did not respond; (4) units returned or corrected by each consignee and units
        accounted for; (5) number and results of effectiveness checks; (6) estimated completion."""
        self.ensure_one()
        consignees = self.consignee_ids
        notified = consignees.filtered(lambda c: c.state != "to_notify")
        methods = dict(self.env["recall.consignee"]._fields["notification_method"]._description_selection(self.env))
        checks = self.effectiveness_check_ids
        results = dict(self.env["recall.effectiveness.check"]._fields["result"]._description_selection(self.env))
        check_methods = dict(
            self.env["recall.effectiveness.check"]._fields["method"]._description_selection(self.env))
        dates = notified.filtered("date_notified").mapped("date_notified")
        return {
            "notified": len(notified),
            "notified_first": min(dates) if dates else False,
            "notified_last": max(dates) if dates else False,
            "notification_methods": {
                methods[method]: len(notified.filtered(lambda c, m=method: c.notification_method == m))
                for method in methods if notified.filtered(lambda c, m=method: c.notification_method == m)},
            "responded": len(consignees.filtered(lambda c: c.state in ("acknowledged", "closed"))),
            "not_responded": len(consignees.filtered(lambda c: c.state == "notified")),
            "not_responded_partners": consignees.filtered(lambda c: c.state == "notified").partner_id,
            "units_held": sum(consignees.mapped("units_held")),
            "units_shipped": self.units_shipped,
            "units_anonymous": sum(
                self.consignee_exposure_ids.filtered(lambda r: not r.partner_id).mapped("qty_exposed")),
            "units_returned": self.units_retrieved,
            "units_destroyed": self.units_destroyed,
            "units_accounted": self.units_retrieved + self.units_destroyed,
            "units_outstanding": max(self.units_shipped - self.units_retrieved - self.units_destroyed, 0.0),
            "effectiveness": self.effectiveness,
            "checks_required": self.check_required_count,
            "checks_done": self.check_done_count,
            "check_results": {
                results[result]: len(checks.filtered(lambda c, r=result: c.result == r))
                for result in results if checks.filtered(lambda c, r=result: c.result == r)},
            "check_methods": check_methods,
            "check_result_labels": results,
            "completion_estimated": self.date_completion_estimated,
        }

    def action_view_returns(self):
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_order")
        action["domain"] = [("recall_campaign_id", "in", self.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # The FSMA 204 style traceability spreadsheet: every critical tracking event of the affected lots.
    # ------------------------------------------------------------------
    def _get_fsma_rows(self):
        """One row per critical tracking event of the affected lots with its key data elements (FSMA 204
        style), then the stock on hand the last trace found."""
        self.ensure_one()
        labels = {
            "receiving": self.env._("Receiving"), "transformation": self.env._("Transformation"),
            "shipping": self.env._("Shipping"), "return": self.env._("Receiving (return)"),
            "on_hand": self.env._("On hand"),
        }
        self.env.flush_all()
        self.env.cr.execute(trace_sql.fsma_events_query(self.lot_ids.ids, self.company_id.id))
        events = self.env.cr.fetchall()
        products = self.env["product.product"].browse({e[2] for e in events})
        lots = self.env["stock.lot"].browse({e[3] for e in events})
        partners = self.env["res.partner"].browse({e[5] for e in events if e[5]})
        # Read the names of the whole set at once rather than event after event.
        products.mapped("display_name"), lots.mapped("name"), partners.mapped("display_name")
        sources = self._get_lot_code_sources(events)
        rows = []
        for date, kind, product_id, lot_id, qty, partner_id, source, destination, reference, inputs in events:
            product, partner = products.browse(product_id), partners.browse(partner_id)
            rows.append([
                labels[kind], fields.Datetime.to_string(date), product.display_name, product.default_code or "",
                lots.browse(lot_id).name, qty, product.uom_id.name, source, destination,
                partner.display_name or "", self._get_partner_address(partner), reference or "", inputs or "",
                sources.get(lot_id, self.company_id.name),
            ])
        date = fields.Datetime.to_string(self.date_traced) if self.date_traced else ""
        for row in self.stock_exposure_ids:
            rows.append([
                labels["on_hand"], date, row.product_id.display_name, row.product_id.default_code or "",
                row.lot_id.name, row.qty_on_hand, row.product_id.uom_id.name, row.location_id.display_name, "",
                "", "", "", "", sources.get(row.lot_id.id, self.company_id.name),
            ])
        return rows

    def _get_lot_code_sources(self, events):
        """{lot id: traceability lot code source} (FSMA 204, 21 CFR 1.1310): whoever assigned the lot code.
        A lot received from a supplier carries the supplier's code: the supplier (its name and address); a
        lot the company made, or found on hand, is the company's own (left to the caller's default)."""
        sources = {}
        received = [(lot_id, partner_id) for _date, kind, _product, lot_id, _qty, partner_id, *_rest in events
                    if kind == "receiving"]
        partners = self.env["res.partner"].browse({partner_id for _lot, partner_id in received if partner_id})
        for lot_id, partner_id in received:
            if lot_id in sources:
                continue
            partner = partners.browse(partner_id)
            sources[lot_id] = ", ".join(filter(None, (partner.display_name, self._get_partner_address(partner)))) \
                if partner else self.env._("Supplier (not named on the receipt)")
        return sources

    @api.model
    def _get_partner_address(self, partner):
        """The partner's address as its country writes it, on one line for a spreadsheet cell."""
        if not partner:
            return ""
        return ", ".join(filter(None, (line.strip() for line in partner._display_address(True).splitlines())))

    def _get_fsma_xlsx(self):
        """The FSMA 204 spreadsheet of the campaign, as bytes (built on each download, never stored)."""
        self.ensure_one()
        if xlsxwriter is None:
            raise UserError(self.env._("The xlsxwriter Python package is required for the spreadsheet."))
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet("Traceability")
        header = [
            self.env._("Event"), self.env._("Date"), self.env._("Product"), self.env._("Product Code"),
            self.env._("Traceability Lot Code"), self.env._("Quantity"), self.env._("Unit"),
            self.env._("From"), self.env._("To"), self.env._("Partner"), self.env._("Partner Address"),
            self.env._("Reference Document"), self.env._("Input Lot Codes"),
            self.env._("Traceability Lot Code Source"),
        ]
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, header, bold)
        rows = self._get_fsma_rows()
        for index, row in enumerate(rows, start=1):
            sheet.write_row(index, 0, row)
        sheet.autofilter(0, 0, max(len(rows), 1), len(header) - 1)
        sheet.freeze_panes(1, 0)
        workbook.close()
        return buffer.getvalue()

    def _get_fsma_filename(self):
        self.ensure_one()
        return f"{self.name.replace('/', '-')}-fsma204.xlsx"

    def action_export_fsma204(self):
        """Download the spreadsheet: the controller builds and sends it, nothing is stored."""
        self.ensure_one()
        self.check_access("read")
        if xlsxwriter is None:
            raise UserError(self.env._("The xlsxwriter Python package is required for the spreadsheet."))
        return {"type": "ir.actions.act_url", "url": f"/web/content/recall_fsma204/{self.id}", "target": "self"}

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        refuse_mail_creation(self)

