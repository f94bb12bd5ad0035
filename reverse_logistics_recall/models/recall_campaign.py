from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


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
        default="draft", required=True, tracking=True, copy=False, index=True,
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
        string="Effectiveness Check Level", default="B", required=True,
        help="Share of consignees to contact to verify the recall reached them (21 CFR 7.42).",
    )
    reminder_days = fields.Integer(default=7, help="Remind consignees who have not answered after this many days.")
    date_initiated = fields.Date(default=fields.Date.context_today, required=True, tracking=True)
    date_traced = fields.Datetime(readonly=True, copy=False)
    date_activated = fields.Datetime(readonly=True, copy=False)
    date_closed = fields.Datetime(readonly=True, copy=False)
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
    # Scope
    # ------------------------------------------------------------------
    def action_add_lots_from_dates(self):
        """Add every lot of the products received or produced in the date range."""
        for campaign in self:
            if not campaign.product_ids:
                raise UserError(self.env._("Pick the recalled products first."))
            domain = [
                ("product_id", "in", campaign.product_ids.ids),
                ("state", "=", "done"),
                ("lot_id", "!=", False),
                ("location_id.usage", "in", ("supplier", "production")),
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
    # Activation: quarantine and notification
    # ------------------------------------------------------------------
    def action_activate(self):
        for campaign in self:
            if campaign.is_mock:
                raise UserError(self.env._("A mock recall is never activated: it quarantines and notifies nothing."))
            if campaign.state != "traced":
                raise UserError(self.env._("Trace %(name)s before activating it.", name=campaign.name))
            if len(campaign.remedy_ids) < 2:
                raise UserError(self.env._(
                    "Offer at least two remedies (refund, replacement or repair), as the EU General Product "
                    "Safety Regulation requires."))
            campaign.write({"state": "active", "date_activated": fields.Datetime.now()})
            campaign.action_quarantine()
            campaign.consignee_ids.filtered(lambda c: c.state == "to_notify").action_notify()
        return True

    def action_quarantine(self):
        """Move affected stock on hand into quarantine, taking it off open pickings first.

        Above the configured size (system parameter reverse_logistics.batch_limit.quarantine, in
        quants) the moves are made by the background batch cron, chunk by chunk."""
        limit = self.env["reverse.logistics.batch"]._get_size_limit("quarantine", 1000)
        for campaign in self.filtered(lambda c: c.state == "active"):
            lots = campaign._get_affected_lots()
            reserved = self.env["stock.move.line"].search([
                ("lot_id", "in", lots.ids), ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "internal"),
            ])
            unreserved_moves = reserved.move_id
            unreserved_moves._do_unreserve()
            quants = self.env["stock.quant"]._get_recall_quarantine_quants(lots, campaign.company_id)
            if limit and len(quants) > limit:
                batch = self.env["reverse.logistics.batch"]._queue(
                    quants, "_recall_move_to_quarantine",
                    self.env._("Quarantine of %(name)s", name=campaign.name), origin=campaign,
                    chunk_size=self.env["reverse.logistics.batch"]._get_size_limit("quarantine_chunk", 200),
                    context={"recall_campaign_id": campaign.id, "recall_reassign_move_ids": unreserved_moves.ids},
                )
                campaign.message_post(body=self.env._(
                    "Quarantine of %(count)s stock records queued (%(batch)s); %(moves)s reservations released.",
                    count=len(quants), batch=batch.name, moves=len(unreserved_moves)))
                continue
            units = sum(quants.mapped("quantity"))
            quants.with_context(recall_campaign_id=campaign.id)._recall_move_to_quarantine()
            # Open moves that lost their reservation look for unaffected stock again.
            unreserved_moves.exists()._action_assign()
            campaign.message_post(body=self.env._(
                "Quarantine: %(units)s units moved, %(moves)s reservations released.",
                units=units, moves=len(unreserved_moves),
            ))
        return True

    def _on_batch_done(self, batch):
        """A queued quarantine is over: the open moves it unreserved look for unaffected stock."""
        move_ids = (batch.batch_context or {}).get("recall_reassign_move_ids")
        if move_ids:
            self.env["stock.move"].browse(move_ids).exists()._action_assign()

    def action_release_quarantine(self):
        """Put quarantined units back in stock (a manager's call, e.g. when a lot is cleared)."""
        if not self.env.user.has_group("reverse_logistics_recall.group_recall_manager"):
            raise AccessError(self.env._("Only a Recall Manager may release quarantined stock."))
        for campaign in self:
            quarantines = self.env["stock.warehouse"].search(
                [("company_id", "=", campaign.company_id.id)]).quarantine_location_id
            quants = self.env["stock.quant"].search([
                ("lot_id", "in", campaign._get_affected_lots().ids), ("location_id", "in", quarantines.ids),
                ("quantity", ">", 0),
            ])
            for warehouse in quants.location_id.warehouse_id:
                wh_quants = quants.filtered(lambda q, wh=warehouse: q.location_id.warehouse_id == wh)
                warehouse.with_context(recall_release=True)._recall_create_quant_transfer(
                    campaign, wh_quants, warehouse.lot_stock_id)
            campaign.message_post(body=self.env._("Quarantine released by %(user)s.", user=self.env.user.name))
        return True

    @api.model
    def _get_blocking_campaigns(self, lots):
        """Active campaigns that hold these lots in quarantine."""
        if not lots:
            return self.browse()
        campaigns = self.search([("state", "in", ("active", "monitoring")), ("is_mock", "=", False)])
        return campaigns.filtered(lambda c: c._get_affected_lots() & lots)

    # ------------------------------------------------------------------
    # Follow-up and close
    # ------------------------------------------------------------------
    def action_monitor(self):
        self.filtered(lambda c: c.state == "active").write({"state": "monitoring"})
        return True

    def action_close(self):
        for campaign in self:
            open_returns = campaign.return_order_ids.filtered(lambda r: r.state not in ("done", "cancel", "rejected"))
            if open_returns:
                raise UserError(self.env._(
                    "%(name)s still has open recall returns: %(returns)s.",
                    name=campaign.name, returns=", ".join(open_returns.mapped("name")),
                ))
        self.write({"state": "closed", "date_closed": fields.Datetime.now()})
        return True

    @api.model
    def _cron_send_reminders(self):
        campaigns = self.search([("state", "in", ("active", "monitoring")), ("is_mock", "=", False)])
        campaigns.consignee_ids._send_reminders()

    # ------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------
    def _get_status_report_values(self):
        """The figures a 21 CFR 7.53 status report asks for."""
        self.ensure_one()
        consignees = self.consignee_ids
        return {
            "notified": len(consignees.filtered(lambda c: c.state != "to_notify")),
            "responded": len(consignees.filtered(lambda c: c.state in ("acknowledged", "closed"))),
            "not_responded": len(consignees.filtered(lambda c: c.state == "notified")),
            "units_held": sum(consignees.mapped("units_held")),
            "units_shipped": self.units_shipped,
            "units_anonymous": sum(
                self.consignee_exposure_ids.filtered(lambda r: not r.partner_id).mapped("qty_exposed")),
            "units_returned": self.units_retrieved,
            "units_destroyed": self.units_destroyed,
            "effectiveness": self.effectiveness,
        }

    def action_view_returns(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_order")
        action["domain"] = [("recall_campaign_id", "in", self.ids)]
        action["context"] = {"create": False}
        return action
