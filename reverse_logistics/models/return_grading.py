from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context, float_compare, float_is_zero

from ..tools import (
    check_flow_access,
    check_id,
    check_numbers,
    check_protected_fields,
    get_batch_limit,
    without_protected_defaults,
)
from .return_disposition import ENVIRONMENTAL_OUTCOMES, OPERATIONS


class ReturnGrading(models.Model):
    """Units of a return line graded together, and what was done with them.

    A line of 5 graded 3 as B and 2 as C has two gradings: this is how the line "splits" while its
    receipt moves stay whole. A regrade (after refurbishment) is a new grading pointing to the
    previous one, so the history is kept.
    """

    _name = "return.grading"
    _description = "Graded Return Units"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    line_id = fields.Many2one("return.order.line", string="Return Line", required=True, ondelete="cascade",
                              index=True)
    order_id = fields.Many2one(related="line_id.order_id", store=True, index=True)
    company_id = fields.Many2one(related="line_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    warehouse_id = fields.Many2one(related="order_id.warehouse_id", store=True)
    # The line's product, or what the line's receipt brought in for it (the components of a kit).
    product_id = fields.Many2one(
        "product.product", compute="_compute_product_id", store=True, readonly=False, precompute=True, index=True,
    )
    categ_id = fields.Many2one(related="product_id.categ_id", store=True, string="Product Category")
    partner_id = fields.Many2one(related="order_id.commercial_partner_id", store=True, string="Customer")
    reason_id = fields.Many2one(related="line_id.reason_id", store=True)
    return_type_id = fields.Many2one(related="order_id.return_type_id", store=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial", check_company=True)
    quantity = fields.Float(digits="Product Unit of Measure", required=True, default=1.0)
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")

    grade_id = fields.Many2one("return.grade", required=True, index=True)
    checklist_id = fields.Many2one("return.grade.checklist")
    answer_ids = fields.One2many("return.grading.answer", "grading_id", string="Checklist Answers")
    score = fields.Float(string="Checklist Score (%)", digits=(5, 2), readonly=True)
    suggested_grade_id = fields.Many2one("return.grade", readonly=True)
    note = fields.Text()
    attachment_ids = fields.Many2many("ir.attachment", string="Photos")
    user_id = fields.Many2one("res.users", string="Graded By", default=lambda self: self.env.user)

    state = fields.Selection(
        [
            ("graded", "Graded"),
            ("dispositioned", "In Process"),
            ("done", "Done"),
        ],
        default="graded", required=True, index=True, readonly=True,
        help="In Process: the disposition started and waits for its end (repair, repackaging, vendor shipment).",
    )
    disposition_id = fields.Many2one("return.disposition", index=True)
    # Facts of the disposition, stored when it runs (_freeze_disposition_facts), as stock.valuation.layer
    # stores a move's value: changing the disposition or the product afterwards rewrites no register.
    operation = fields.Selection(OPERATIONS, readonly=True)
    environmental_outcome = fields.Selection(ENVIRONMENTAL_OUTCOMES, readonly=True)
    disposition_rule_id = fields.Many2one("return.disposition.rule", readonly=True)
    disposition_note = fields.Text(string="Why", readonly=True, help="The rule or the values behind the decision.")
    previous_grading_id = fields.Many2one("return.grading", string="Regrade Of", readonly=True, index="btree_not_null")

    unit_value = fields.Monetary(compute="_compute_unit_value", store=True, readonly=False)
    processing_cost = fields.Monetary(readonly=True)
    recovery_value = fields.Monetary(
        help="Value recovered: resale value of restocked units, price paid by a liquidator, "
        "vendor credit of units returned to the vendor.",
    )
    net_recovery = fields.Monetary(compute="_compute_net_recovery", store=True)
    weight = fields.Float(
        digits="Stock Weight", readonly=True,
        help="Weight of the units when the disposition ran (the product's weight times the quantity).")
    co2_kg = fields.Float(string="CO2e (kg)", digits=(16, 3), readonly=True)
    landfill_weight = fields.Float(digits="Stock Weight", readonly=True)

    date_graded = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    date_dispositioned = fields.Datetime(readonly=True)
    date_done = fields.Datetime(readonly=True)

    move_ids = fields.One2many("stock.move", "return_grading_id", string="Stock Moves")
    scrap_ids = fields.One2many("stock.scrap", "return_grading_id", string="Scraps")
    repair_id = fields.Many2one("repair.order", readonly=True, index="btree_not_null")
    refurbished_product_id = fields.Many2one(
        "product.product", string="Refurbished As", readonly=True,
        help="The product the units went back to stock as once refurbished.",
    )
    vendor_credit_note_id = fields.Many2one("account.move", readonly=True)
    liquidation_line_id = fields.Many2one(
        "sale.order.line", string="Sold to Liquidator", readonly=True, index="btree_not_null", copy=False)
    # The background disposition: units waiting for the cron, who asked, why the last run refused them.
    disposition_queued = fields.Boolean(
        readonly=True, copy=False, index=True,
        help="Waits for the background disposition (more units than one request moves).")
    disposition_queued_uid = fields.Many2one(
        "res.users", string="Disposition Queued By", readonly=True, copy=False)
    disposition_error = fields.Text(
        string="Disposition Refused", readonly=True, copy=False,
        help="Why the background disposition refused these units; nothing of theirs moved.")

    @api.depends("line_id", "grade_id", "quantity")
    def _compute_name(self):
        for grading in self:
            grading.name = f"{grading.order_id.name}: {grading.quantity:g} x {grading.product_id.display_name} " \
                f"({grading.grade_id.code or '?'})"

    @api.depends("line_id")
    def _compute_product_id(self):
        for grading in self:
            if not grading.product_id:
                grading.product_id = grading.line_id.product_id

    @api.depends("line_id.price_unit", "line_id.discount", "product_id")
    def _compute_unit_value(self):
        for grading in self:
            grading.unit_value = grading.line_id._get_unit_value()

    @api.depends("recovery_value", "processing_cost")
    def _compute_net_recovery(self):
        for grading in self:
            grading.net_recovery = grading.recovery_value - grading.processing_cost

    @api.constrains("quantity", "line_id", "previous_grading_id", "product_id")
    def _check_quantity(self):
        # What the line received is read as the system (a kit's sale line may be another salesperson's).
        for line in self.sudo().filtered(lambda g: not g.previous_grading_id).line_id:
            if any(float_compare(g.quantity, 0, precision_rounding=g.product_uom_id.rounding) <= 0
                   for g in line.grading_ids):
                raise ValidationError(self.env._("A graded quantity must be positive."))
            gradable = line._get_gradable_quantities()
            for product, gradings in line.grading_ids.filtered(
                    lambda g: not g.previous_grading_id).grouped("product_id").items():
                if product not in gradable:
                    raise ValidationError(self.env._(
                        "%(order)s: %(product)s is not what %(line)s received.", order=line.order_id.name,
                        product=product.display_name, line=line.product_id.display_name,
                    ))
                graded = sum(gradings.mapped("quantity"))
                if float_compare(graded, gradable[product], precision_rounding=product.uom_id.rounding) > 0:
                    raise ValidationError(self.env._(
                        "%(order)s, %(product)s: %(graded)s graded but only %(received)s received.",
                        order=line.order_id.name, product=product.display_name,
                        graded=graded, received=gradable[product],
                    ))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_pending(self):
        if any(g.state != "graded" for g in self):
            raise UserError(self.env._("Units already dispositioned keep their grading."))

    # ------------------------------------------------------------------
    # What users may not write: grades and the disposition are chosen by hand before it runs; values,
    # states and documents are the flow's
    # ------------------------------------------------------------------
    @api.model
    def _get_system_fields(self):
        """Fields the flow alone sets. Fields an extension adds are not here: writable unless it adds them."""
        return [
            "name", "order_id", "company_id", "currency_id", "warehouse_id", "categ_id", "partner_id",
            "reason_id", "return_type_id", "product_uom_id", "checklist_id", "answer_ids", "score",
            "suggested_grade_id", "user_id", "state", "operation", "environmental_outcome",
            "disposition_rule_id", "disposition_note", "previous_grading_id", "unit_value", "processing_cost",
            "recovery_value", "net_recovery", "weight", "co2_kg", "landfill_weight", "date_graded",
            "date_dispositioned", "date_done", "move_ids", "scrap_ids", "repair_id", "refurbished_product_id",
            "vendor_credit_note_id", "liquidation_line_id", "disposition_queued", "disposition_queued_uid",
            "disposition_error",
        ]

    def _get_protected_fields(self):
        protected = self._get_system_fields()
        if self:
            # The graded units are fixed when created; what they are and where they go until they move.
            protected += ["line_id", "product_id"]
        if any(grading.state != "graded" for grading in self):
            protected += ["lot_id", "quantity", "grade_id", "disposition_id"]
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            protected = self._get_protected_fields()
            for vals in vals_list:
                check_protected_fields(self, vals, protected)
                check_numbers(self, vals)
                self._check_photos_readable(vals)
            self = without_protected_defaults(self, protected)  # noqa: PLW0642
        gradings = super().create(vals_list)
        # Only when photos came with them: a batch of gradings without any reads none.
        if any(vals.get("attachment_ids") for vals in vals_list):
            gradings.filtered("attachment_ids")._adopt_photos()
        return gradings

    def write(self, vals):
        if not self.env.su and self:
            check_protected_fields(self, vals, self._get_protected_fields())
            check_numbers(self, vals)
            self._check_photos_readable(vals)
        res = super().write(vals)
        if "attachment_ids" in vals:
            self._adopt_photos()
        return res

    def _adopt_photos(self):
        """Photos uploaded before the grading was saved (the form's upload names no record yet) become
        this grading's: who reads the grading reads them."""
        # Read as the system: an attachment the user may not read (linked by someone else) stops nothing.
        for grading in self.sudo():
            grading.attachment_ids.filtered(lambda a: a.res_model == self._name and not a.res_id).res_id = grading.id

    @api.model
    def _check_photos_readable(self, vals):
        """Photos a user links must be attachments he may read: whoever reads the grading (a brand's portal
        user, through an addon) must never be handed another document's file through it."""
        ids = []
        for command in vals.get("attachment_ids") or []:
            if isinstance(command, (list, tuple)) and command and command[0] == Command.LINK:
                ids.append(command[1])
            elif isinstance(command, (list, tuple)) and len(command) == 3 and command[0] == Command.SET:
                ids.extend(command[2] or [])
            elif isinstance(command, int):
                ids.append(command)
        if ids:
            attachments = self.env["ir.attachment"].browse(
                [check_id(self.env, i, self.env._("Photo")) for i in ids]).exists()
            if len(attachments) != len(set(ids)):
                raise UserError(self.env._("A photo to link does not exist."))
            # ir.attachment.check reads the document each attachment belongs to (check_access does not).
            attachments.check("read")

    def _get_current(self):
        """The latest grading of each unit set: regraded ones give way to their regrade."""
        superseded = self.previous_grading_id
        return self.filtered(lambda g: g not in superseded)

    # ------------------------------------------------------------------
    # Grading
    # ------------------------------------------------------------------
    @api.model
    def _prepare_checklist_vals(self, product, passed_question_ids, line=None):
        """Answers, score and suggested grade for a product's checklist (`line`: the return line graded)."""
        checklist = self.env["return.grade.checklist"]._get_for_product(product, line)
        if not checklist:
            return {}
        passed = self.env["return.grade.question"].browse(passed_question_ids)
        score = checklist._score(passed)
        return {
            "checklist_id": checklist.id,
            "score": score,
            "suggested_grade_id": self.env["return.grade"]._suggest_from_score(score, line).id,
            "answer_ids": [Command.create({"question_id": q.id, "passed": q in passed})
                           for q in checklist.question_ids],
        }

    def action_regrade(self, grade):
        """Grade again units already processed (after refurbishment); the earlier grading stays.
        `grade`: a return.grade, or its id (over RPC)."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        if not isinstance(grade, models.BaseModel):
            grade = self.env["return.grade"].browse(check_id(self.env, grade, self.env._("Grade")))
        grade = grade.exists()
        if len(grade) != 1:
            raise UserError(self.env._("Choose one existing grade."))
        grade.check_access("read")
        regrades = self.browse()
        for grading in self:
            if grading.state != "done":
                raise UserError(self.env._("Only processed units can be graded again."))
            regrades |= self.sudo().with_context(clean_context(self.env.context)).create({
                "line_id": grading.line_id.id,
                "product_id": grading.product_id.id,
                "lot_id": grading.lot_id.id,
                "quantity": grading.quantity,
                "grade_id": grade.id,
                "previous_grading_id": grading.id,
                "state": "done",
                "date_done": fields.Datetime.now(),
            })
        return regrades

    # ==================================================================
    # Decision
    # ==================================================================
    def action_decide(self):
        """Pick a disposition for each graded unit from the rules (first match wins); the matching itself
        is the rules' business (return.disposition.rule._find_decision)."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        if self and not self.filtered(lambda g: g.state == "graded"):
            raise UserError(self.env._("These units were dispositioned already."))
        return self._action_decide()

    def _action_decide(self):
        pending = self.filtered(lambda g: g.state == "graded")
        rules = self.env["return.disposition.rule"]._get_rules_for(pending.company_id)
        unmatched = self.browse()
        for grading in pending:
            decision = rules._find_decision(grading)
            if not decision:
                unmatched |= grading
                continue
            disposition, rule, why = decision
            grading.sudo().write({"disposition_id": disposition.id, "disposition_rule_id": rule.id,
                                  "disposition_note": why})
        if unmatched:
            raise UserError(self.env._(
                "No disposition rule matches these units; they stay pending:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in unmatched),
            ))
        return True

    # ==================================================================
    # Disposition
    # ==================================================================
    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def action_dispose(self):
        """Execute the dispositions of these units in batch: all of them move, or none.

        Dispositions of more units than one request should move go to the background batch cron."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        queued = self.filtered("disposition_queued")
        if queued:
            raise UserError(self.env._(
                "These units already wait for their disposition in the background:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in queued[:10])))
        limit = get_batch_limit(self.env, "disposition", 500)
        if limit and len(self) > limit:
            return self._queue_disposition()
        self._action_dispose()
        # A background refusal of these units is history once they moved.
        self.filtered("disposition_error").sudo().disposition_error = False
        return True

    def _action_dispose(self):
        if not self:
            return True
        # Pickings, scraps, repairs and vendor credit notes take no default from the caller's context.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        self._prepare_disposal()
        self._freeze_disposition_facts()
        by_operation = defaultdict(lambda: self.browse())
        for grading in self:
            by_operation[grading.operation] |= grading
        for operation, gradings in by_operation.items():
            getattr(gradings, f"_dispose_{operation}")()
        self._record_disposition_values()
        self.line_id.order_id._on_dispositioned()
        return True

    def _prepare_disposal(self):
        """Refuse units already dispositioned, decide the undecided ones and check that triage holds
        them all: before anything moves, whether in this request or in the background."""
        already = self.filtered(lambda g: g.state != "graded")
        if already:
            raise UserError(self.env._(
                "These units were already dispositioned:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in already),
            ))
        self.filtered(lambda g: not g.disposition_id)._action_decide()
        self._check_triage_availability()

    def _get_triage_location(self):
        """Where the graded units wait: where the return received them."""
        self.ensure_one()
        return self.order_id._get_receipt_location()

    # Move lines that hold a reservation, as Odoo's stock.quant._clean_reservations counts them.
    _RESERVING_MOVE_LINE_STATES = ("assigned", "partially_available", "waiting", "confirmed")

    # How quants and their reservations are keyed.
    _QUANT_KEYS = ["product_id", "location_id", "lot_id", "package_id", "owner_id"]

    def _check_triage_availability(self):
        """Refuse the whole batch when triage holds fewer free units than it must move.

        Free units are those on hand less what open move lines hold. Reservations the quants keep for
        no move line are released first (`_release_stale_reservations`), so that neither this check nor
        the reservations of the disposition transfers (return to vendor) are refused by them."""
        needed = defaultdict(float)
        locations = self.env["stock.location"]
        for grading in self:
            location = grading._get_triage_location()
            locations |= location
            needed[grading.product_id, grading.lot_id, location] += grading.quantity
        domain = [("product_id", "in", self.product_id.ids), ("location_id", "in", locations.ids)]
        # What open move lines hold, read once for the release and for the free units.
        held = {tuple(row[:5]): row[5] for row in self.env["stock.move.line"].sudo()._read_group(
            domain + [("state", "in", self._RESERVING_MOVE_LINE_STATES), ("quantity_product_uom", "!=", 0)],
            self._QUANT_KEYS, ["quantity_product_uom:sum"])}
        self._release_stale_reservations(domain, held)
        on_hand = self.env["stock.quant"]._read_group(
            domain, ["product_id", "location_id", "lot_id"], ["quantity:sum"])
        free = defaultdict(float)
        for rows, sign in ((on_hand, 1.0), ([(*key[:3], qty) for key, qty in held.items()], -1.0)):
            for product, location, lot, quantity in rows:
                free[product, lot, location] += sign * quantity
                if lot:  # a grading without lot may take any lot
                    free[product, lot.browse(), location] += sign * quantity
        shortages = []
        for (product, lot, location), qty in needed.items():
            if float_compare(free[product, lot, location], qty, precision_rounding=product.uom_id.rounding) < 0:
                label = f"{product.display_name} ({lot.name})" if lot else product.display_name
                shortages.append(self.env._(
                    "- %(product)s: %(qty)s to move, %(available)s available in %(location)s",
                    product=label, qty=qty, available=free[product, lot, location],
                    location=location.display_name,
                ))
        if shortages:
            raise UserError(self.env._(
                "Nothing was moved: triage does not hold the units to disposition.\n%(lines)s",
                lines="\n".join(shortages),
            ))

    def _release_stale_reservations(self, domain, held):
        """Release what the quants of `domain` keep reserved beyond what move lines hold (`held`, by
        `_QUANT_KEYS`).

        Under concurrent load Odoo's quants may keep a reservation that no move line holds any more
        (seen with 4 clients in bench/load.py). Odoo's scheduler corrects every quant of the database
        (`stock.quant._clean_reservations`); this does the same, for the quants about to be moved only,
        and only downwards: a reservation is never added here."""
        quants = self.env["stock.quant"].sudo()
        reserved = quants._read_group(domain + [("reserved_quantity", "!=", 0)], self._QUANT_KEYS,
                                      ["reserved_quantity:sum"])
        for product, location, lot, package, owner, quantity in reserved:
            stale = quantity - held.get((product, location, lot, package, owner), 0.0)
            if float_compare(stale, 0.0, precision_rounding=product.uom_id.rounding) > 0:
                quants._update_reserved_quantity(product, location, -stale, lot_id=lot, package_id=package,
                                                 owner_id=owner)

    def _get_destination(self):
        """Where this grading's units go, by operation, unless the disposition names a location."""
        self.ensure_one()
        if self.disposition_id.location_dest_id:
            return self.disposition_id.location_dest_id
        warehouse = self.warehouse_id
        operation = self.operation
        if operation in ("restock", "refurbish"):
            return warehouse.lot_stock_id
        if operation == "repackage":
            return warehouse.repackage_location_id
        if operation == "liquidate":
            return warehouse.liquidation_location_id
        if operation in ("recycle", "dispose"):
            # None named: stock.scrap takes the company's scrap location, for a whole batch in one query.
            return self.env["stock.location"]
        return self.env.ref("stock.stock_location_suppliers")

    def _prepare_disposition_move_vals(self, source, destination, picked=True, product=None, lot=None):
        self.ensure_one()
        product = product or self.product_id
        lot = self.lot_id if lot is None else lot
        return {
            "name": self.name,
            "product_id": product.id,
            "product_uom": self.product_uom_id.id,
            "product_uom_qty": self.quantity,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "company_id": self.company_id.id,
            "origin": self.order_id.name,
            "return_grading_id": self.id,
            "picked": picked,
            "move_line_ids": [Command.create({
                "product_id": product.id,
                "product_uom_id": self.product_uom_id.id,
                "lot_id": lot.id,
                "quantity": self.quantity,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "company_id": self.company_id.id,
                "picked": picked,
            })] if picked else [],
        }

    # ------------------------------------------------------------------
    # Disposition pickings, grouped like stock.move._key_assign_picking groups moves
    # ------------------------------------------------------------------
    def _get_disposition_picking_key(self, stage="dispose"):
        """What this grading's units share with the others of one picking: (operation type, source,
        destination, partner). `stage` is "dispose" when the disposition starts and "repackaged" when
        repacked units go back to stock. Extensions may append to the key (and read it in
        `_prepare_disposition_picking_vals`) to split pickings further."""
        self.ensure_one()
        warehouse = self.warehouse_id
        no_partner = self.env["res.partner"]
        if stage == "repackaged":
            return warehouse.int_type_id, self._get_destination(), warehouse.lot_stock_id, no_partner
        if self.operation == "return_to_vendor":
            vendor = self._get_vendor().partner_id
            return warehouse.out_type_id, self._get_triage_location(), vendor.property_stock_supplier, vendor
        return warehouse.int_type_id, self._get_triage_location(), self._get_destination(), no_partner

    def _prepare_disposition_picking_vals(self, key, picked=True):
        """Values of the picking of these gradings, which share `key`: one move per grading."""
        picking_type, source, destination, partner = key[:4]
        return {
            "picking_type_id": picking_type.id,
            "partner_id": partner.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": ", ".join(sorted(set(self.order_id.mapped("name")))),
            "company_id": self.company_id[:1].id,
            "move_ids": [Command.create(g._prepare_disposition_move_vals(source, destination, picked))
                         for g in self],
        }

    def _create_disposition_pickings(self, stage="dispose", validate=True):
        """One picking per key of `_get_disposition_picking_key`, validated at once unless told otherwise."""
        groups = defaultdict(self.browse)
        for grading in self:
            groups[grading._get_disposition_picking_key(stage)] |= grading
        pickings = self.env["stock.picking"].create([
            gradings._prepare_disposition_picking_vals(key, picked=validate) for key, gradings in groups.items()
        ])
        if validate:
            pickings._action_done()
        return pickings

    def _dispose_internal(self, done=True):
        self._create_disposition_pickings()
        self._mark_dispositioned(done=done)

    def _dispose_restock(self):
        self._dispose_internal()

    def _dispose_liquidate(self):
        self._dispose_internal()

    def _dispose_repackage(self):
        self._dispose_internal(done=False)

    def action_repackaging_done(self):
        """Repacked units leave the repackaging location for stock."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        todo = self.filtered(lambda g: g.operation == "repackage" and g.state == "dispositioned")
        if todo != self:
            raise UserError(self.env._("Only units being repackaged can be finished."))
        todo._create_disposition_pickings(stage="repackaged")
        todo.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        todo.line_id.order_id._on_dispositioned()
        return True

    def _dispose_recycle(self):
        self._dispose_scrap()

    def _dispose_dispose(self):
        self._dispose_scrap()

    def _prepare_scrap_vals(self):
        self.ensure_one()
        vals = {
            "product_id": self.product_id.id,
            "product_uom_id": self.product_uom_id.id,
            "scrap_qty": self.quantity,
            "lot_id": self.lot_id.id,
            "location_id": self._get_triage_location().id,
            "company_id": self.company_id.id,
            "origin": self.order_id.name,
            "return_grading_id": self.id,
            "environmental_outcome": self.environmental_outcome,
            "disposal_weight": self.weight,
        }
        destination = self._get_destination()
        if destination:
            vals["scrap_location_id"] = destination.id
        return vals

    def _dispose_scrap(self):
        # stock.scrap posts the write-off through Odoo's own valuation for automated categories.
        scraps = self.env["stock.scrap"].create([g._prepare_scrap_vals() for g in self])
        scraps.do_scrap()
        self._mark_dispositioned(done=True)

    def _get_vendor(self):
        self.ensure_one()
        sellers = self.product_id.seller_ids.filtered(
            lambda s: not s.company_id or s.company_id == self.company_id)
        return sellers[:1]

    def _dispose_return_to_vendor(self):
        no_vendor = self.filtered(lambda g: not g._get_vendor())
        if no_vendor:
            raise UserError(self.env._(
                "Return to vendor needs a vendor on the product:\n%(lines)s",
                lines="\n".join(f"- {g.product_id.display_name}" for g in no_vendor),
            ))
        pickings = self._create_disposition_pickings(validate=False)
        pickings.action_confirm()
        pickings.action_assign()
        for move in pickings.move_ids.filtered(lambda m: m.return_grading_id.lot_id):
            move.move_line_ids.lot_id = move.return_grading_id.lot_id
        by_vendor = defaultdict(lambda: self.browse())
        for grading in self:
            by_vendor[grading._get_vendor().partner_id] |= grading
        for vendor, gradings in by_vendor.items():
            credit_note = self.env["account.move"].sudo().with_company(gradings.company_id[:1]).create(
                gradings._prepare_vendor_credit_note_vals(vendor))
            gradings.sudo().vendor_credit_note_id = credit_note
        self._mark_dispositioned(done=False)

    def _get_purchase_price(self):
        self.ensure_one()
        seller = self._get_vendor()
        return seller.currency_id._convert(
            seller.price, self.currency_id, self.company_id, fields.Date.context_today(self),
        ) if seller.price else self.product_id.standard_price

    def _prepare_vendor_credit_note_vals(self, vendor):
        return {
            "move_type": "in_refund",
            "partner_id": vendor.id,
            "company_id": self.company_id[:1].id,
            "invoice_origin": ", ".join(sorted(set(self.order_id.mapped("name")))),
            "ref": self.env._("Returned to vendor"),
            "invoice_line_ids": [Command.create({
                "product_id": g.product_id.id,
                "quantity": g.quantity,
                "product_uom_id": g.product_uom_id.id,
                "price_unit": g._get_purchase_price(),
                "name": g.name,
            }) for g in self],
        }

    def _on_disposition_cancelled(self, document):
        """The repair or vendor shipment that was to end these units' disposition was cancelled:
        the units never left triage, so they wait for a disposition again."""
        gradings = self.filtered(lambda g: g.state == "dispositioned")
        if not gradings:
            return
        credit_notes = gradings.vendor_credit_note_id
        credit_notes.filtered(lambda m: m.state == "draft").sudo().button_cancel()
        for order, units in gradings.grouped("order_id").items():
            body = self.env._(
                "%(document)s was cancelled: %(units)s wait for a disposition again.",
                document=document, units=", ".join(units.mapped("name")))
            posted = units.vendor_credit_note_id.filtered(lambda m: m.state == "posted")
            if posted:
                body += " " + self.env._(
                    "Vendor credit note %(moves)s is posted already: reverse it if the vendor takes nothing back.",
                    moves=", ".join(posted.mapped("name")))
            order.message_post(body=body)
        gradings.sudo().write({
            "state": "graded", "date_dispositioned": False, "repair_id": False, "vendor_credit_note_id": False,
            "processing_cost": 0.0, "recovery_value": 0.0, "co2_kg": 0.0, "landfill_weight": 0.0,
        })

    def _on_liquidation_sale_cancelled(self):
        for grading in self.sudo():
            grading.liquidation_line_id = False
            grading.recovery_value = grading._compute_recovery_value()

    def _on_vendor_shipment_done(self):
        self.filtered(lambda g: g.state == "dispositioned").sudo().write({
            "state": "done", "date_done": fields.Datetime.now(),
        })
        self.line_id.order_id._on_dispositioned()

    def _mark_dispositioned(self, done):
        now = fields.Datetime.now()
        vals = {"state": "done" if done else "dispositioned", "date_dispositioned": now}
        if done:
            vals["date_done"] = now
        self.sudo().write(vals)

    def _compute_recovery_value(self):
        """Expected value back: vendor credit at purchase price, else the graded value the channel realizes."""
        self.ensure_one()
        if self.operation == "return_to_vendor":
            return self.quantity * self._get_purchase_price()
        share = self._get_disposition_terms(self.disposition_id)[0]
        refurbished = self.product_id.refurbished_product_id
        if self.operation == "refurbish" and refurbished:
            # It sells as the refurbished product, at that product's price.
            return self.quantity * refurbished.lst_price * share / 100.0
        return self.quantity * self.unit_value * self.grade_id.recovery_rate / 100.0 * share / 100.0

    def _get_disposition_terms(self, disposition):
        """(value realized %, processing cost per unit) of `disposition` for these units: the channel's
        own. Hook: an addon whose units have their own terms (a 3PL's brand) returns those."""
        return disposition.recovery_share, disposition.processing_cost

    def _get_disposition_facts(self, disposition):
        """{field: value} of what `disposition` is, to store on these units (one grading) as it runs: its
        operation and outcome, and the units' weight. Hook: an addon that reports on dispositions adds the
        facts its register reads (the WEEE addon its treatment)."""
        self.ensure_one()
        return {
            "operation": disposition.operation,
            "environmental_outcome": disposition.environmental_outcome,
            "weight": self.product_id.weight * self.quantity,
        }

    def _freeze_disposition_facts(self):
        """What the disposition is, stored as it runs (`_get_disposition_facts`). Registers and figures
        read these, never the disposition or the product live."""
        by_vals = defaultdict(lambda: self.browse())
        for grading in self:
            by_vals[tuple(sorted(grading._get_disposition_facts(grading.disposition_id).items()))] |= grading
        # One write per set of equal facts: a batch of like units is one UPDATE, not one per unit.
        for vals, gradings in by_vals.items():
            gradings.sudo().write(dict(vals))

    def _record_disposition_values(self):
        by_vals = defaultdict(lambda: self.browse())
        for grading in self:
            disposition = grading.disposition_id
            vals = {
                "processing_cost": grading.quantity * grading._get_disposition_terms(disposition)[1],
                "co2_kg": grading.weight * disposition.co2_factor,
                "landfill_weight": grading.weight if grading.environmental_outcome == "landfill" else 0.0,
            }
            if float_is_zero(grading.recovery_value, precision_rounding=grading.currency_id.rounding):
                vals["recovery_value"] = grading._compute_recovery_value()
            by_vals[tuple(sorted(vals.items()))] |= grading
        for vals, gradings in by_vals.items():
            gradings.sudo().write(dict(vals))

    # ==================================================================
    # Refurbishment
    # ==================================================================
    # ------------------------------------------------------------------
    # Refurbishment: a repair order, then the units come back as the refurbished product
    # ------------------------------------------------------------------
    def _dispose_refurbish(self):
        not_repairable = self.filtered(lambda g: not g.product_id.is_storable or not g.product_id.can_be_refurbished)
        if not_repairable:
            raise UserError(self.env._(
                "These products cannot be refurbished:\n%(lines)s",
                lines="\n".join(f"- {g.product_id.display_name}" for g in not_repairable),
            ))
        for grading in self:
            if not grading.warehouse_id.repair_type_id:
                raise UserError(self.env._(
                    "Warehouse %(warehouse)s has no repair operation type.", warehouse=grading.warehouse_id.name))
            grading._check_refurbished_product()
        repairs = self.env["repair.order"].create([g._prepare_repair_vals() for g in self])
        for grading, repair in zip(self, repairs, strict=True):
            grading.sudo().repair_id = repair
        repairs._action_repair_confirm()
        self._mark_dispositioned(done=False)

    def _prepare_repair_vals(self):
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "product_qty": self.quantity,
            "product_uom": self.product_uom_id.id,
            "lot_id": self.lot_id.id,
            "picking_type_id": self.warehouse_id.repair_type_id.id,
            "product_location_src_id": self._get_triage_location().id,
            "product_location_dest_id": self._get_destination().id,
            "company_id": self.company_id.id,
            "internal_notes": self.note,
            "repair_request": self.env._("Refurbish returned unit from %(order)s", order=self.order_id.name),
        }

    def _check_refurbished_product(self):
        """Refuse, before any repair starts, units that could not become their refurbished product."""
        self.ensure_one()
        refurbished = self.product_id.refurbished_product_id
        if not refurbished:
            return
        problem = False
        if refurbished.uom_id.category_id != self.product_uom_id.category_id:
            problem = self.env._("its unit of measure is not of the same kind")
        elif refurbished.tracking != "none" and not self.lot_id:
            problem = self.env._("it is tracked and these units have no lot or serial number")
        elif refurbished.tracking == "serial" and float_compare(
                self.quantity, 1.0, precision_rounding=self.product_uom_id.rounding) != 0:
            problem = self.env._("it is tracked by serial number and these are several units")
        if problem:
            raise UserError(self.env._(
                "%(units)s cannot go back to stock as %(refurbished)s: %(problem)s.",
                units=self.name, refurbished=refurbished.display_name, problem=problem))

    def _on_repair_done(self):
        done = self.filtered(lambda g: g.state == "dispositioned")
        done.filtered(lambda g: g.product_id.refurbished_product_id)._convert_to_refurbished_product()
        done.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        self.line_id.order_id._on_dispositioned()

    def _get_refurbished_lot(self, product):
        """The lot of the refurbished product keeps the returned unit's lot or serial number."""
        self.ensure_one()
        if product.tracking == "none" or not self.lot_id:
            return self.env["stock.lot"]
        lot = self.env["stock.lot"].search([
            ("product_id", "=", product.id), ("name", "=", self.lot_id.name),
            ("company_id", "in", [self.company_id.id, False]),
        ], limit=1)
        return lot or lot.create({"name": self.lot_id.name, "product_id": product.id, "company_id": self.company_id.id})

    def _convert_to_refurbished_product(self):
        """Take the repaired units out of stock as the returned product and bring them back as its
        refurbished product, at that product's own cost. Both moves pass through the production
        location, where Odoo's repairs consume their parts too."""
        outgoing_vals, incoming_vals = [], []
        for grading in self:
            grading._check_refurbished_product()
            refurbished = grading.product_id.refurbished_product_id
            stock = grading.repair_id.product_location_dest_id or grading._get_destination()
            production = grading.product_id.with_company(grading.company_id).property_stock_production
            outgoing_vals.append(dict(
                grading._prepare_disposition_move_vals(stock, production), refurbish_conversion=True))
            incoming_vals.append(dict(
                grading._prepare_disposition_move_vals(
                    production, stock, product=refurbished, lot=grading._get_refurbished_lot(refurbished)),
                refurbish_conversion=True, price_unit=refurbished.with_company(grading.company_id).standard_price,
            ))
            grading.sudo().refurbished_product_id = refurbished
        # The returned units leave first, so the refurbished ones never share their quant.
        self.env["stock.move"].create(outgoing_vals)._action_done()
        self.env["stock.move"].create(incoming_vals)._action_done()

    # ==================================================================
    # Background disposition: more units than one request should move are flagged, and one cron
    # works through them chunk by chunk (as Odoo's account.move sending does)
    # ==================================================================
    def _queue_disposition(self):
        """Check the whole selection as the request would (a bad one is refused with nothing done), then
        flag the units for the cron, as the system, with the user who asked; tell him at once."""
        self._prepare_disposal()
        self.sudo().write({
            "disposition_queued": True, "disposition_queued_uid": self.env.uid, "disposition_error": False})
        self.env.ref("reverse_logistics.ir_cron_return_grading_dispose").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Disposition queued"),
                "message": self.env._(
                    "%(count)s graded units are dispositioned in the background; the filter Queued shows "
                    "those still waiting, and you will be told when they are done.", count=len(self)),
                "type": "info",
                "next": {
                    "type": "ir.actions.act_window",
                    "name": self.env._("Queued Dispositions"),
                    "res_model": self._name,
                    "views": [(False, "list"), (False, "form")],
                    "domain": [("id", "in", self.ids)],
                    "context": {"create": False},
                },
            },
        }

    @api.model
    def _cron_execute_queued_dispositions(self):
        """Disposition the flagged units, a chunk per call (system parameter
        reverse_logistics.batch_limit.disposition_chunk): Odoo commits each call and calls again while
        some wait (`_notify_progress`). The flags are cleared in the same transaction as the moves: a
        call that crashes leaves its units flagged and moved nowhere, the next one moves them once."""
        queued = self.sudo().search([("disposition_queued", "=", True)], order="id")
        limit = get_batch_limit(self.env, "disposition_chunk", 200)
        chunk, rest = (queued[:limit], queued[limit:]) if limit else (queued, queued.browse())
        chunk._execute_queued_dispositions()
        self.env["ir.cron"]._notify_progress(done=len(chunk), remaining=len(rest))

    def _execute_queued_dispositions(self):
        """Disposition these flagged units as the user who queued them (his group and access checked
        again now), the units of each user together in a savepoint: all of them move, or none, and a
        refusal is written on the units and told to him. Units dispositioned meanwhile (by hand) are
        only unflagged."""
        done_flags = {"disposition_queued": False, "disposition_queued_uid": False}
        orphans = self.filtered(lambda g: not g.disposition_queued_uid)
        for requester in self.disposition_queued_uid:
            units = self.filtered(lambda g, r=requester: g.disposition_queued_uid == r)
            try:
                with self.env.cr.savepoint():
                    as_requester = units.with_user(requester).with_company(units.company_id[:1])
                    check_flow_access(as_requester, "reverse_logistics.group_return_user")
                    as_requester.filtered(lambda g: g.state == "graded")._action_dispose()
                    units.write(dict(done_flags, disposition_error=False))
            except (UserError, AccessError) as error:
                message = error.args[0] if error.args else str(error)
                units.write(dict(done_flags, disposition_error=message))
                units._post_disposition_refused(requester, message)
            else:
                if not self.search_count([("disposition_queued", "=", True),
                                          ("disposition_queued_uid", "=", requester.id)], limit=1):
                    requester.partner_id._bus_send("simple_notification", {
                        "type": "success", "title": self.env._("Dispositions done"),
                        "message": self.env._("The dispositions you queued are done."),
                    })
        if orphans:
            orphans.write(dict(done_flags, disposition_error=self.env._(
                "The user who queued this disposition no longer exists.")))

    def _post_disposition_refused(self, requester, message):
        """On each return of these units and to the user: nothing of them moved, and why."""
        for order in self.order_id:
            order.message_post(
                body=self.env._("The background disposition %(user)s queued was refused, nothing moved: "
                                "%(error)s", user=requester.name, error=message),
                partner_ids=requester.partner_id.ids)
        requester.partner_id._bus_send("simple_notification", {
            "type": "danger", "sticky": True, "title": self.env._("Disposition refused"), "message": message,
        })
