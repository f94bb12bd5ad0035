import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class RecallCampaign(models.Model):
    _name = "recall.campaign"
    _description = "Recall Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin", "reverse.logistics.flow.mixin"]
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

    exposure_ids = fields.One2many("recall.exposure", "campaign_id", string="Exposure")
    consignee_exposure_ids = fields.One2many(
        "recall.exposure", "campaign_id", domain=[("kind", "=", "consignee")], string="Consignee Exposure")
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
    # What users may write (reverse.logistics.flow.mixin): the state, its dates and the figures are the
    # recall's; the scope is fixed once it is active, the mock flag once it was traced.
    # ------------------------------------------------------------------
    _USER_FOLLOW_UP_FIELDS = {
        "title", "reason", "hazard", "instructions", "severity", "depth", "authority", "authority_ref",
        "remedy_ids", "effectiveness_level", "retrieved_disposition", "reminder_days", "user_id",
        "date_completion_estimated",
    }
    _USER_SCOPE_FIELDS = {"product_ids", "lot_ids", "lot_date_from", "lot_date_to", "date_initiated"}

    @api.model
    def _get_user_creatable_fields(self, vals):
        return self._USER_FOLLOW_UP_FIELDS | self._USER_SCOPE_FIELDS | {"name", "company_id", "is_mock"}

    def _get_user_writable_fields(self):
        self.ensure_one()
        if self.state == "draft":
            return self._USER_FOLLOW_UP_FIELDS | self._USER_SCOPE_FIELDS | {"company_id", "is_mock"}
        if self.state == "traced":
            return self._USER_FOLLOW_UP_FIELDS | self._USER_SCOPE_FIELDS
        if self.state in ("active", "monitoring"):
            # Checks are recorded from the campaign's form: the check model says what may be written.
            return self._USER_FOLLOW_UP_FIELDS | {"effectiveness_check_ids"}
        return set()

    def _sanitize_user_vals(self, vals, allowed):
        # Nothing of a recall is silently dropped: a figure written by hand is refused, computed or not.
        self._check_user_fields(sorted(
            name for name in vals if name not in allowed and not name.startswith(self._FLOW_FREE_PREFIXES)))
        return vals

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
    # Activation: quarantine and notification (recall_campaign_quarantine.py holds the quarantine)
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
