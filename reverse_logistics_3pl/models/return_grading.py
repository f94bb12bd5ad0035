from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_flow_access
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, clean_context, float_compare, format_amount, plaintext2html

from .return_client_fee import DISPOSED_OPERATIONS


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # A brand's portal user reads the gradings of its goods: the 3PL's own figures and notes stay the staff's.
    processing_cost = fields.Monetary(groups="base.group_user")
    recovery_value = fields.Monetary(groups="base.group_user")
    net_recovery = fields.Monetary(groups="base.group_user")
    note = fields.Text(groups="base.group_user")
    disposition_note = fields.Text(groups="base.group_user")
    disposition_rule_id = fields.Many2one(groups="base.group_user")
    vendor_credit_note_id = fields.Many2one(groups="base.group_user")
    liquidation_line_id = fields.Many2one(groups="base.group_user")
    disposition_queued_uid = fields.Many2one(groups="base.group_user")
    disposition_error = fields.Text(groups="base.group_user")

    client_id = fields.Many2one(related="order_id.client_id", string="Client (Brand)")

    # The brand's approval of a disposition above its policy's value: asked by the flow when the clerk
    # disposes, decided by the brand on its portal; what was asked and decided is frozen on the grading.
    brand_approval_state = fields.Selection(
        [("waiting", "Waiting for the Brand"), ("approved", "Approved by the Brand"),
         ("refused", "Refused by the Brand")],
        string="Brand Approval", readonly=True, copy=False, index="btree_not_null",
        help="Waiting: the disposition is worth more than the brand lets the 3PL decide alone; nothing moves "
             "until the brand approves it on its portal. Refused: choose another disposition.")
    brand_approval_disposition_id = fields.Many2one(
        "return.disposition", string="Disposition Submitted to the Brand", readonly=True, copy=False)
    brand_approval_value = fields.Monetary(
        string="Value Submitted to the Brand", readonly=True, copy=False,
        help="The units' value (unit value times quantity) when the brand was asked.")
    brand_approval_threshold = fields.Monetary(
        string="Brand Approval Above", readonly=True, copy=False, groups="base.group_user",
        help="The brand policy's value when the brand was asked.")
    date_brand_approval_requested = fields.Datetime(string="Brand Asked On", readonly=True, copy=False)
    brand_approval_requested_uid = fields.Many2one(
        "res.users", string="Submitted By", readonly=True, copy=False, groups="base.group_user",
        help="Who disposed of the units: the approved disposition runs as this user.")
    brand_approval_uid = fields.Many2one("res.users", string="Decided By", readonly=True, copy=False)
    date_brand_approval = fields.Datetime(string="Brand Decided On", readonly=True, copy=False)
    brand_approval_note = fields.Text(string="Brand's Note", readonly=True, copy=False)

    @api.model
    def _get_system_fields(self):
        return super()._get_system_fields() + [
            "brand_approval_state", "brand_approval_disposition_id", "brand_approval_value",
            "brand_approval_threshold", "date_brand_approval_requested", "brand_approval_requested_uid",
            "brand_approval_uid",
            "date_brand_approval", "brand_approval_note",
        ]

    def _get_protected_fields(self):
        protected = super()._get_protected_fields()
        if any(g.brand_approval_state in ("waiting", "approved") for g in self):
            # What the brand is asked, or agreed to, stays what it was asked.
            protected += ["lot_id", "quantity", "grade_id", "disposition_id"]
        elif any(g.brand_approval_state == "refused" for g in self):
            # A refusal sends back the disposition only: the units stay those the brand was asked about.
            protected += ["lot_id", "quantity", "grade_id"]
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        gradings = super().create(vals_list)
        # Charged per unit graded; a regrade of the same units is not charged again.
        self.env["return.client.fee.event"]._record_many([
            ("graded", grading.order_id, grading.quantity, grading)
            for grading in gradings.filtered(lambda g: not g.previous_grading_id)])
        return gradings

    @api.ondelete(at_uninstall=False)
    def _unlink_never_asked_of_the_brand(self):
        # A grading the brand was asked about is its record of the question: deleting it and grading the
        # units again in smaller parts would go around the brand.
        if any(g.brand_approval_state for g in self):
            raise UserError(self.env._("The brand was asked about these units' disposition: their grading stays."))

    # ------------------------------------------------------------------
    # The brand's approval
    # ------------------------------------------------------------------
    def _action_dispose(self):
        """Units whose disposition the brand must approve first are submitted to it and stay in triage;
        the others move. Units already waiting, or sent again with the disposition the brand refused, are
        refused with nothing done."""
        pending = self.filtered(lambda g: g.state == "graded")
        # Decided first (the rules never touch a grading the brand was asked about): a refused disposition
        # the rules would pick again is refused too.
        pending.filtered(lambda g: not g.disposition_id)._action_decide()
        pending._check_brand_decisions()
        to_ask = pending._filter_needing_brand_approval()
        if to_ask:
            to_ask._request_brand_approval()
        return super(ReturnGrading, self - to_ask)._action_dispose()

    def _check_brand_decisions(self):
        """Refuse, with nothing done, units waiting for the brand and units sent again with the disposition
        the brand refused: in this request or before they are queued for the background."""
        waiting = self.filtered(lambda g: g.brand_approval_state == "waiting")
        if waiting:
            raise UserError(self.env._(
                "Nothing was moved: these units wait for the brand's approval:\n%(lines)s",
                lines="\n".join(f"- {g.name}" for g in waiting)))
        refused = self.filtered(lambda g: g.brand_approval_state == "refused"
                                and g.disposition_id == g.brand_approval_disposition_id)
        if refused:
            raise UserError(self.env._(
                "Nothing was moved: the brand refused these dispositions; choose another one:\n%(lines)s",
                lines="\n".join(f"- {g.name}: {g.disposition_id.name}" for g in refused)))

    def _get_brand_approval_threshold(self):
        """The value above which the brand approves this disposition: its policy's (the return's, else the
        brand's default one); 0 when the goods are the company's or the brand asks nothing."""
        self.ensure_one()
        owner = self._get_goods_owner()
        if not owner:
            return 0.0
        policy = self.order_id.policy_id.sudo()
        if policy.client_id != owner:
            policy = self.env["return.policy"].sudo()._get_client_default_policy(self.company_id, owner)
        return policy.brand_approval_above

    def _get_brand_approval_value(self):
        """What the decision is worth: the units' unit value (the one the disposition rules read) times
        their quantity, in company currency."""
        self.ensure_one()
        return self.currency_id.round(self.unit_value * self.quantity)

    def _filter_needing_brand_approval(self):
        """The units whose disposition the brand must approve first. Per return, the value counted is that
        of these units and of the return's units already dispositioned without the brand's approval: units
        split into gradings, lines or dispositions worth less than the brand's value each still wait."""
        groups = defaultdict(self.browse)
        thresholds = {}  # one policy read per return, not per grading
        for grading in self:
            if grading.brand_approval_state == "approved" \
                    and grading.disposition_id == grading.brand_approval_disposition_id:
                continue
            if grading.order_id not in thresholds:
                thresholds[grading.order_id] = grading._get_brand_approval_threshold()
            threshold = thresholds[grading.order_id]
            if threshold:
                groups[grading.order_id, threshold] |= grading
        needed = self.browse()
        for (order, threshold), gradings in groups.items():
            sent = order.sudo().grading_ids.filtered(
                lambda g: g.state != "graded" and g.brand_approval_state != "approved" and not g.previous_grading_id)
            value = sum(g._get_brand_approval_value() for g in gradings | sent)
            if gradings.currency_id[:1].compare_amounts(value, threshold) > 0:
                needed |= gradings
        return needed

    def _action_decide(self):
        locked = self.filtered(lambda g: g.state == "graded" and g.brand_approval_state in ("waiting", "approved"))
        if locked:
            raise UserError(self.env._(
                "Nothing was decided: the brand was asked about these dispositions, they stay as asked:\n%(lines)s",
                lines="\n".join(f"- {g.name}: {g.disposition_id.name}" for g in locked)))
        return super()._action_decide()

    def _request_brand_approval(self):
        """Submit these dispositions to their brand: frozen as asked, told in the return's chatter (an
        internal note: the shopper never reads it) and to the brand's portal users."""
        now = fields.Datetime.now()
        thresholds = {}
        for grading in self:
            if grading.order_id not in thresholds:
                thresholds[grading.order_id] = grading._get_brand_approval_threshold()
        for grading in self:
            grading.sudo().write({
                "brand_approval_state": "waiting",
                "brand_approval_disposition_id": grading.disposition_id.id,
                "brand_approval_value": grading._get_brand_approval_value(),
                "brand_approval_threshold": thresholds[grading.order_id],
                "date_brand_approval_requested": now, "brand_approval_requested_uid": self.env.uid,
                "brand_approval_uid": False, "date_brand_approval": False, "brand_approval_note": False,
            })
        for order in self.order_id:
            gradings = self.filtered(lambda g, o=order: g.order_id == o)
            lines = "\n".join(
                f"- {g.name}: {g.disposition_id.name}, "
                f"{format_amount(self.env, g.brand_approval_value, g.currency_id)}" for g in gradings)
            order.sudo().message_post(
                body=self.env._("Waiting for %(brand)s to approve these dispositions:\n%(lines)s",
                                brand=order.client_id.display_name, lines=lines),
                subtype_xmlid="mail.mt_note")
            brand_users = order._get_brand_portal_users()
            if brand_users:
                order.sudo().message_notify(
                    partner_ids=brand_users.partner_id.ids,
                    subject=self.env._("%(name)s: dispositions wait for your approval", name=order.name),
                    body=self.env._(
                        "%(count)s dispositions of your goods on %(name)s wait for your approval on your "
                        "portal.", count=len(gradings), name=order.name))

    def _brand_decide(self, user, approve, note=""):
        """The brand's decision on this disposition, by its portal user `user` (the controller hands the
        grading as the system after it found it among the user's own through his record rules). Replays,
        decisions of another brand and of anyone but the brand's portal users are refused."""
        self.ensure_one()
        if not self.order_id._is_brand_portal_viewer(user):
            raise UserError(self.env._("Only the brand that owns these goods decides on their disposition."))
        if self.brand_approval_state != "waiting":
            message = {
                "approved": self.env._("This disposition was approved already."),
                "refused": self.env._("This disposition was refused already; the 3PL chooses another one."),
            }.get(self.brand_approval_state, self.env._("This disposition waits for no decision of yours."))
            raise UserError(message)
        note = (note or "").strip()
        if "\x00" in note:
            raise UserError(self.env._("Your note holds a character that cannot be stored (NUL)."))
        if not approve and not note:
            raise UserError(self.env._("Say why you refuse this disposition: the 3PL reads your note."))
        if len(note) > 2000:
            raise UserError(self.env._("Your note is too long (2,000 characters at most)."))
        grading = self.sudo().with_context(clean_context(self.env.context)).with_company(self.company_id)
        # A concurrent decision on the same grading waits for this one, then finds it decided.
        self.env.cr.execute(SQL("SELECT id FROM return_grading WHERE id = %s FOR UPDATE", self.id))
        grading.invalidate_recordset(["brand_approval_state"])
        if grading.brand_approval_state != "waiting":
            raise UserError(self.env._("This disposition was decided meanwhile."))
        grading.write({
            "brand_approval_state": "approved" if approve else "refused",
            "brand_approval_uid": user.id, "date_brand_approval": fields.Datetime.now(),
            "brand_approval_note": note or False,
        })
        order = grading.order_id
        if not approve:
            order.message_post(
                body=self.env._("%(user)s (%(brand)s) refused the disposition %(disposition)s of %(name)s: "
                                "%(note)s", user=user.name, brand=order.client_id.display_name,
                                disposition=grading.disposition_id.name, name=grading.name, note=note),
                subtype_xmlid="mail.mt_note")
            # The brand's words as text in the activity (an HTML field): escaped, never markup.
            order.activity_schedule(
                "reverse_logistics_3pl.mail_activity_brand_refused", user_id=order._get_grading_sla_user().id,
                note=plaintext2html(self.env._(
                    "%(brand)s refused %(disposition)s for %(name)s: %(note)s",
                    brand=order.client_id.display_name, disposition=grading.disposition_id.name,
                    name=grading.name, note=note)))
            return False
        order.message_post(
            body=self.env._("%(user)s (%(brand)s) approved the disposition %(disposition)s of %(name)s.",
                            user=user.name, brand=order.client_id.display_name,
                            disposition=grading.disposition_id.name, name=grading.name),
            subtype_xmlid="mail.mt_note")
        # The approved disposition runs at once as the user who disposed of the units (his rights checked
        # again now); when it cannot run, the approval stays and he is told (he disposes again).
        requester = grading.brand_approval_requested_uid
        if not requester:
            # Never as the system: without the user who disposed of them, the clerk runs it by hand.
            grading._schedule_approved_disposition(order._get_grading_sla_user(), self.env._(
                "%(brand)s approved %(disposition)s for %(name)s: dispose of them.",
                brand=order.client_id.display_name, disposition=grading.disposition_id.name, name=grading.name))
            return True
        try:
            with self.env.cr.savepoint():
                as_requester = grading.with_user(requester)
                check_flow_access(as_requester, "reverse_logistics.group_return_user")
                as_requester._action_dispose()
        except (UserError, AccessError) as error:
            grading._schedule_approved_disposition(requester, self.env._(
                "%(brand)s approved %(disposition)s for %(name)s, but it could not run: %(error)s",
                brand=order.client_id.display_name, disposition=grading.disposition_id.name,
                name=grading.name, error=error.args[0] if error.args else str(error)))
        return True

    def _schedule_approved_disposition(self, user, text):
        """The approved disposition that did not run at once, for `user` to run: a to-do on the return."""
        self.order_id.activity_schedule(
            "mail.mail_activity_data_todo", user_id=user.id, summary=self.env._("Approved disposition to run"),
            note=plaintext2html(text))

    def _mark_dispositioned(self, done):
        res = super()._mark_dispositioned(done)
        events = self.env["return.client.fee.event"]
        work = []
        for grading in self:
            work.append(("disposal", grading.order_id, grading.quantity, grading))
            if grading.operation == "refurbish":
                work.append(("refurbish", grading.order_id, grading.quantity, grading))
            elif grading.operation in DISPOSED_OPERATIONS:
                work.append(("disposed", grading.order_id, grading.quantity, grading))
            # The units leave triage with their disposition: their days there are known now.
            work.append(events._get_triage_days_work(grading, grading.date_dispositioned))
        events._record_many(work)
        return res

    def _get_triage_entry_date(self):
        """When these units entered triage: the line's last receipt done by then (a unit of a backorder
        came with it; the last one never charges a unit for days it was not here)."""
        self.ensure_one()
        dates = [move.date for move in self.line_id.sudo().move_ids
                 if move.state == "done" and move.location_dest_id.usage == "internal"
                 and move.date and move.date <= self.date_graded]
        return max(dates) if dates else False

    def _get_goods_owner(self):
        """Who owns these units: the client of the return, or nobody (the company)."""
        self.ensure_one()
        return self.order_id._get_goods_owner()

    # ------------------------------------------------------------------
    # Disposition: every move of a client's units names the client as owner
    # ------------------------------------------------------------------
    def _prepare_disposal(self):
        res = super()._prepare_disposal()
        # The background queue checks here too: a unit waiting for its brand is never queued.
        self.filtered(lambda g: g.state == "graded")._check_brand_decisions()
        self._check_client_availability()
        return res

    def _check_client_availability(self):
        """Triage must hold the client's own units: the core check counts every owner's, and a client's
        units are never made of the company's (nor of another client's)."""
        needed = defaultdict(float)
        for grading in self:
            owner = grading._get_goods_owner()
            if owner:
                needed[grading.product_id, grading.lot_id, grading._get_triage_location(), owner] += grading.quantity
        shortages = []
        for (product, lot, location, owner), qty in needed.items():
            domain = [("product_id", "=", product.id), ("location_id", "=", location.id),
                      ("owner_id", "=", owner.id)]
            if lot:
                domain.append(("lot_id", "=", lot.id))
            quants = self.env["stock.quant"].sudo().search(domain)
            free = sum(quants.mapped("quantity")) - sum(quants.mapped("reserved_quantity"))
            if float_compare(free, qty, precision_rounding=product.uom_id.rounding) < 0:
                # Named before the call: Odoo's term extraction cannot read an f-string among the arguments.
                unit = f"{product.display_name} ({lot.name})" if lot else product.display_name
                shortages.append(self.env._(
                    "- %(product)s of %(owner)s: %(qty)s to move, %(available)s of theirs in %(location)s",
                    product=unit, owner=owner.display_name, qty=qty, available=free,
                    location=location.display_name))
        if shortages:
            raise UserError(self.env._(
                "Nothing was moved: triage does not hold the clients' units to disposition.\n%(lines)s",
                lines="\n".join(shortages)))

    def _prepare_disposition_move_vals(self, source, destination, picked=True, product=None, lot=None):
        vals = super()._prepare_disposition_move_vals(source, destination, picked=picked, product=product, lot=lot)
        owner = self._get_goods_owner()
        if owner:
            vals["restrict_partner_id"] = owner.id
            for command in vals.get("move_line_ids", []):
                if command[0] == Command.CREATE:
                    command[2]["owner_id"] = owner.id
        return vals

    def _get_disposition_picking_key(self, stage="dispose"):
        key = super()._get_disposition_picking_key(stage=stage)
        owner = self._get_goods_owner()
        if owner and stage == "dispose" and self.operation == "return_to_vendor":
            # Sent back to the brand that owns them, not to the product's vendor.
            warehouse = self.warehouse_id
            key = (warehouse.out_type_id, self._get_triage_location(), owner.property_stock_customer, owner)
        # One owner per picking: Odoo gives the picking's owner to all its move lines.
        return (*key, owner)

    def _prepare_disposition_picking_vals(self, key, picked=True):
        vals = super()._prepare_disposition_picking_vals(key, picked=picked)
        owner = key[4] if len(key) > 4 else self.env["res.partner"]
        if owner:
            vals["owner_id"] = owner.id
        return vals

    def _prepare_scrap_vals(self):
        vals = super()._prepare_scrap_vals()
        owner = self._get_goods_owner()
        if owner:
            # stock.scrap takes the owner's quants and, for an owner other than the company, values nothing.
            vals["owner_id"] = owner.id
        return vals

    def _prepare_repair_vals(self):
        vals = super()._prepare_repair_vals()
        owner = self._get_goods_owner()
        if owner:
            # Odoo's repair moves the unit with its customer as owner when he owns it there: the brand.
            vals["partner_id"] = owner.id
        return vals

    def _dispose_return_to_vendor(self):
        to_client = self.filtered(lambda g: g._get_goods_owner())
        res = None
        if self - to_client:
            res = super(ReturnGrading, self - to_client)._dispose_return_to_vendor()
        if to_client:
            to_client._dispose_return_to_client()
        return res

    def _dispose_return_to_client(self):
        """A client's units "returned to vendor" go back to the brand that owns them: shipped at once from
        triage to the brand, with no vendor credit note (the goods were never bought here)."""
        self._create_disposition_pickings()
        self._mark_dispositioned(done=True)

    @api.constrains("grade_id", "line_id")
    def _check_client_grade(self):
        for grading in self.filtered("grade_id.client_id"):
            if grading.grade_id.client_id != grading._get_goods_owner():
                raise ValidationError(self.env._(
                    "%(grade)s is a grade of %(client)s: it grades that brand's goods only, not %(name)s.",
                    grade=grading.grade_id.name, client=grading.grade_id.client_id.display_name,
                    name=grading.order_id.name))

    def _get_disposition_terms(self, disposition):
        owner = self._get_goods_owner()
        if owner and disposition:
            terms = self.env["return.client.disposition"]._get_terms(self.company_id, owner, disposition)
            if terms:
                return terms
        return super()._get_disposition_terms(disposition)

    def _compute_recovery_value(self):
        if self.operation == "return_to_vendor" and self._get_goods_owner():
            # Nothing comes back to this company for the brand's own goods.
            return 0.0
        return super()._compute_recovery_value()
