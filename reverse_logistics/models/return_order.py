from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

RETURNS_USER = "reverse_logistics.group_return_user"
RETURNS_MANAGER = "reverse_logistics.group_return_manager"


class ReturnOrder(models.Model):
    _name = "return.order"
    _description = "Return Order"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "reverse.logistics.flow.mixin"]
    _order = "date_request desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, index="trigram", default="New",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("receiving", "Receiving"),
            ("received", "Received"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        default="draft", required=True, copy=False, tracking=True, index=True, readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, tracking=True, index=True, check_company=True,
    )
    commercial_partner_id = fields.Many2one(related="partner_id.commercial_partner_id", store=True)
    return_type = fields.Selection(
        [("customer", "Customer Return"), ("distributor", "Distributor Return"), ("warranty", "Warranty")],
        default="customer", required=True, tracking=True,
    )
    sale_order_id = fields.Many2one(
        "sale.order", string="Sale Order", check_company=True, index="btree_not_null", tracking=True,
        domain="[('partner_id.commercial_partner_id', '=', commercial_partner_id), "
        "('state', '=', 'sale')]",
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", check_company=True, index="btree_not_null",
        domain="[('picking_type_code', '=', 'outgoing'), ('state', '=', 'done')]",
    )
    invoice_id = fields.Many2one(
        "account.move", string="Invoice", check_company=True, index="btree_not_null",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', commercial_partner_id)]",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1),
    )
    policy_id = fields.Many2one(
        "return.policy", string="Return Policy", check_company=True,
        compute="_compute_policy_id", store=True, readonly=False, precompute=True,
    )
    resolution = fields.Selection(
        [
            ("refund", "Refund"),
            ("exchange", "Exchange"),
            ("store_credit", "Store Credit"),
            ("none", "No Resolution"),
        ],
        default="refund", required=True, tracking=True,
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", store=True, precompute=True)
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self._get_default_responsible(), tracking=True,
        domain="[('share', '=', False)]",
    )
    line_ids = fields.One2many("return.order.line", "order_id", string="Lines", copy=True)
    note = fields.Html(string="Internal Note", groups="base.group_user")
    customer_note = fields.Text(
        string="Customer's Note", help="What the customer wrote when asking for the return (plain text).",
    )
    reject_reason = fields.Text(readonly=True, copy=False)
    policy_override = fields.Boolean(
        string="Window Overridden", readonly=True, copy=False, tracking=True,
        help="A manager accepted this return outside the return window.",
    )

    receipt_ids = fields.One2many("stock.picking", "return_order_id", string="Receipts")
    credit_note_ids = fields.One2many("account.move", "return_order_id", string="Credit Notes")
    exchange_order_ids = fields.One2many("sale.order", "return_order_id", string="Replacement Orders")
    # Counted as the system: a clerk without Invoicing or Sales rights still opens the return.
    receipt_count = fields.Integer(compute="_compute_counts", compute_sudo=True)
    credit_note_count = fields.Integer(compute="_compute_counts", compute_sudo=True)
    exchange_order_count = fields.Integer(compute="_compute_counts", compute_sudo=True)

    date_request = fields.Datetime(
        string="Requested On", default=fields.Datetime.now, required=True, copy=False, tracking=True,
    )
    date_submitted = fields.Datetime(
        string="Submitted On", readonly=True, copy=False,
        help="From then on, the customer, the return type, the origin and the request date are fixed.",
    )
    date_approved = fields.Datetime(string="Approved On", readonly=True, copy=False)
    date_first_receipt = fields.Datetime(string="First Receipt On", readonly=True, copy=False)
    date_received = fields.Datetime(string="Received On", readonly=True, copy=False)
    date_resolved = fields.Datetime(
        string="Resolved On", readonly=True, copy=False,
        help="When the customer was last credited or sent a replacement.",
    )
    date_done = fields.Datetime(string="Closed On", readonly=True, copy=False)
    date_cancel = fields.Datetime(string="Cancelled On", readonly=True, copy=False)

    amount_untaxed = fields.Monetary(compute="_compute_amounts", store=True, string="Requested Value")
    amount_restocking_fee = fields.Monetary(compute="_compute_amounts", store=True, string="Restocking Fees")
    amount_refunded = fields.Monetary(
        compute="_compute_amount_refunded", store=True, string="Credited",
        help="Total of the posted credit notes of this return, taxes included.",
    )
    policy_problems = fields.Text(compute="_compute_policy_problems", string="Policy Check", compute_sudo=True)
    user_is_return_manager = fields.Boolean(
        compute="_compute_user_is_return_manager",
        help="Technical: the current user may set what only a Returns Manager sets (policy, dates, fees).",
    )

    # Grading and disposition run beside the customer's resolution (a refund often comes before the
    # units are graded), so their progress is a status of its own rather than a step of `state`.
    grading_ids = fields.One2many("return.grading", "order_id", string="Gradings")
    disposition_status = fields.Selection(
        [
            ("none", "Nothing Received"),
            ("to_grade", "To Grade"),
            ("to_dispose", "To Disposition"),
            ("in_process", "In Process"),
            ("processed", "Processed"),
        ],
        compute="_compute_disposition_status", store=True, index=True, string="Processing",
    )
    date_graded = fields.Datetime(string="Graded On", readonly=True, copy=False)
    date_dispositioned = fields.Datetime(string="Processed On", readonly=True, copy=False)
    cycle_time_refund = fields.Float(
        string="Request to Resolution (h)", compute="_compute_cycle_times", store=True, aggregator="avg",
    )
    cycle_time_disposition = fields.Float(
        string="Receipt to Processed (h)", compute="_compute_cycle_times", store=True, aggregator="avg",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    # The recovery ledger is the company's business, not the customer's: internal users only.
    refund_amount = fields.Monetary(
        string="Refunded (untaxed)", currency_field="company_currency_id",
        compute="_compute_ledger", store=True, groups="base.group_user",
    )
    restocking_fee_charged = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
    )
    processing_cost = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user")
    recovery_value = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user")
    net_recovery = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user")
    return_cost = fields.Monetary(
        currency_field="company_currency_id", compute="_compute_ledger", store=True, groups="base.group_user",
        help="What the return cost the company: refund less net recovery.",
    )

    @api.depends_context("uid")
    def _compute_user_is_return_manager(self):
        self.user_is_return_manager = self.env.user.has_group("reverse_logistics.group_return_manager")

    @api.model
    def _get_default_responsible(self):
        """An internal user: whoever creates the return, else (portal, e-mail, cron) the policy's."""
        if not self.env.user.share and not self.env.user._is_public():
            return self.env.user
        return self.env["return.policy"].sudo()._get_default_policy(self.env.company).user_id

    @api.depends("company_id")
    def _compute_policy_id(self):
        for order in self:
            if not order.policy_id or order.policy_id.company_id != order.company_id:
                order.policy_id = self.env["return.policy"]._get_default_policy(order.company_id)

    @api.depends("sale_order_id", "invoice_id", "company_id")
    def _compute_currency_id(self):
        for order in self:
            order.currency_id = (
                order.invoice_id.currency_id or order.sale_order_id.currency_id or order.company_id.currency_id
            )

    @api.depends("receipt_ids", "credit_note_ids", "exchange_order_ids")
    def _compute_counts(self):
        for order in self:
            order.receipt_count = len(order.receipt_ids)
            order.credit_note_count = len(order.credit_note_ids)
            order.exchange_order_count = len(order.exchange_order_ids)

    @api.depends("line_ids.price_subtotal", "line_ids.restocking_fee_amount")
    def _compute_amounts(self):
        for order in self:
            order.amount_untaxed = sum(order.line_ids.mapped("price_subtotal"))
            order.amount_restocking_fee = sum(order.line_ids.mapped("restocking_fee_amount"))

    @api.depends("credit_note_ids.state", "credit_note_ids.amount_total_in_currency_signed")
    def _compute_amount_refunded(self):
        for order in self:
            posted = order.credit_note_ids.filtered(lambda m: m.state == "posted")
            order.amount_refunded = -sum(posted.mapped("amount_total_in_currency_signed"))

    @api.depends("line_ids.qty_received", "line_ids.qty_graded", "line_ids.qty_dispositioned",
                 "grading_ids.state")
    def _compute_disposition_status(self):
        for order in self:
            lines = order.line_ids
            received = sum(lines.mapped("qty_received"))
            if not received:
                order.disposition_status = "none"
            elif any(line.qty_to_grade > 0 for line in lines):
                order.disposition_status = "to_grade"
            elif any(g.state == "graded" for g in order.grading_ids):
                order.disposition_status = "to_dispose"
            elif any(g.state == "dispositioned" for g in order.grading_ids):
                order.disposition_status = "in_process"
            else:
                order.disposition_status = "processed"

    @api.depends("date_request", "date_resolved", "date_first_receipt", "date_dispositioned")
    def _compute_cycle_times(self):
        for order in self:
            order.cycle_time_refund = (order.date_resolved - order.date_request).total_seconds() / 3600.0 \
                if order.date_resolved else 0.0
            order.cycle_time_disposition = \
                (order.date_dispositioned - order.date_first_receipt).total_seconds() / 3600.0 \
                if order.date_dispositioned and order.date_first_receipt else 0.0

    @api.depends("line_ids.refund_amount", "line_ids.restocking_fee_charged", "line_ids.processing_cost",
                 "line_ids.recovery_value")
    def _compute_ledger(self):
        for order in self:
            lines = order.line_ids
            order.refund_amount = sum(lines.mapped("refund_amount"))
            order.restocking_fee_charged = sum(lines.mapped("restocking_fee_charged"))
            order.processing_cost = sum(lines.mapped("processing_cost"))
            order.recovery_value = sum(lines.mapped("recovery_value"))
            order.net_recovery = order.recovery_value - order.processing_cost
            order.return_cost = order.refund_amount - order.net_recovery

    @api.depends("line_ids.policy_problems")
    def _compute_policy_problems(self):
        for order in self:
            order.policy_problems = "\n".join(filter(None, order.line_ids.mapped("policy_problems")))

    @api.onchange("sale_order_id")
    def _onchange_sale_order_id(self):
        if self.sale_order_id:
            self.partner_id = self.sale_order_id.partner_id
            self.warehouse_id = self.sale_order_id.warehouse_id

    @api.model
    def _get_customer_matched_return_types(self):
        """Return types whose lines must give back what was sold to the return's customer. Hook: a
        recall returns what was delivered to a consignee, who may not be who bought it."""
        return ["customer", "distributor", "warranty", "takeback"]

    def _get_document_customers(self):
        """The commercial partners of the documents this return names: its customer must be one of
        them (credit notes go to the invoice's customer, mails to the return's)."""
        self.ensure_one()
        sale = self.sale_order_id or self.picking_id.sale_id
        return (sale.partner_id | self.invoice_id.partner_id
                | (self.picking_id.partner_id if not sale else self.env["res.partner"])).commercial_partner_id

    @api.constrains("partner_id", "sale_order_id", "picking_id", "invoice_id")
    def _check_customer_is_documents_customer(self):
        for order in self.sudo():
            customers = order._get_document_customers()
            if customers and order.partner_id.commercial_partner_id not in customers:
                raise ValidationError(self.env._(
                    "%(partner)s is not the customer of %(documents)s: a return gives back what its own "
                    "customer bought.", partner=order.partner_id.display_name,
                    documents=", ".join(filter(None, (order.sale_order_id.name, order.picking_id.name,
                                                      order.invoice_id.name)))))

    @api.constrains("sale_order_id", "picking_id", "invoice_id")
    def _check_documents_access(self):
        """A user names only documents they may read: the returnable quantities are then counted as
        the system, over every return of those documents, which the user may not all see."""
        if self.env.su:
            return
        for order in self:
            for document in (order.sale_order_id, order.picking_id, order.invoice_id):
                if document:
                    document.check_access("read")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # Users never choose the reference: theirs is replaced by the sequence's.
            if vals.get("name", "New") == "New" or not self.env.su:
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("return.order") or "New"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # What users may write (reverse.logistics.flow.mixin); the flow writes the rest as superuser
    # ------------------------------------------------------------------
    @api.model
    def _get_user_document_fields(self):
        """What the return is about: fixed once it is submitted."""
        return {"partner_id", "return_type", "sale_order_id", "picking_id", "invoice_id", "company_id"}

    @api.model
    def _get_manager_draft_fields(self):
        """Draft fields only a Returns Manager sets: they decide the window and the approval rules."""
        return {"date_request", "policy_id"}

    @api.model
    def _get_user_creatable_fields(self, vals):
        allowed = self._get_user_document_fields() | {
            "name", "warehouse_id", "resolution", "note", "customer_note", "user_id", "line_ids",
        }
        if self.env.user.has_group("reverse_logistics.group_return_manager"):
            allowed |= self._get_manager_draft_fields()
        return allowed

    def _get_user_writable_fields(self):
        self.ensure_one()
        allowed = {"note", "user_id", "line_ids"}
        if self.state == "draft":
            allowed |= {"warehouse_id", "resolution", "customer_note"}
            if not self.date_submitted:
                allowed |= self._get_user_document_fields()
            if self.env.user.has_group("reverse_logistics.group_return_manager"):
                allowed |= {"policy_id"} if self.date_submitted else self._get_manager_draft_fields()
        elif self.state == "approved" and not (self.sudo().credit_note_ids or self.sudo().exchange_order_ids):
            # The customer may still change their mind before anything was credited or shipped.
            allowed.add("resolution")
        return allowed

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for order in self:
            if order.state not in ("draft", "cancel") or order.receipt_ids.filtered(lambda p: p.state == "done"):
                raise UserError(self.env._(
                    "%(name)s is %(state)s: only draft or cancelled returns can be deleted.",
                    name=order.name, state=dict(order._fields["state"]._description_selection(self.env))[order.state],
                ))

    def _compute_access_url(self):
        super()._compute_access_url()
        for order in self:
            order.access_url = f"/my/returns/{order.id}"

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    @api.model
    def _get_windowed_return_types(self):
        """Return types to which the policy window applies (distributor terms are negotiated)."""
        return ["customer"]

    @api.model
    def _get_auto_approvable_return_types(self):
        """Return types the policy approves by itself; the others (warranty claims, distributor terms,
        recalls) always go to a manager, so choosing a type never dodges the window."""
        return ["customer"]

    def _get_amount_in_company_currency(self, amount):
        """`amount` of this return's currency in company currency, at the return's date."""
        self.ensure_one()
        company = self.company_id
        if not self.currency_id or self.currency_id == company.currency_id:
            return amount
        date = (self.date_request or fields.Datetime.now()).date()
        return self.currency_id._convert(amount, company.currency_id, company, date)

    def _is_auto_approvable(self):
        self.ensure_one()
        policy = self.policy_id
        # The limit is in company currency; the return's value is in the invoice's.
        return bool(
            policy.auto_approve
            and self.return_type in self._get_auto_approvable_return_types()
            # Units sold on no document of the company, at a price the user typed: a manager decides.
            and not any(line._is_priced_by_hand() for line in self.line_ids.sudo())
            and not self.line_ids.sudo()._get_policy_problems()
            and float_compare(self._get_amount_in_company_currency(self.amount_untaxed),
                              policy.auto_approve_max_amount,
                              precision_rounding=self.company_id.currency_id.rounding) <= 0
        )

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    def _check_lines_before_approval(self):
        for order in self:
            if not order.line_ids:
                raise UserError(self.env._("%(name)s has no lines to return.", name=order.name))
            if not order.policy_id:
                raise UserError(self.env._(
                    "No return policy applies to %(name)s: set a default policy for %(company)s.",
                    name=order.name, company=order.company_id.name,
                ))
            if not (order.warehouse_id.return_type_id and order.warehouse_id.return_route_id):
                order.warehouse_id._ensure_return_setup()
            order.line_ids._check_returnable_quantity()
            problems = order.line_ids.sudo()._get_policy_problems()
            if order.policy_override:
                problems = [p for p in problems if p[0] != "window"]
            if problems:
                raise UserError(self.env._(
                    "The return policy refuses %(name)s:\n%(problems)s",
                    name=order.name, problems="\n".join(f"- {msg}" for _code, msg in problems),
                ))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_drafts(self, action):
        not_draft = self.filtered(lambda o: o.state != "draft")
        if not_draft:
            raise UserError(self.env._("Only draft returns can be %(action)s: %(names)s.", action=action,
                                       names=", ".join(not_draft.mapped("name"))))

    def action_submit(self):
        """Submit a draft return: approve it at once when the policy allows, else ask a manager."""
        self._check_flow_access()
        self._check_drafts(self.env._("submitted"))
        to_approve = self.browse()
        activity_type = self.env.ref("reverse_logistics.mail_activity_return_approval", raise_if_not_found=False)
        managers = self.env.ref(RETURNS_MANAGER).users
        for order in self:
            if not order.line_ids:
                raise UserError(self.env._("%(name)s has no lines to return.", name=order.name))
            order.line_ids._check_returnable_quantity()
            if not order.date_submitted:
                order.sudo().date_submitted = fields.Datetime.now()
            if order._is_auto_approvable():
                to_approve |= order
            elif activity_type:
                user = (managers & order.company_id.user_ids)[:1] or self.env.user
                order.activity_schedule(
                    activity_type_id=activity_type.id, user_id=user.id,
                    note=order.policy_problems or self.env._("Above the auto-approval limit."),
                )
        if to_approve:
            to_approve.sudo()._action_approve()
        return True

    def action_approve(self):
        self._check_flow_access()
        self._check_drafts(self.env._("approved"))
        if not self.env.user.has_group(RETURNS_MANAGER) and any(
            not order._is_auto_approvable() for order in self
        ):
            raise AccessError(self.env._(
                "Only a Returns Manager may approve a return that the policy does not approve by itself."
            ))
        return self._action_approve()

    def _action_approve(self):
        orders = self.filtered(lambda o: o.state == "draft")
        if not orders:
            raise UserError(self.env._("Only draft returns can be approved."))
        orders._check_lines_before_approval()
        # Approval activities are scheduled on submission: a return never submitted has none to close.
        submitted = orders.filtered("date_submitted")
        now = fields.Datetime.now()
        for order in orders:
            order.sudo().write({
                "state": "approved", "date_approved": now, "date_submitted": order.date_submitted or now,
            })
        submitted.activity_feedback(["reverse_logistics.mail_activity_return_approval"])
        orders._create_receipts()
        for order in orders.filtered(lambda o: o.policy_id.refund_step == "approval"):
            # What the policy resolves by itself is the system's act, not the approver's accounting.
            order.sudo()._resolve()
        return True

    def action_reject(self):
        self._check_flow_access(RETURNS_MANAGER)
        self._check_drafts(self.env._("rejected"))
        return {
            "name": self.env._("Reject Return"),
            "type": "ir.actions.act_window",
            "res_model": "return.order.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_return_order_ids": self.ids},
        }

    def _action_reject(self, reason):
        self._check_flow_access(RETURNS_MANAGER)
        if any(order.state != "draft" for order in self):
            raise UserError(self.env._("Only draft returns can be rejected."))
        self.sudo().write({"state": "rejected", "reject_reason": reason})
        self.activity_unlink(["reverse_logistics.mail_activity_return_approval"])
        for order in self:
            order.message_post(body=self.env._("Return rejected: %(reason)s", reason=reason))

    def action_cancel(self):
        self._check_flow_access()
        # A clerk has no Invoicing rights: the credit notes are read (and drafts cancelled) as the system.
        self = self.sudo()  # noqa: PLW0642
        for order in self:
            if order.receipt_ids.filtered(lambda p: p.state == "done"):
                raise UserError(self.env._(
                    "%(name)s has received goods and can no longer be cancelled.", name=order.name,
                ))
            if order.state in ("done", "cancel"):
                raise UserError(self.env._("%(name)s cannot be cancelled.", name=order.name))
            if order.credit_note_ids.filtered(lambda m: m.state == "posted"):
                raise UserError(self.env._(
                    "%(name)s already has a posted credit note: reverse it before cancelling.",
                    name=order.name,
                ))
        self.receipt_ids.filtered(lambda p: p.state != "cancel").action_cancel()
        self.credit_note_ids.filtered(lambda m: m.state == "draft").sudo().button_cancel()
        self.sudo().write({"state": "cancel", "date_cancel": fields.Datetime.now()})
        self.activity_unlink(["reverse_logistics.mail_activity_return_approval"])
        return True

    def action_draft(self):
        self._check_flow_access()
        if any(order.state not in ("cancel", "rejected") for order in self):
            raise UserError(self.env._("Only cancelled or rejected returns can be reset to draft."))
        if any(order.state == "rejected" for order in self) \
                and not self.env.user.has_group("reverse_logistics.group_return_manager"):
            raise AccessError(self.env._("Only a Returns Manager may reopen a rejected return."))
        for order in self.filtered("reject_reason"):
            # The refusal stays on record in the chatter once the field is cleared.
            order.message_post(body=self.env._(
                "Reopened by %(user)s; it had been rejected: %(reason)s",
                user=self.env.user.name, reason=order.reject_reason))
        self.sudo().write({"state": "draft", "date_cancel": False, "reject_reason": False, "date_approved": False,
                           "date_submitted": False})
        return True

    def action_override_window(self):
        self.ensure_one()
        self._check_flow_access(RETURNS_MANAGER)
        self._check_drafts(self.env._("accepted outside their window"))
        return {
            "name": self.env._("Accept Outside the Return Window"),
            "type": "ir.actions.act_window",
            "res_model": "return.policy.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_return_order_id": self.id},
        }

    def _override_window(self, reason):
        self.ensure_one()
        if not self.env.user.has_group(RETURNS_MANAGER):
            raise AccessError(self.env._("Only a Returns Manager may accept a return outside its window."))
        self._check_flow_access(RETURNS_MANAGER)
        self._check_drafts(self.env._("accepted outside their window"))
        self.sudo().policy_override = True
        self.message_post(body=self.env._(
            "Return window overridden by %(user)s: %(reason)s", user=self.env.user.name, reason=reason,
        ))

    def action_view_receipts(self):
        self.check_access("read")
        return self._action_view_records(self.receipt_ids, "stock.action_picking_tree_all")

    def action_view_credit_notes(self):
        self.check_access("read")
        return self._action_view_records(self.credit_note_ids, "account.action_move_out_refund_type")

    def action_view_exchange_orders(self):
        self.check_access("read")
        return self._action_view_records(self.exchange_order_ids, "sale.action_orders")

    def _action_view_records(self, records, xmlid):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        if len(records) == 1:
            action.update(views=[(False, "form")], res_id=records.id)
        else:
            action["domain"] = [("id", "in", records.ids)]
        action["context"] = {"create": False}
        return action
