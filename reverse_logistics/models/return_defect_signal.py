from collections import Counter, defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero

from ..tools import check_flow_access, check_protected_fields

RETURNS_MANAGER = "reverse_logistics.group_return_manager"

# Returns the company accepted: requests refused or withdrawn say nothing about the product.
ACCEPTED_STATES = ("approved", "receiving", "received", "done")


class ReturnDefectSignal(models.Model):
    """A product returned more than its category allows, over the category's rolling period.

    The daily cron (`_cron_detect_defect_signals`) opens one signal per product and company when a
    threshold is crossed, with one activity for the product's responsible; while the signal is open, later
    runs refresh its evidence and open nothing more. From it the responsible puts the affected lots in stock
    on hold (`action_quality_hold`) or claims them to the vendor (`action_claim_vendor`)."""

    _name = "return.defect.signal"
    _description = "Defect Signal"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, rate desc, id desc"
    _rec_name = "product_id"
    _check_company_auto = True
    # The responsible works the activity from a signal he only reads.
    _mail_post_access = "read"

    product_id = fields.Many2one("product.product", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    categ_id = fields.Many2one("product.category", string="Thresholds Of", readonly=True)
    vendor_id = fields.Many2one("res.partner", readonly=True,
                                help="The product's main vendor when the signal was refreshed.")
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], default="open", required=True,
                             readonly=True, index=True, tracking=True)
    period_days = fields.Integer(string="Period (days)", readonly=True)
    date_from = fields.Datetime(string="Since", readonly=True)
    date_computed = fields.Datetime(string="Refreshed On", readonly=True)
    qty_delivered = fields.Float(string="Units Delivered", digits="Product Unit of Measure", readonly=True)
    qty_returned = fields.Float(string="Units Returned", digits="Product Unit of Measure", readonly=True)
    rate = fields.Float(string="Return Rate (%)", digits=(6, 2), readonly=True)
    threshold_note = fields.Char(string="Threshold Crossed", readonly=True)
    reason_summary = fields.Text(string="Top Reasons", readonly=True)
    lot_summary = fields.Text(string="Returns by Lot", readonly=True)
    grade_summary = fields.Text(string="Grades Seen", readonly=True)
    return_line_ids = fields.Many2many("return.order.line", string="Returned Lines", readonly=True)
    return_ids = fields.Many2many("return.order", string="Returns", readonly=True)
    lot_ids = fields.Many2many("stock.lot", string="Affected Lots", readonly=True)
    hold_picking_ids = fields.Many2many(
        "stock.picking", "return_defect_signal_hold_picking_rel", string="Hold Transfers", readonly=True)
    vendor_picking_ids = fields.Many2many(
        "stock.picking", "return_defect_signal_vendor_picking_rel", string="Returns to Vendor", readonly=True)
    note = fields.Html()

    def _get_protected_fields(self):
        """Everything but the team's note is the cron's and the actions'."""
        return [
            "product_id", "company_id", "categ_id", "vendor_id", "state", "period_days", "date_from",
            "date_computed", "qty_delivered", "qty_returned", "rate", "threshold_note", "reason_summary",
            "lot_summary", "grade_summary", "return_line_ids", "return_ids", "lot_ids", "hold_picking_ids",
            "vendor_picking_ids",
        ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.check_access("create")
            for vals in vals_list:
                check_protected_fields(self, vals, self._get_protected_fields())
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            check_protected_fields(self, vals, self._get_protected_fields())
        return super().write(vals)

    # ------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------
    @api.model
    def _get_delivered_qty(self, products, company, date_from):
        """{product id: units delivered to customers since `date_from`}."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT m.product_id, SUM(m.product_qty)
              FROM stock_move m
              JOIN stock_location dest ON dest.id = m.location_dest_id
             WHERE m.state = 'done' AND dest.usage = 'customer' AND m.origin_returned_move_id IS NULL
               AND m.company_id = %(company)s AND m.date >= %(date_from)s AND m.product_id = ANY(%(products)s)
          GROUP BY m.product_id
        """, company=company.id, date_from=date_from, products=products.ids))
        return dict(self.env.cr.fetchall())

    @api.model
    def _get_delivered_qty_by_lot(self, product, lots, company, date_from):
        """{lot id: units of `product` delivered to customers since `date_from`}, from the move lines."""
        if not lots:
            return {}
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            SELECT ml.lot_id, SUM(ml.quantity)
              FROM stock_move_line ml
              JOIN stock_move m ON m.id = ml.move_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
             WHERE m.state = 'done' AND dest.usage = 'customer' AND m.origin_returned_move_id IS NULL
               AND m.company_id = %(company)s AND m.date >= %(date_from)s AND m.product_id = %(product)s
               AND ml.lot_id = ANY(%(lots)s)
          GROUP BY ml.lot_id
        """, company=company.id, date_from=date_from, product=product.id, lots=lots.ids))
        return dict(self.env.cr.fetchall())

    @api.model
    def _get_returned_lines_domain(self, company, date_from):
        return [
            ("company_id", "=", company.id), ("state", "in", ACCEPTED_STATES),
            ("order_id.return_type_id.refund_allowed", "=", True), ("order_id.date_request", ">=", date_from),
        ]

    @api.model
    def _is_crossing(self, categ, delivered, returned):
        """Whether `returned` of `delivered` units crosses `categ`'s thresholds (each 0 is off)."""
        if not categ or float_is_zero(returned, precision_digits=6):
            return False
        if categ.defect_min_returns and float_compare(returned, categ.defect_min_returns, precision_digits=6) < 0:
            return False
        if categ.defect_max_rate:
            rate = 100.0 * returned / delivered if delivered else 100.0
            return float_compare(rate, categ.defect_max_rate, precision_digits=2) > 0
        return True

    @api.model
    def _prepare_signal_vals(self, product, company, categ, date_from, delivered, lines):
        returned = sum(lines.mapped("product_uom_qty"))
        reasons = Counter()
        by_lot = Counter()
        grades = Counter()
        for line in lines:
            reasons[line.reason_id.name or self.env._("No reason")] += line.product_uom_qty
            if line.lot_id:
                by_lot[line.lot_id] += line.product_uom_qty
            for grading in line.grading_ids._get_current():
                grades[grading.grade_id.name] += grading.quantity
        delivered_by_lot = self._get_delivered_qty_by_lot(product, lines.lot_id, company, date_from)
        vendor = self._get_main_vendor(product, company)
        return {
            "product_id": product.id,
            "company_id": company.id,
            "categ_id": categ.id,
            "vendor_id": vendor.id,
            "period_days": categ.defect_period_days,
            "date_from": date_from,
            "date_computed": fields.Datetime.now(),
            "qty_delivered": delivered,
            "qty_returned": returned,
            "rate": 100.0 * returned / delivered if delivered else 100.0,
            "threshold_note": self.env._(
                "min %(min)s units, max %(rate)s %% in %(days)s days (%(categ)s)",
                min=categ.defect_min_returns, rate=categ.defect_max_rate, days=categ.defect_period_days,
                categ=categ.display_name),
            "reason_summary": "\n".join(f"{name}: {qty:g}" for name, qty in reasons.most_common(3)),
            "lot_summary": "\n".join(self._get_lot_summary_line(lot, qty, delivered_by_lot.get(lot.id, 0.0))
                                     for lot, qty in by_lot.most_common()) or False,
            "grade_summary": "\n".join(f"{name}: {qty:g}" for name, qty in grades.most_common()) or False,
            "return_line_ids": [Command.set(lines.ids)],
            "return_ids": [Command.set(lines.order_id.ids)],
            "lot_ids": [Command.set(lines.lot_id.ids)],
        }

    @api.model
    def _get_lot_summary_line(self, lot, returned, delivered):
        # Formatted before the call: Odoo's term export cannot read an f-string among its arguments.
        returned, delivered = f"{returned:g}", f"{delivered:g}"
        return self.env._("%(lot)s: %(returned)s returned of %(delivered)s delivered", lot=lot.name,
                          returned=returned, delivered=delivered)

    @api.model
    def _get_main_vendor(self, product, company):
        """The product's main vendor in `company`: its first vendor price line, as purchases pick it."""
        return product.seller_ids.filtered(lambda s: not s.company_id or s.company_id == company)[:1].partner_id

    def _get_responsible(self):
        """The product's responsible, else the category's defect responsible, else the default policy's."""
        self.ensure_one()
        product = self.product_id.with_company(self.company_id)
        categ = self.categ_id or product.categ_id
        user = product.responsible_id or categ.defect_user_id \
            or self.env["return.policy"].sudo()._get_default_policy(self.company_id).user_id
        if not user:
            managers = self.env.ref(RETURNS_MANAGER).users.filtered(lambda u: self.company_id in u.company_ids)
            user = managers[:1] or self.env.ref("base.user_admin")
        return user

    def _get_activity_note(self):
        """The evidence, for the activity: figures, top reasons, lots and the returns behind them."""
        self.ensure_one()
        returns = Markup(", ").join(
            Markup('<a href="/odoo/return.order/%s">%s</a>') % (ret.id, ret.name) for ret in self.return_ids)
        # Formatted before the call: Odoo's term export cannot read an f-string among its arguments.
        returned, delivered = f"{self.qty_returned:g}", f"{self.qty_delivered:g}"
        lines = [
            escape(self.env._(
                "%(product)s: %(returned)s of %(delivered)s units delivered came back in %(days)s days "
                "(%(rate)s %%; threshold: %(threshold)s).",
                product=self.product_id.display_name, returned=returned,
                delivered=delivered, days=self.period_days, rate=round(self.rate, 2),
                threshold=self.threshold_note)),
            escape(self.env._("Top reasons: %(reasons)s", reasons=(self.reason_summary or "").replace("\n", "; "))),
        ]
        if self.lot_summary:
            lines.append(escape(self.env._("Lots: %(lots)s", lots=self.lot_summary.replace("\n", "; "))))
        if self.grade_summary:
            lines.append(escape(self.env._("Grades: %(grades)s", grades=self.grade_summary.replace("\n", "; "))))
        lines.append(escape(self.env._("Returns: ")) + returns)
        return Markup("<br/>").join(lines)

    @api.model
    def _detect(self, company):
        """Refresh the open signals of `company` and open the new ones; returns the signals touched."""
        categs = self.env["product.category"].sudo().search([
            "|", ("defect_max_rate", ">", 0), ("defect_min_returns", ">", 0)])
        if not categs:
            return self.browse()
        longest = max(categs.mapped("defect_period_days"))
        now = fields.Datetime.now()
        lines = self.env["return.order.line"].sudo().search(
            self._get_returned_lines_domain(company, now - timedelta(days=longest)))
        by_product = defaultdict(lambda: self.env["return.order.line"].sudo())
        for line in lines:
            by_product[line.product_id] |= line
        signals = self.sudo().browse()
        activity_type = self.env.ref("reverse_logistics.mail_activity_defect_signal")
        open_signals = {s.product_id: s for s in self.sudo().search([
            ("company_id", "=", company.id), ("state", "=", "open")])}
        for product, product_lines in by_product.items():
            categ = product.categ_id._get_defect_thresholds_category()
            if not categ:
                continue
            date_from = now - timedelta(days=categ.defect_period_days)
            product_lines = product_lines.filtered_domain([("order_id.date_request", ">=", date_from)])
            delivered = self._get_delivered_qty(product, company, date_from).get(product.id, 0.0)
            returned = sum(product_lines.mapped("product_uom_qty"))
            signal = open_signals.get(product)
            if not self._is_crossing(categ, delivered, returned):
                continue
            vals = self._prepare_signal_vals(product, company, categ, date_from, delivered, product_lines)
            if signal:
                signal.write(vals)
            else:
                signal = self.sudo().create(vals)
                signal.activity_schedule(
                    activity_type_id=activity_type.id, user_id=signal._get_responsible().id,
                    summary=self.env._("Returns of %(product)s above threshold", product=product.display_name),
                    note=signal._get_activity_note())
            signals |= signal
        return signals

    @api.model
    def _cron_detect_defect_signals(self):
        # Every company, each in its own environment: a database holds a handful of them.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        done = 0
        for company in companies:
            done += len(self.with_company(company)._detect(company))
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return done

    # ------------------------------------------------------------------
    # Next steps
    # ------------------------------------------------------------------
    def _check_manager(self):
        check_flow_access(self, RETURNS_MANAGER, "read")
        closed = self.filtered(lambda s: s.state != "open")
        if closed:
            raise UserError(self.env._("These defect signals are closed: %(names)s.",
                                       names=", ".join(closed.mapped("display_name"))))

    @api.model
    def _get_hold_location(self, warehouse):
        """Where held units wait: the warehouse's quarantine when the recall addon gives it one, else its
        Quality Hold location (outside Stock, so nothing reserves or sells from it), made on first use."""
        if "quarantine_location_id" in warehouse._fields and warehouse.quarantine_location_id:
            return warehouse.quarantine_location_id
        locations = self.env["stock.location"].sudo()
        hold = locations.search([
            ("location_id", "=", warehouse.view_location_id.id), ("usage", "=", "internal"),
            ("barcode", "=", f"{warehouse.code}-QHOLD"),
        ], limit=1)
        return hold or locations.create({
            "name": self.env._("Quality Hold"), "location_id": warehouse.view_location_id.id,
            "usage": "internal", "company_id": warehouse.company_id.id, "barcode": f"{warehouse.code}-QHOLD",
        })

    def _get_held_quants(self):
        """The free units of the affected lots in the company's stock (what pending deliveries reserved
        stays for them)."""
        self.ensure_one()
        warehouses = self.env["stock.warehouse"].sudo().search([("company_id", "=", self.company_id.id)])
        return self.env["stock.quant"].sudo().search([
            ("product_id", "=", self.product_id.id), ("lot_id", "in", self.lot_ids.ids),
            ("location_id", "child_of", warehouses.lot_stock_id.ids),
            ("company_id", "=", self.company_id.id),
        ]).filtered(lambda q: float_compare(q.quantity - q.reserved_quantity, 0,
                                            precision_rounding=q.product_uom_id.rounding) > 0)

    def _prepare_hold_picking_vals(self, warehouse, quants, hold):
        self.ensure_one()
        return {
            "picking_type_id": warehouse.int_type_id.id,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": hold.id,
            "company_id": self.company_id.id,
            "origin": self.env._("Quality hold: %(product)s", product=self.product_id.display_name),
            "move_ids": [Command.create({
                "name": self.product_id.display_name,
                "product_id": self.product_id.id,
                "product_uom": self.product_id.uom_id.id,
                "product_uom_qty": sum(q.quantity - q.reserved_quantity for q in quants),
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": hold.id,
                "company_id": self.company_id.id,
            })],
        }

    def action_quality_hold(self):
        """An internal transfer per warehouse taking the affected lots' free units in stock to the hold
        location, reserved on exactly those lots (Returns Managers)."""
        self._check_manager()
        pickings = self.env["stock.picking"].sudo()
        for signal in self.sudo():
            if not signal.lot_ids:
                raise UserError(self.env._(
                    "No lot of %(product)s came back: there is no lot to hold.",
                    product=signal.product_id.display_name))
            quants = signal._get_held_quants()
            if not quants:
                raise UserError(self.env._(
                    "No free unit of the lots %(lots)s of %(product)s is in stock.",
                    lots=", ".join(signal.lot_ids.mapped("name")), product=signal.product_id.display_name))
            by_warehouse = defaultdict(lambda: self.env["stock.quant"].sudo())
            for quant in quants:
                by_warehouse[quant.location_id.warehouse_id] |= quant
            for warehouse, wh_quants in by_warehouse.items():
                hold = self._get_hold_location(warehouse)
                picking = pickings.create(signal._prepare_hold_picking_vals(warehouse, wh_quants, hold))
                picking.action_confirm()
                move = picking.move_ids
                move.move_line_ids.unlink()
                self.env["stock.move.line"].sudo().create([{
                    "move_id": move.id, "picking_id": picking.id, "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id, "lot_id": quant.lot_id.id,
                    "location_id": quant.location_id.id, "location_dest_id": hold.id,
                    "quantity": quant.quantity - quant.reserved_quantity,
                } for quant in wh_quants])
                signal.hold_picking_ids = [Command.link(picking.id)]
                signal.message_post(body=self.env._(
                    "%(user)s put the lots on hold: %(picking)s.", user=self.env.user.name, picking=picking.name))
                pickings |= picking
        return self._action_open_pickings(pickings)

    def _prepare_vendor_picking_vals(self, warehouse, quants, vendor, source):
        self.ensure_one()
        return {
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": vendor.id,
            "location_id": source.id,
            "location_dest_id": vendor.property_stock_supplier.id,
            "company_id": self.company_id.id,
            "origin": self.env._("Claim to vendor: %(product)s", product=self.product_id.display_name),
            "move_ids": [Command.create({
                "name": self.product_id.display_name,
                "product_id": self.product_id.id,
                "product_uom": self.product_id.uom_id.id,
                "product_uom_qty": sum(quants.mapped("quantity")),
                "location_id": source.id,
                "location_dest_id": vendor.property_stock_supplier.id,
                "company_id": self.company_id.id,
                "partner_id": vendor.id,
            })],
        }

    def action_claim_vendor(self):
        """A draft return to the product's vendor of the affected lots' units the company holds (on hold
        when they were put there, else in stock), for the team to check and ship (Returns Managers)."""
        self._check_manager()
        pickings = self.env["stock.picking"].sudo()
        for signal in self.sudo():
            vendor = self._get_main_vendor(signal.product_id, signal.company_id)
            if not vendor:
                raise UserError(self.env._(
                    "%(product)s has no vendor to claim to.", product=signal.product_id.display_name))
            warehouses = self.env["stock.warehouse"].sudo().search([("company_id", "=", signal.company_id.id)])
            held = signal.hold_picking_ids.filtered(lambda p: p.state == "done").location_dest_id
            quants = self.env["stock.quant"].sudo().search([
                ("product_id", "=", signal.product_id.id), ("lot_id", "in", signal.lot_ids.ids),
                ("location_id", "child_of", (held or warehouses.lot_stock_id).ids),
                ("quantity", ">", 0),
            ]) if signal.lot_ids else self.env["stock.quant"]
            if not quants:
                raise UserError(self.env._(
                    "The company holds no unit of the affected lots of %(product)s to claim.",
                    product=signal.product_id.display_name))
            warehouse = quants[:1].location_id.warehouse_id or warehouses[:1]
            source = held[:1] or warehouse.lot_stock_id
            quants = quants.filtered_domain([("location_id", "child_of", source.id)])
            picking = pickings.create(signal._prepare_vendor_picking_vals(warehouse, quants, vendor, source))
            signal.vendor_picking_ids = [Command.link(picking.id)]
            signal.message_post(body=self.env._(
                "%(user)s drafted a return to %(vendor)s: %(picking)s.",
                user=self.env.user.name, vendor=vendor.display_name, picking=picking.name))
            pickings |= picking
        return self._action_open_pickings(pickings)

    def action_close(self):
        self._check_manager()
        self.sudo().state = "closed"
        self.sudo().activity_ids.action_feedback(feedback=self.env._("Signal closed."))
        return True

    def _action_open_pickings(self, pickings):
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        if len(pickings) == 1:
            action.update({"view_mode": "form", "views": [(False, "form")], "res_id": pickings.id})
        else:
            action["domain"] = [("id", "in", pickings.ids)]
        return action
