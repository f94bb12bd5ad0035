import base64
import io
import time
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_round

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
        for campaign in self:
            rows = campaign.exposure_ids.filtered(lambda r: r.kind == "consignee")
            shipped = sum(rows.mapped("qty_exposed"))
            retrieved = sum(rows.mapped("qty_retrieved"))
            destroyed = sum(rows.mapped("qty_destroyed"))
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

    @api.model
    def _get_lot_closure_sql(self, lot_ids):
        """CTEs of the trace: `usage_ids` (location ids by usage), `down(lot_id, depth)` (the lots and
        everything made from them, at any depth) and `up(lot_id, depth)` (what they were made from).

        Produced lots are found through stock_move_line_consume_rel: a row (consume_line_id=F,
        produce_line_id=C) means finished line F consumed component line C. Only lines into (or out
        of) a production location can take part in it, so the recursion probes the relation for those
        alone rather than for every delivery of every lot it reaches.
        """
        return SQL(
            """
            usage_ids AS (
                SELECT ARRAY(SELECT id FROM stock_location WHERE usage = 'production') AS production,
                       ARRAY(SELECT id FROM stock_location WHERE usage = 'customer') AS customer,
                       ARRAY(SELECT id FROM stock_location WHERE usage = 'supplier') AS supplier,
                       ARRAY(SELECT id FROM stock_location WHERE usage = 'internal') AS internal
            ),
            down(lot_id, depth) AS (
                SELECT seed, 0 FROM unnest(%(lots)s::int[]) AS seed
              UNION
                SELECT fin.lot_id, down.depth + 1
                  FROM down
                  JOIN stock_move_line comp ON comp.lot_id = down.lot_id AND comp.state = 'done'
                   AND comp.location_dest_id = ANY((SELECT production FROM usage_ids)::int[])
                  JOIN stock_move_line_consume_rel rel ON rel.produce_line_id = comp.id
                  JOIN stock_move_line fin ON fin.id = rel.consume_line_id
                 WHERE fin.lot_id IS NOT NULL AND fin.state = 'done' AND down.depth < 30
            ),
            up(lot_id, depth) AS (
                SELECT seed, 0 FROM unnest(%(lots)s::int[]) AS seed
              UNION
                SELECT comp.lot_id, up.depth + 1
                  FROM up
                  JOIN stock_move_line fin ON fin.lot_id = up.lot_id AND fin.state = 'done'
                   AND fin.location_id = ANY((SELECT production FROM usage_ids)::int[])
                  JOIN stock_move_line_consume_rel rel ON rel.consume_line_id = fin.id
                  JOIN stock_move_line comp ON comp.id = rel.produce_line_id
                 WHERE comp.lot_id IS NOT NULL AND comp.state = 'done' AND up.depth < 30
            )
            """,
            lots=list(lot_ids),
        )

    @api.model
    def _get_trace_query(self, lot_ids, company_id):
        """The exposure of the lots' closure (`_get_lot_closure_sql`) in one query.

        Rows: (kind, partner, location, product, lot, depth, shipped or received, returned, on hand).
        The transfers and dates of each row are read when the scope is saved
        (`_get_trace_details_query`), so the trace itself carries nothing but the scope and quantities.
        """
        return SQL(
            """
            WITH RECURSIVE %(closure)s,
            affected AS (SELECT lot_id, MIN(depth) AS depth FROM down GROUP BY lot_id),
            flows AS (
                SELECT ml.lot_id, ml.product_id, a.depth, ml.recall_partner_id AS partner_id,
                       ml.quantity_product_uom::float8 AS qty,
                       ml.location_dest_id = ANY((SELECT customer FROM usage_ids)::int[]) AS shipped
                  FROM affected a
                  JOIN stock_move_line ml ON ml.lot_id = a.lot_id AND ml.state = 'done'
                 WHERE ml.company_id = %(company)s
                   AND (ml.location_dest_id = ANY((SELECT customer FROM usage_ids)::int[])
                        OR ml.location_id = ANY((SELECT customer FROM usage_ids)::int[]))
            )
            SELECT 'consignee', partner_id, NULL::int, product_id, lot_id, MIN(depth),
                   COALESCE(SUM(qty) FILTER (WHERE shipped), 0.0),
                   COALESCE(SUM(qty) FILTER (WHERE NOT shipped), 0.0),
                   0.0::float8
              FROM flows
             GROUP BY partner_id, product_id, lot_id
            UNION ALL
            SELECT 'supplier', ml.recall_partner_id, NULL, ml.product_id, ml.lot_id, -MIN(up.depth),
                   SUM(ml.quantity_product_uom)::float8, 0.0, 0.0
              FROM (SELECT lot_id, MIN(depth) AS depth FROM up GROUP BY lot_id) up
              JOIN stock_move_line ml ON ml.lot_id = up.lot_id AND ml.state = 'done'
             WHERE ml.company_id = %(company)s AND ml.location_id = ANY((SELECT supplier FROM usage_ids)::int[])
             GROUP BY ml.recall_partner_id, ml.product_id, ml.lot_id
            UNION ALL
            SELECT 'on_hand', NULL, q.location_id, q.product_id, q.lot_id, MIN(a.depth), 0.0, 0.0,
                   SUM(q.quantity)::float8
              FROM affected a
              JOIN stock_quant q ON q.lot_id = a.lot_id AND q.company_id = %(company)s
             WHERE q.location_id = ANY((SELECT internal FROM usage_ids)::int[])
             GROUP BY q.location_id, q.product_id, q.lot_id
            HAVING SUM(q.quantity) > 0
            """,
            closure=self._get_lot_closure_sql(lot_ids), company=company_id,
        )

    @api.model
    def _get_trace_details_query(self, lot_ids, company_id):
        """Transfers and dates of the consignee and supplier rows of a trace, for the saved scope.

        Keyed like the trace rows (kind, partner, product, lot). References list the transfers that
        shipped to the consignee (received from the supplier); dates span every movement, returns too.
        """
        return SQL(
            """
            SELECT CASE WHEN 'customer' IN (src.usage, dst.usage) THEN 'consignee' ELSE 'supplier' END AS kind,
                   ml.recall_partner_id, ml.product_id, ml.lot_id,
                   STRING_AGG(DISTINCT p.name, ', ' ORDER BY p.name)
                       FILTER (WHERE dst.usage = 'customer' OR src.usage = 'supplier'),
                   MIN(ml.date), MAX(ml.date)
              FROM stock_move_line ml
              JOIN stock_location src ON src.id = ml.location_id
              JOIN stock_location dst ON dst.id = ml.location_dest_id
              LEFT JOIN stock_picking p ON p.id = ml.picking_id
             WHERE ml.lot_id = ANY(%(lots)s) AND ml.state = 'done' AND ml.company_id = %(company)s
               AND (src.usage IN ('supplier', 'customer') OR dst.usage = 'customer')
             GROUP BY 1, 2, 3, 4
            """,
            lots=list(lot_ids), company=company_id,
        )

    def _run_trace(self):
        """Run the trace query; return (rows, milliseconds)."""
        self.ensure_one()
        self.env.flush_all()
        start = time.perf_counter()
        self.env.cr.execute(self._get_trace_query(self.lot_ids.ids, self.company_id.id))
        rows = self.env.cr.fetchall()
        return rows, (time.perf_counter() - start) * 1000.0

    def _get_trace_details(self, rows):
        """{(kind, partner, product, lot): (references, first date, last date)} for trace rows."""
        self.ensure_one()
        lot_ids = {row[4] for row in rows if row[0] in ("consignee", "supplier")}
        if not lot_ids:
            return {}
        self.env.cr.execute(self._get_trace_details_query(lot_ids, self.company_id.id))
        return {tuple(row[:4]): row[4:] for row in self.env.cr.fetchall()}

    @api.model
    def _prepare_exposure_vals(self, row, details=None):
        kind, partner_id, location_id, product_id, lot_id, depth, shipped, returned, on_hand = row
        refs, first, last = (details or {}).get((kind, partner_id, product_id, lot_id), (False, False, False))
        return {
            "kind": kind,
            "partner_id": partner_id,
            "location_id": location_id,
            "product_id": product_id,
            "lot_id": lot_id,
            "depth": depth,
            "qty_shipped": shipped,
            "qty_returned_before": returned,
            "qty_exposed": max(shipped - returned, 0.0) if kind == "consignee" else 0.0,
            "qty_received": shipped if kind == "supplier" else 0.0,
            "qty_on_hand": on_hand,
            "references": refs or False,
            "date_first": first,
            "date_last": last,
        }

    def action_trace(self):
        """Trace (or re-trace) the affected lots and freeze the scope on the campaign."""
        self._check_traceable()
        for campaign in self:
            if campaign.state == "closed":
                raise UserError(self.env._("%(name)s is closed.", name=campaign.name))
            rows, duration = campaign._run_trace()
            before = {(r.partner_id.id, r.product_id.id, r.lot_id.id): r.qty_exposed
                      for r in campaign.consignee_exposure_ids}
            # Answers given so far stay with the consignee records; only the scope is rebuilt.
            destroyed = {(r.partner_id.id, r.product_id.id, r.lot_id.id): r.qty_destroyed
                         for r in campaign.consignee_exposure_ids}
            campaign.exposure_ids.unlink()
            consignees = campaign._sync_consignees({row[1] for row in rows if row[0] == "consignee"})
            details = campaign._get_trace_details(rows)
            vals_list = []
            for row in rows:
                vals = dict(self._prepare_exposure_vals(row, details), campaign_id=campaign.id)
                vals["qty_destroyed"] = destroyed.get((vals["partner_id"], vals["product_id"], vals["lot_id"]), 0.0)
                if vals["kind"] == "consignee" and vals["partner_id"]:
                    vals["consignee_id"] = consignees[vals["partner_id"]]
                vals_list.append(vals)
            exposures = self.env["recall.exposure"].create(vals_list)
            changes = campaign._describe_changes(before, exposures)
            self.env["recall.trace.run"].create({
                "campaign_id": campaign.id,
                "is_mock": campaign.is_mock,
                "duration_ms": duration,
                "lot_count": len(exposures.lot_id),
                "consignee_count": len(exposures.filtered(lambda r: r.kind == "consignee").partner_id),
                "units_shipped": sum(exposures.mapped("qty_exposed")),
                "units_on_hand": sum(exposures.mapped("qty_on_hand")),
                "changes": changes,
            })
            vals = {"date_traced": fields.Datetime.now()}
            if campaign.state == "draft":
                vals["state"] = "traced"
            campaign.write(vals)
            campaign.message_post(body=self.env._(
                "Traced in %(ms).0f ms: %(consignees)s consignees, %(units)s units exposed. %(changes)s",
                ms=duration, consignees=len(campaign.consignee_ids), units=campaign.units_shipped,
                changes=changes or "",
            ))
        return True

    def _describe_changes(self, before, exposures):
        if not before:
            return ""
        after = {(r.partner_id.id, r.product_id.id, r.lot_id.id): r.qty_exposed
                 for r in exposures if r.kind == "consignee"}
        added = [k for k in after if k not in before]
        removed = [k for k in before if k not in after]
        changed = [k for k in after if k in before and float_round(after[k] - before[k], 4)]
        if not (added or removed or changed):
            return self.env._("No change since the previous trace.")
        return self.env._(
            "Since the previous trace: %(added)s new, %(removed)s gone, %(changed)s changed exposure rows.",
            added=len(added), removed=len(removed), changed=len(changed),
        )

    def _sync_consignees(self, partner_ids):
        """{partner id: consignee id}, creating the consignees a trace found for the first time."""
        self.ensure_one()
        existing = {c.partner_id.id: c.id for c in self.consignee_ids}
        # Deliveries without a partner (anonymous sales) count as exposed but have nobody to notify.
        missing = [pid for pid in partner_ids if pid and pid not in existing]
        # Thousands of consignees on a large recall: no creation log or follower per record.
        created = self.env["recall.consignee"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True,
        ).create([{"campaign_id": self.id, "partner_id": pid} for pid in missing])
        existing.update({c.partner_id.id: c.id for c in created})
        return existing

    def action_mock_recall(self):
        """Run the trace as a drill: timed and kept in the history, no quarantine, no mail."""
        for campaign in self:
            if not campaign.is_mock and campaign.state != "draft":
                raise UserError(self.env._("A live recall cannot be turned into a mock recall."))
            campaign.is_mock = True
        return self.action_trace()

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
        """Move affected stock on hand into quarantine, taking it off open pickings first."""
        for campaign in self.filtered(lambda c: c.state == "active"):
            lots = campaign._get_affected_lots()
            reserved = self.env["stock.move.line"].search([
                ("lot_id", "in", lots.ids), ("state", "not in", ("done", "cancel")),
                ("location_id.usage", "=", "internal"),
            ])
            unreserved_moves = reserved.move_id
            unreserved_moves._do_unreserve()
            quants = self.env["stock.quant"].search([
                ("lot_id", "in", lots.ids), ("location_id.usage", "=", "internal"), ("quantity", ">", 0),
                ("company_id", "=", campaign.company_id.id),
            ])
            by_warehouse = defaultdict(lambda: self.env["stock.quant"])
            for quant in quants:
                warehouse = quant.location_id.warehouse_id
                if warehouse and quant.location_id != warehouse.quarantine_location_id:
                    by_warehouse[warehouse] |= quant
            units = sum(q.quantity for quants in by_warehouse.values() for q in quants)
            for warehouse, wh_quants in by_warehouse.items():
                if not warehouse.quarantine_location_id:
                    warehouse._create_missing_locations({})
                campaign._create_quant_transfer(warehouse, wh_quants, warehouse.quarantine_location_id)
            # Open moves that lost their reservation look for unaffected stock again.
            unreserved_moves.exists()._action_assign()
            campaign.message_post(body=self.env._(
                "Quarantine: %(units)s units moved, %(moves)s reservations released.",
                units=units, moves=len(unreserved_moves),
            ))
        return True

    def _create_quant_transfer(self, warehouse, quants, destination):
        """A done internal transfer moving these quants (lots and packages kept) to `destination`."""
        self.ensure_one()
        moves = [Command.create({
            "name": self.name,
            "product_id": quant.product_id.id,
            "product_uom": quant.product_id.uom_id.id,
            "product_uom_qty": quant.quantity,
            "location_id": quant.location_id.id,
            "location_dest_id": destination.id,
            "picked": True,
            "move_line_ids": [Command.create({
                "product_id": quant.product_id.id,
                "lot_id": quant.lot_id.id,
                "package_id": quant.package_id.id,
                "quantity": quant.quantity,
                "location_id": quant.location_id.id,
                "location_dest_id": destination.id,
                "picked": True,
            })],
        }) for quant in quants]
        picking = self.env["stock.picking"].create({
            "picking_type_id": warehouse.int_type_id.id,
            "location_id": quants.location_id[:1].id,
            "location_dest_id": destination.id,
            "origin": self.name,
            "recall_campaign_id": self.id,
            "move_ids": moves,
        })
        picking._action_done()
        return picking

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
                campaign.with_context(recall_release=True)._create_quant_transfer(
                    warehouse, wh_quants, warehouse.lot_stock_id)
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
    @api.model
    def _get_fsma_events_query(self, lot_ids, company_id):
        """Every done movement of the traced lots (up and down) that is a critical tracking event:
        receipts from suppliers, transformations (with the lots they consumed), shipments to customers
        and their returns."""
        return SQL(
            """
            WITH RECURSIVE %(closure)s
            SELECT ml.date,
                   CASE WHEN src.usage = 'supplier' THEN 'receiving'
                        WHEN src.usage = 'production' THEN 'transformation'
                        WHEN src.usage = 'customer' THEN 'return'
                        ELSE 'shipping' END,
                   ml.product_id, ml.lot_id, ml.quantity_product_uom, ml.recall_partner_id,
                   src.complete_name, dst.complete_name, COALESCE(p.name, ml.reference),
                   (SELECT STRING_AGG(DISTINCT lot.name, ', ' ORDER BY lot.name)
                      FROM stock_move_line_consume_rel rel
                      JOIN stock_move_line comp ON comp.id = rel.produce_line_id
                      JOIN stock_lot lot ON lot.id = comp.lot_id
                     WHERE rel.consume_line_id = ml.id)
              FROM stock_move_line ml
              JOIN stock_location src ON src.id = ml.location_id
              JOIN stock_location dst ON dst.id = ml.location_dest_id
              LEFT JOIN stock_picking p ON p.id = ml.picking_id
             WHERE ml.lot_id IN (SELECT lot_id FROM down UNION SELECT lot_id FROM up)
               AND ml.state = 'done' AND ml.company_id = %(company)s
               AND (src.usage IN ('supplier', 'production', 'customer') OR dst.usage = 'customer')
             ORDER BY ml.date, ml.id
            """,
            closure=self._get_lot_closure_sql(lot_ids), company=company_id,
        )

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
        self.env.cr.execute(self._get_fsma_events_query(self.lot_ids.ids, self.company_id.id))
        events = self.env.cr.fetchall()
        products = self.env["product.product"].browse({e[2] for e in events})
        lots = self.env["stock.lot"].browse({e[3] for e in events})
        partners = self.env["res.partner"].browse({e[5] for e in events if e[5]})
        # Read the names of the whole set at once rather than event after event.
        products.mapped("display_name"), lots.mapped("name"), partners.mapped("display_name")
        rows = []
        for date, kind, product_id, lot_id, qty, partner_id, source, destination, reference, inputs in events:
            product, partner = products.browse(product_id), partners.browse(partner_id)
            rows.append([
                labels[kind], fields.Datetime.to_string(date), product.display_name, product.default_code or "",
                lots.browse(lot_id).name, qty, product.uom_id.name, source, destination,
                partner.display_name or "", self._get_partner_address(partner), reference or "", inputs or "",
                self.company_id.name,
            ])
        date = fields.Datetime.to_string(self.date_traced) if self.date_traced else ""
        for row in self.stock_exposure_ids:
            rows.append([
                labels["on_hand"], date, row.product_id.display_name, row.product_id.default_code or "",
                row.lot_id.name, row.qty_on_hand, row.product_id.uom_id.name, row.location_id.display_name, "",
                "", "", "", "", self.company_id.name,
            ])
        return rows

    @api.model
    def _get_partner_address(self, partner):
        """The partner's address as its country writes it, on one line for a spreadsheet cell."""
        if not partner:
            return ""
        return ", ".join(filter(None, (line.strip() for line in partner._display_address(True).splitlines())))

    def action_export_fsma204(self):
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
        attachment = self.env["ir.attachment"].create({
            "name": f"{self.name.replace('/', '-')}-fsma204.xlsx",
            "datas": base64.b64encode(buffer.getvalue()),
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

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

    @api.model
    def _demo_prepare(self):
        """Demo: a traced mock recall and a live recall of two grinder serials (demo data only)."""
        mock = self.env.ref("reverse_logistics_recall.recall_campaign_demo_mock")
        lot = self.env["stock.lot"].search([("name", "=", "BEANS-2611-A")], limit=1)
        if lot:
            mock.lot_ids = lot
            mock.action_mock_recall()
        grinders = self.env["stock.lot"].search([("name", "in", ("GRD-00001", "GRD-00005"))])
        if grinders:
            live = self.create({
                "title": "Burr grinder: loose blade",
                "product_ids": [Command.set(grinders.product_id.ids)],
                "lot_ids": [Command.set(grinders.ids)],
                "reason": "The upper burr may come loose during use.",
                "hazard": "Cuts to fingers when cleaning the grinder.",
                "severity": "2",
                "depth": "consumer",
                "remedy_ids": [Command.set([self.env.ref("reverse_logistics_recall.remedy_refund").id,
                                            self.env.ref("reverse_logistics_recall.remedy_replace").id])],
            })
            live.action_trace()
            live.action_activate()
        return True
