from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_flow_access, check_id, check_number, check_text
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import clean_context, email_normalize

RETURNS_USER = "reverse_logistics.group_return_user"
BRAND_PORTAL = "reverse_logistics_3pl.group_brand_portal"


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Fields
    # ------------------------------------------------------------------
    client_id = fields.Many2one(
        "res.partner", string="Client (Brand)", tracking=True, index="btree_not_null", check_company=True,
        help="The brand that owns the returned goods: they are received into its ownership and stay its "
             "own through every disposition. The 3PL values none of them and credits no customer.",
    )
    client_ref = fields.Char(
        string="Brand's Order Reference", index="btree_not_null", tracking=True, copy=False,
        help="The brand's own order reference for these goods (the sale was made in the brand's shop).",
    )
    is_client_announced = fields.Boolean(
        string="Announced by the Client", readonly=True, copy=False,
        help="The brand announced these lines itself (or matched a blind parcel to its announcement): their "
             "products, quantities and unit prices are the brand's, which its approvals and fees read; nobody "
             "here edits them. Returns the 3PL announces or types for the brand carry the values it types.")
    is_blind_parcel = fields.Boolean(
        string="Blind Parcel", readonly=True, copy=False,
        help="Received unannounced: the clerk knew the brand from the label, the return was made on arrival.")
    date_blind_matched = fields.Datetime(
        string="Matched On", readonly=True, copy=False,
        help="When the blind parcel was matched to the brand's announcement (its reference and customer).")
    blind_unmatched = fields.Boolean(
        string="Unmatched", compute="_compute_blind_unmatched", store=True, index=True,
        help="A blind parcel that no announcement of the brand matched yet.")
    blind_age_days = fields.Integer(
        string="Unmatched For (Days)", compute="_compute_blind_age_days",
        help="Days since the unmatched parcel was received.")

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("client_id", "resolution")
    def _check_client_resolution(self):
        for order in self.filtered("client_id"):
            if order.resolution != "none":
                raise ValidationError(self.env._(
                    "%(name)s returns goods of %(client)s: the brand refunds its own customer, so the return "
                    "is resolved by no credit note, store credit or replacement from this company (resolution "
                    "'No Resolution').", name=order.name, client=order.client_id.display_name))

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("is_blind_parcel", "date_blind_matched")
    def _compute_blind_unmatched(self):
        for order in self:
            order.blind_unmatched = order.is_blind_parcel and not order.date_blind_matched

    @api.depends("blind_unmatched", "date_first_receipt", "create_date")
    def _compute_blind_age_days(self):
        now = fields.Datetime.now()
        for order in self:
            since = order.date_first_receipt or order.create_date
            order.blind_age_days = (now - since).days if order.blind_unmatched and since else 0

    @api.onchange("client_id")
    def _onchange_client_id(self):
        if self.client_id:
            self.resolution = "none"

    # ------------------------------------------------------------------
    # CRUD and protected fields
    # ------------------------------------------------------------------
    @api.model
    def _get_user_document_fields(self):
        # Whose goods they are is what the receipt's ownership is made of: fixed once submitted.
        return super()._get_user_document_fields() + ["client_id", "client_ref"]

    @api.model
    def _get_system_fields(self):
        # Blind or announced is what happened at the dock and at the matching; deadlines, warnings and
        # misses of the client's service levels are the flow's facts: the flow alone writes them.
        return super()._get_system_fields() + [
            "is_client_announced", "is_blind_parcel", "date_blind_matched", "blind_unmatched",
            "client_graded_deadline", "client_dispositioned_deadline", "client_graded_warned",
            "client_dispositioned_warned", "client_graded_late", "client_dispositioned_late", "client_sla_late"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A client's return credits no one here: its resolution is none unless one is asked for
            # (and then refused by the constraint, loudly).
            if vals.get("client_id") and "resolution" not in vals:
                vals["resolution"] = "none"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Receipt: the client's fee per return received
    # ------------------------------------------------------------------
    def _on_receipt_done(self):
        first = self.filtered(lambda o: o.client_id and not o.date_first_receipt)
        res = super()._on_receipt_done()
        for order in first.filtered("date_first_receipt"):
            self.env["return.client.fee.event"]._record("received", order, 1.0)
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_never_announced(self):
        # The brand's announcement is its record: deleting it would free its reference for another one.
        if not self.env.su and any(order.is_client_announced for order in self):
            raise UserError(self.env._("The brand announced these returns: cancel them instead."))

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_goods_owner(self):
        """The partner who owns this return's units once received: the client, or nobody (the company)."""
        self.ensure_one()
        return self.client_id

    # ==================================================================
    # The brand's policy: a client's return takes the brand's default policy before the company's, and
    # never another brand's; the company's own returns never take a brand's.
    # ==================================================================
    @api.depends("client_id")
    def _compute_policy_id(self):
        return super()._compute_policy_id()

    def _get_applicable_policy(self):
        if self.client_id:
            policy = self.env["return.policy"]._get_client_default_policy(self.company_id, self.client_id)
            if policy:
                return policy
        return super()._get_applicable_policy()

    def _is_policy_applicable(self, policy):
        if not super()._is_policy_applicable(policy):
            return False
        if policy.client_id:
            return policy.client_id == self.client_id
        # The company's policy serves a brand only while the brand has none of its own.
        return not self.client_id or not self.env["return.policy"]._get_client_default_policy(
            self.company_id, self.client_id)

    @api.constrains("client_id", "policy_id")
    def _check_client_policy(self):
        for order in self.filtered(lambda o: o.policy_id.client_id and o.policy_id.client_id != o.client_id):
            raise ValidationError(self.env._(
                "%(name)s cannot follow %(policy)s: that policy governs goods of %(client)s only.",
                name=order.name, policy=order.policy_id.name, client=order.policy_id.client_id.display_name))

    # ==================================================================
    # Service levels per client: receipt-to-graded and receipt-to-dispositioned targets of the brand's
    # policy. The grading SLA cron warns the responsible before a target is missed (once per return and
    # target) and marks the return late when it is; reaching a target after its deadline marks it late too.
    # Company-owned returns have no such targets (their grading SLA is the core's).
    # ==================================================================
    client_graded_deadline = fields.Datetime(
        string="Graded By", compute="_compute_client_deadlines", store=True, copy=False,
        help="The brand's target: every unit graded by then (first receipt + the policy's grading SLA).")
    client_dispositioned_deadline = fields.Datetime(
        string="Dispositioned By", compute="_compute_client_deadlines", store=True, copy=False,
        help="The brand's target: every unit dispositioned by then (first receipt + the policy's "
             "disposition target).")
    client_graded_warned = fields.Boolean(readonly=True, copy=False)
    client_dispositioned_warned = fields.Boolean(readonly=True, copy=False)
    client_graded_late = fields.Boolean(string="Grading Target Missed", readonly=True, copy=False)
    client_dispositioned_late = fields.Boolean(string="Disposition Target Missed", readonly=True, copy=False)
    client_sla_late = fields.Boolean(
        string="Client Target Missed", compute="_compute_client_sla_late", store=True, index=True)

    @api.depends("client_id", "date_first_receipt", "policy_id.grading_sla_hours", "policy_id.disposition_sla_hours")
    def _compute_client_deadlines(self):
        for order in self:
            start = order.client_id and order.date_first_receipt
            policy = order.policy_id
            order.client_graded_deadline = start and policy.grading_sla_hours \
                and start + timedelta(hours=policy.grading_sla_hours)
            order.client_dispositioned_deadline = start and policy.disposition_sla_hours \
                and start + timedelta(hours=policy.disposition_sla_hours)

    @api.depends("client_graded_late", "client_dispositioned_late")
    def _compute_client_sla_late(self):
        for order in self:
            order.client_sla_late = order.client_graded_late or order.client_dispositioned_late

    def _on_graded(self):
        res = super()._on_graded()
        now = fields.Datetime.now()
        graded = self.filtered(lambda o: o.client_graded_deadline and o.disposition_status != "to_grade")
        graded.filtered(lambda o: o.client_graded_deadline < now and not o.client_graded_late).sudo().write(
            {"client_graded_late": True})
        graded.sudo().activity_feedback(["reverse_logistics_3pl.mail_activity_client_grading_due"])
        return res

    def _on_dispositioned(self):
        res = super()._on_dispositioned()
        done = self.filtered(lambda o: o.client_dispositioned_deadline and o.date_dispositioned)
        done.filtered(lambda o: o.date_dispositioned > o.client_dispositioned_deadline
                      and not o.client_dispositioned_late).sudo().write({"client_dispositioned_late": True})
        done.sudo().activity_feedback(["reverse_logistics_3pl.mail_activity_client_disposition_due"])
        return res

    @api.model
    def _get_client_sla_targets(self):
        """(deadline field, warned field, late field, domain of returns still short of the target, activity)."""
        return [
            ("client_graded_deadline", "client_graded_warned", "client_graded_late",
             [("disposition_status", "=", "to_grade")],
             "reverse_logistics_3pl.mail_activity_client_grading_due"),
            ("client_dispositioned_deadline", "client_dispositioned_warned", "client_dispositioned_late",
             [("date_dispositioned", "=", False), ("disposition_status", "in", ("to_grade", "to_dispose",
                                                                              "in_process"))],
             "reverse_logistics_3pl.mail_activity_client_disposition_due"),
        ]

    @api.model
    def _get_client_sla_warning_domain(self, deadline_field, warned_field, pending, now):
        """Client returns short of a target whose deadline comes within their policy's warning time and
        that got no warning for it yet."""
        # One branch per warning time in use (a handful), not one per policy.
        hours = sorted(h for h, in self.env["return.policy"].sudo().with_context(active_test=False)._read_group(
            [], groupby=["sla_warning_hours"]))
        branches = [[("policy_id.sla_warning_hours", "=", h), (deadline_field, "<=", now + timedelta(hours=h))]
                    for h in hours]
        if not branches:
            return expression.FALSE_DOMAIN
        return expression.AND([[("client_id", "!=", False), (deadline_field, "!=", False),
                                (warned_field, "=", False)], pending, expression.OR(branches)])

    @api.model
    def _warn_client_service_levels(self, batch_size):
        """One batch of warnings and late marks; returns (done, remaining)."""
        now = fields.Datetime.now()
        orders = self.sudo()
        done = remaining = 0
        for deadline_field, warned_field, late_field, pending, activity_xmlid in self._get_client_sla_targets():
            activity_type = self.env.ref(activity_xmlid)
            domain = self._get_client_sla_warning_domain(deadline_field, warned_field, pending, now)
            batch = orders.search(domain, order=f"{deadline_field}, id", limit=batch_size)
            for order in batch:
                order.activity_schedule(
                    activity_type_id=activity_type.id, user_id=order._get_grading_sla_user().id,
                    date_deadline=fields.Date.to_date(order[deadline_field]),
                    note=self.env._("%(name)s (%(client)s) must meet the brand's target by %(deadline)s.",
                                    name=order.name, client=order.client_id.display_name,
                                    deadline=fields.Datetime.to_string(order[deadline_field])))
            batch.write({warned_field: True})
            late_domain = [("client_id", "!=", False), (deadline_field, "<", now), (late_field, "=", False),
                           *pending]
            late = orders.search(late_domain, limit=batch_size)
            late.write({late_field: True})
            done += len(batch) + len(late)
            remaining += orders.search_count(domain) + orders.search_count(late_domain)
        return done, remaining

    @api.model
    def _cron_grading_sla(self, batch_size=None):
        batch = super()._cron_grading_sla(batch_size=batch_size)
        done, remaining = self._warn_client_service_levels(batch_size or self._CRON_BATCH_SIZE)
        # One progress for the whole run: the core's grading warnings and the clients' targets.
        activity_type = self.env.ref("reverse_logistics.mail_activity_return_grading_overdue")
        remaining += self.sudo().search_count(self._get_grading_overdue_domain(activity_type))
        self.env["ir.cron"]._notify_progress(done=len(batch) + done, remaining=remaining)
        return batch

    # ==================================================================
    # Returns announced by the brand (JSON-RPC)
    # The brand sold the goods in its own shop: the 3PL's Odoo holds no sale, delivery or invoice for
    # them. The brand (its portal user, for its own goods only) or the 3PL's returns staff announce the
    # return with the brand's order reference, the customer and the lines; the units are then received
    # into the brand's ownership like any client return.
    # ==================================================================
    @api.model
    def action_announce_client_return(self, vals):
        """Create and submit the return of a client's goods announced by the brand.

        `vals`: {"client_id": int, "client_ref": str, "customer": {"name": str, "email": str},
        "lines": [{"product": default code or barcode, "qty": number, "lot": str (optional),
        "price": number (optional, the unit value for grading)}], "note": str (optional)}.
        Returns {"id", "name"} of the return; when the brand's parcel was received blind before, the
        parcel's return with "matched": True (it takes the reference and customer, its units stay as
        received). Nothing is created unless everything is valid."""
        if not isinstance(vals, dict):
            raise UserError(self.env._("An announced return is a dictionary of values."))
        client = self._get_announcing_client(vals.get("client_id"))
        client_ref = vals.get("client_ref")
        if not isinstance(client_ref, str) or not client_ref.strip():
            raise UserError(self.env._("An announced return needs the brand's order reference (client_ref)."))
        client_ref = check_text(self.env, client_ref, self.env._("The brand's order reference"), 128).strip()
        # Looked up as the system: the portal user does not read the 3PL's returns of other brands' goods.
        # A blind parcel with the reference written on its slip is this announcement's, not a duplicate.
        existing = self.sudo().search([("client_id", "=", client.id), ("client_ref", "=", client_ref),
                                       ("company_id", "=", self.env.company.id),
                                       ("blind_unmatched", "=", False)], limit=1)
        if existing:
            raise UserError(self.env._(
                "%(client)s already announced a return for order %(ref)s: %(name)s.",
                client=client.display_name, ref=client_ref, name=existing.name))
        line_vals = [self._prepare_announced_line_vals(line) for line in self._get_announced_lines(vals)]
        customer = self._get_announced_customer(client, vals.get("customer"))
        note = vals.get("note")
        if note is not None and not isinstance(note, str):
            raise UserError(self.env._("The note of an announced return is text."))
        if note:
            check_text(self.env, note, self.env._("Note"), self._CUSTOMER_NOTE_MAX_LENGTH)
        # The parcel may have arrived before its announcement: it takes the brand's reference and customer.
        parcel = self._find_blind_parcel(client, client_ref, line_vals)
        if parcel:
            parcel._match_blind_parcel(client_ref, customer, note or False, line_vals=line_vals,
                                       by_client=not self.env.user.has_group(RETURNS_USER))
            return {"id": parcel.id, "name": parcel.name, "matched": True}
        # Created as the system with only the values built here: no default of the caller's context
        # (default_state, default_resolution) and no field the caller chose.
        order_vals = self._prepare_announced_return_vals(client, client_ref, customer, line_vals, note or False)
        # The brand's own announcement: its lines are its facts. The 3PL announcing for it types its own.
        order_vals["is_client_announced"] = not self.env.user.has_group(RETURNS_USER)
        order = self.sudo().with_context(clean_context(self.env.context)).with_company(self.env.company).create(
            order_vals)
        order.message_post(body=self.env._(
            "Announced by %(user)s for %(client)s, order %(ref)s.", user=self.env.user.display_name,
            client=client.display_name, ref=client_ref))
        order.action_submit()
        return {"id": order.id, "name": order.name}

    @api.model
    def _get_announcing_client(self, client_id):
        """The client whose goods are announced, after the caller's rights: the 3PL's returns staff for
        any client of the company, a portal user for their own company (commercial partner) only."""
        check_id(self.env, client_id, self.env._("Client"))
        user = self.env.user
        client = self.env["res.partner"].sudo().browse(client_id).exists()
        if user.has_group(RETURNS_USER):
            if not client or (client.company_id and client.company_id != self.env.company):
                raise UserError(self.env._("Client %(id)s is no partner of %(company)s.", id=client_id,
                                           company=self.env.company.name))
            return client
        if user._is_portal() and user.has_group(BRAND_PORTAL) and client \
                and client == user.partner_id.commercial_partner_id \
                and not (client.company_id and client.company_id != self.env.company) \
                and self._is_served_client(client, self.env.company):
            return client
        # The same refusal whether the partner exists or not: a brand learns nothing of other partners.
        raise AccessError(self.env._(
            "Only the returns team or the brand itself may announce returns of the brand's goods."))

    @api.model
    def _is_served_client(self, client, company):
        """Whether `company` runs `client`'s returns as a 3PL: the brand has fees or a policy of its own
        there, or returns of its goods already. A customer's own company is no brand."""
        domain = [("client_id", "=", client.id), ("company_id", "=", company.id)]
        return any(self.env[model].sudo().search_count(domain, limit=1)
                   for model in ("return.client.fee", "return.policy", "return.order"))

    @api.model
    def _get_announced_lines(self, vals):
        lines = vals.get("lines")
        if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
            raise UserError(self.env._("An announced return needs lines: a list of dictionaries."))
        if len(lines) > 500:
            raise UserError(self.env._("An announced return holds at most 500 lines."))
        return lines

    @api.model
    def _find_announced_product(self, code):
        """The product a brand names by its default code or barcode, among this company's products."""
        if not isinstance(code, str) or not code.strip():
            raise UserError(self.env._("Each announced line names its product (default code or barcode)."))
        code = check_text(self.env, code, self.env._("Product"), 128).strip()
        products = self.env["product.product"].sudo().search([
            "|", ("default_code", "=", code), ("barcode", "=", code), ("type", "=", "consu"),
            *self.env["product.product"]._check_company_domain(self.env.company),
        ], limit=2)
        if len(products) != 1:
            raise UserError(self.env._(
                "%(code)s names %(what)s: announce the product by its default code or barcode.", code=code,
                what=self.env._("no product") if not products else self.env._("more than one product")))
        return products

    @api.model
    def _prepare_announced_line_vals(self, line):
        product = self._find_announced_product(line.get("product"))
        qty = check_number(self.env, line.get("qty"), self.env._("Quantity"))
        if qty <= 0:
            raise UserError(self.env._("%(product)s: the quantity announced must be positive.",
                                       product=product.display_name))
        price = check_number(self.env, line.get("price", 0.0), self.env._("Unit Price"))
        if price < 0:
            raise UserError(self.env._("%(product)s: a unit price is never negative.", product=product.display_name))
        vals = {"product_id": product.id, "product_uom_qty": qty, "price_unit": price}
        lot_name = line.get("lot")
        if lot_name not in (None, False, ""):
            if not isinstance(lot_name, str) or product.tracking == "none":
                raise UserError(self.env._("%(product)s is tracked by no lot or serial number: %(lot)s.",
                                           product=product.display_name, lot=lot_name))
            check_text(self.env, lot_name, self.env._("Lot/Serial Number"), 128)
            if product.tracking == "serial" and qty != 1:
                raise UserError(self.env._("%(product)s: one unit per serial number (%(lot)s).",
                                           product=product.display_name, lot=lot_name))
            vals["lot_id"] = self._get_announced_lot(product, lot_name.strip()).id
        return vals

    @api.model
    def _get_announced_lot(self, product, name):
        """The brand's lot or serial number: this company's lot of that name, or a new one (the brand's
        units were never in this company's stock)."""
        lots = self.env["stock.lot"].sudo()
        lot = lots.search([("product_id", "=", product.id), ("name", "=", name),
                          *lots._check_company_domain(self.env.company)], limit=1)
        return lot or lots.create({"product_id": product.id, "name": name, "company_id": self.env.company.id})

    @api.model
    def _get_announced_customer(self, client, customer_vals):
        """The brand's customer, a partner of its own marked as the brand's shopper (never a contact of the
        brand: given portal access, a contact would be the brand): found again by e-mail among the brand's
        shoppers only, so a brand never attaches a return to a partner of the 3PL or of another brand."""
        if not isinstance(customer_vals, dict) or not isinstance(customer_vals.get("name"), str) \
                or not customer_vals["name"].strip():
            raise UserError(self.env._("An announced return names its customer: {'name': ..., 'email': ...}."))
        check_text(self.env, customer_vals["name"], self.env._("Customer"), 256)
        email = customer_vals.get("email")
        if email is not None:
            check_text(self.env, email, self.env._("E-mail"), 254)
        if email is not None and not (isinstance(email, str) and email_normalize(email)):
            raise UserError(self.env._("%(email)s is not an e-mail address.", email=email))
        partners = self.env["res.partner"].sudo()
        if email:
            found = partners.search([("shopper_of_client_id", "=", client.id),
                                     ("email_normalized", "=", email_normalize(email))], limit=1)
            if found:
                return found
        return partners.create({
            "name": customer_vals["name"].strip(), "email": email or False, "shopper_of_client_id": client.id,
            "company_id": client.company_id.id,
        })

    def _prepare_announced_return_vals(self, client, client_ref, customer, line_vals, note):
        reason = self.env.ref("reverse_logistics.return_reason_not_needed", raise_if_not_found=False)
        return {
            "partner_id": customer.id,
            "client_id": client.id,
            "client_ref": client_ref,
            "company_id": self.env.company.id,
            "return_type_id": self._get_default_return_type(self.env.company).id,
            "resolution": "none",
            "customer_note": note,
            "line_ids": [Command.create({"reason_id": reason.id if reason else False, **vals})
                         for vals in line_vals],
        }

    # ==================================================================
    # Blind parcels: received unannounced, matched later
    # A parcel of a brand's goods arrives before (or without) the brand's announcement. The clerk knows
    # the brand from the label and maybe a product, a serial or the brand's order reference on the slip:
    # the goods are received at once into the brand's ownership, as a return of the brand's (its
    # customer unknown). The brand's announcement (or the clerk) later matches it: the parcel's return
    # takes the brand's reference and customer, its received units stay where they are.
    # ==================================================================
    @api.model
    def action_receive_blind_parcel(self, vals):
        """Receive an unannounced parcel of a client's goods into the client's ownership at once.

        `vals`: {"client_id": int, "client_ref": str (optional, from the slip), "lines": [{"product":
        default code or barcode, "qty": number, "lot": str (optional)}], "note": str (optional)}.
        Returns {"id", "name"} of the return, received. Nothing is created unless everything is valid."""
        if not self.env.user.has_group(RETURNS_USER):
            raise AccessError(self.env._("Only the returns team's warehouse staff receive blind parcels."))
        if not isinstance(vals, dict):
            raise UserError(self.env._("A blind parcel is a dictionary of values."))
        client = self._get_announcing_client(vals.get("client_id"))
        client_ref = vals.get("client_ref") or False
        if client_ref is not False:
            if not isinstance(client_ref, str):
                raise UserError(self.env._("The brand's order reference is text."))
            client_ref = check_text(self.env, client_ref, self.env._("The brand's order reference"), 128).strip() \
                or False
        if client_ref:
            existing = self.sudo().search([("client_id", "=", client.id), ("client_ref", "=", client_ref),
                                           ("company_id", "=", self.env.company.id)], limit=1)
            if existing:
                raise UserError(self.env._(
                    "%(client)s's order %(ref)s is already %(name)s: receive the parcel on its receipt.",
                    client=client.display_name, ref=client_ref, name=existing.name))
        line_vals = [self._prepare_announced_line_vals(dict(line, price=0.0))
                     for line in self._get_announced_lines(vals)]
        note = vals.get("note")
        if note is not None and not isinstance(note, str):
            raise UserError(self.env._("The note of a blind parcel is text."))
        if note:
            check_text(self.env, note, self.env._("Note"), self._CUSTOMER_NOTE_MAX_LENGTH)
        # Until matched, the customer is unknown: the return is the brand's own.
        order_vals = self._prepare_announced_return_vals(client, client_ref, client, line_vals, note or False)
        order_vals["is_blind_parcel"] = True
        order = self.sudo().with_context(clean_context(self.env.context)).with_company(self.env.company).create(
            order_vals)
        order.message_post(body=self.env._("Blind parcel of %(client)s received by %(user)s.",
                                           client=client.display_name, user=self.env.user.display_name))
        order.date_submitted = fields.Datetime.now()
        # The goods are on the dock: no approval to wait for, nothing is credited (resolution none).
        order._action_approve()
        order.with_user(self.env.user).with_context(clean_context(self.env.context))._receive_blind_parcel()
        return {"id": order.id, "name": order.name}

    def _receive_blind_parcel(self):
        """Validate the parcel's receipt for every announced unit, as the clerk who holds it (the receipt's
        move lines carry the client as owner)."""
        for picking in self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel")):
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(skip_backorder=True, cancel_backorder=True).button_validate()

    def _is_customer_mail_sent(self, switch):
        # An unmatched parcel's customer is unknown (the brand stands in): the brand gets no customer mail.
        return not self.blind_unmatched and super()._is_customer_mail_sent(switch)

    @api.model
    def _find_blind_parcel(self, client, client_ref, line_vals):
        """The client's unmatched parcel an announcement is about: by the reference on its slip, else by a
        serial or lot announced, else the one parcel holding exactly the products and quantities."""
        parcels = self.sudo().search([("client_id", "=", client.id), ("blind_unmatched", "=", True),
                                      ("company_id", "=", self.env.company.id)], order="id")
        by_ref = parcels.filtered(lambda p: p.client_ref == client_ref)
        if by_ref:
            return by_ref[:1]
        lot_ids = {vals["lot_id"] for vals in line_vals if vals.get("lot_id")}
        by_lot = parcels.filtered(lambda p: not p.client_ref and lot_ids & set(p.line_ids.lot_id.ids))
        if len(by_lot) == 1:
            return by_lot

        def _content(product_lots_qtys):
            content = {}
            for product_id, lot_id, qty in product_lots_qtys:
                content[product_id, lot_id] = content.get((product_id, lot_id), 0.0) + qty
            return content

        announced = _content((v["product_id"], v.get("lot_id") or False, v["product_uom_qty"]) for v in line_vals)
        by_content = parcels.filtered(lambda p: not p.client_ref and _content(
            (line.product_id.id, line.lot_id.id or False, line.product_uom_qty) for line in p.line_ids) == announced)
        return by_content if len(by_content) == 1 else self.browse()

    def _match_blind_parcel(self, client_ref, customer, note, line_vals=None, by_client=False):
        """The parcel's return takes the brand's reference, customer and note (as the system: the caller
        was checked, and these fields are fixed for users once the return is submitted), and the unit prices
        the brand announced for lines that arrived without one: the value its approvals and fees read."""
        self.ensure_one()
        self.sudo().write({
            "client_ref": client_ref, "partner_id": customer.id, "date_blind_matched": fields.Datetime.now(),
            "is_client_announced": by_client,
            **({"customer_note": note} if note else {}),
        })
        prices = {(vals["product_id"], vals.get("lot_id") or False): vals["price_unit"]
                  for vals in line_vals or [] if vals.get("price_unit")}
        for line in self.sudo().line_ids.filtered(lambda rl: not rl.price_unit):
            price = prices.get((line.product_id.id, line.lot_id.id or False)) \
                or prices.get((line.product_id.id, False))
            if price:
                line.price_unit = price
        self.message_post(body=self.env._("Matched by %(user)s to %(client)s's order %(ref)s (%(customer)s).",
                                          user=self.env.user.display_name, client=self.client_id.display_name,
                                          ref=client_ref, customer=customer.display_name))

    def action_match_announced_return(self, return_id):
        """The clerk matches this blind parcel to the brand's announced return (received nothing yet): the
        parcel takes its reference and customer and the announced return is cancelled, so the units are
        received once."""
        self.ensure_one()
        check_flow_access(self, RETURNS_USER)
        check_id(self.env, return_id, self.env._("Announced Return"))
        announced = self.browse(return_id).exists()
        if not announced:
            raise UserError(self.env._("Return %(id)s does not exist.", id=return_id))
        announced.check_access("write")
        parcel = self.sudo()
        if not parcel.blind_unmatched:
            raise UserError(self.env._("%(name)s is no unmatched blind parcel.", name=parcel.name))
        announced = announced.sudo()
        if announced.client_id != parcel.client_id or announced.company_id != parcel.company_id:
            raise UserError(self.env._(
                "%(parcel)s holds goods of %(owner)s, %(announced)s is a return of %(other)s: a parcel is "
                "matched only to its owner's announcement.", parcel=parcel.name,
                owner=parcel.client_id.display_name, announced=announced.name,
                other=announced.client_id.display_name or self.env._("this company")))
        if announced.is_blind_parcel or not announced.client_ref \
                or announced.receipt_ids.filtered(lambda p: p.state == "done") \
                or announced.state not in ("draft", "approved"):
            raise UserError(self.env._(
                "%(name)s is no announced return waiting for its goods: it cannot take over the parcel.",
                name=announced.name))
        client_ref, customer, note = announced.client_ref, announced.partner_id, announced.customer_note
        by_client = announced.is_client_announced
        line_vals = [{"product_id": line.product_id.id, "lot_id": line.lot_id.id, "price_unit": line.price_unit}
                     for line in announced.line_ids]
        announced.action_cancel()
        announced.message_post(body=self.env._("Its goods arrived as the blind parcel %(name)s.", name=parcel.name))
        # The reference is the parcel's now: the cancelled announcement keeps it in its chatter only.
        announced.client_ref = False
        self._match_blind_parcel(client_ref, customer, note, line_vals=line_vals, by_client=by_client)
        return True

    # ==================================================================
    # The brand's portal
    # ==================================================================
    def _is_brand_portal_viewer(self, user):
        """Whether `user` (the visitor: the portal controller hands the return as the system) is a portal
        user of the brand that owns this return's goods."""
        self.ensure_one()
        return bool(self.client_id) and user._is_portal() and user.has_group(BRAND_PORTAL) \
            and self.client_id.commercial_partner_id == user.partner_id.commercial_partner_id

    @api.model
    def _get_brand_portal_report(self, user, months=12):
        """The brand's figures per month over the last `months`, read as its portal user `user` through
        his record rules and limited to the brand's goods: returns and units received, units graded, units
        dispositioned per operation. Nothing of the 3PL's costs, values or fees."""
        partner = user.partner_id.commercial_partner_id
        if not user._is_portal() or not user.has_group(BRAND_PORTAL) or not partner:
            return {"operations": [], "rows": []}
        since = fields.Datetime.start_of(fields.Datetime.subtract(fields.Datetime.now(), months=months - 1), "month")
        brand = [("client_id", "!=", False), ("client_id", "child_of", partner.id)]
        # Every month in the brand user's time zone, read in groups: nothing loads the returns themselves.
        as_user = self.with_user(user).with_context(tz=user.tz or "UTC")
        lines = as_user.env["return.order.line"]
        gradings = as_user.env["return.grading"]
        rows = defaultdict(lambda: defaultdict(float))
        received = as_user._read_group(brand + [("date_received", ">=", since)], ["date_received:month"],
                                       ["__count", "id:array_agg"])
        units_by_order = {order.id: qty for order, qty in lines._read_group(
            [("order_id", "in", [i for _month, _count, ids in received for i in ids])],
            ["order_id"], ["qty_received:sum"])}
        for month, count, ids in received:
            month = month.date() if hasattr(month, "date") else month
            rows[month]["returns"] += count
            rows[month]["received"] += sum(units_by_order.get(i, 0.0) for i in ids)
        graded_domain = [("order_id.client_id", "!=", False), ("order_id.client_id", "child_of", partner.id),
                         ("previous_grading_id", "=", False)]
        for month, qty in gradings._read_group(
                graded_domain + [("date_graded", ">=", since)], ["date_graded:month"], ["quantity:sum"]):
            rows[month.date() if hasattr(month, "date") else month]["graded"] += qty
        used = set()
        for month, operation, qty in gradings._read_group(
                graded_domain + [("date_dispositioned", ">=", since), ("operation", "!=", False)],
                ["date_dispositioned:month", "operation"], ["quantity:sum"]):
            rows[month.date() if hasattr(month, "date") else month][operation] += qty
            used.add(operation)
        labels = dict(self.env["return.grading"]._fields["operation"]._description_selection(self.env))
        operations = [(key, labels[key]) for key in labels if key in used]
        return {
            "operations": operations,
            "rows": [dict(values, month=month) for month, values in sorted(rows.items(), reverse=True)],
        }

    def _get_brand_portal_users(self):
        """The portal users of the brand that owns this return's goods (they decide on its approvals)."""
        self.ensure_one()
        if not self.client_id:
            return self.env["res.users"]
        return self.env["res.users"].sudo().search([
            ("partner_id", "child_of", self.client_id.commercial_partner_id.id), ("share", "=", True),
            ("groups_id", "in", self.env.ref(BRAND_PORTAL).id)])

    def _get_brand_portal_gradings(self, user):
        """The gradings shown on the brand's portal page, read as the visitor through its record rules (the
        grade, checklist and disposition names are the 3PL's configuration, shown as names only)."""
        self.ensure_one()
        gradings = self.env["return.grading"].with_user(user)
        if not self._is_brand_portal_viewer(user):
            return gradings
        return gradings.search([("order_id", "=", self.id)], order="id")
