import ast
import io
import logging
import os
import re
from collections import defaultdict
from datetime import timedelta

import psycopg2
from markupsafe import Markup
from PIL import Image

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import clean_context, email_normalize, float_compare, float_round, format_amount, html2plaintext
from odoo.tools.image import IMAGE_MAX_RESOLUTION

from ..tools import (
    check_flow_access,
    check_numbers,
    check_protected_fields,
    without_protected_defaults,
)
from .return_credit_allocation import CREDIT_ALLOCATION_READERS

_logger = logging.getLogger(__name__)

RETURNS_USER = "reverse_logistics.group_return_user"

RETURNS_MANAGER = "reverse_logistics.group_return_manager"


class ReturnOrder(models.Model):
    _name = "return.order"
    _description = "Return Order"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
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
            ("expired", "Expired"),
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
    return_type_id = fields.Many2one(
        "return.type", required=True, tracking=True, index=True, check_company=True,
        ondelete="restrict", default=lambda self: self._get_default_return_type(self.env.company),
        help="What kind of return this is: its flags say what the return allows (refund, window, fees...).",
    )
    sale_order_id = fields.Many2one(
        "sale.order", check_company=True, index="btree_not_null", tracking=True,
        domain="[('partner_id.commercial_partner_id', '=', commercial_partner_id), "
        "('state', '=', 'sale')]",
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", check_company=True, index="btree_not_null",
        domain="[('picking_type_code', '=', 'outgoing'), ('state', '=', 'done')]",
    )
    invoice_id = fields.Many2one(
        "account.move", check_company=True, index="btree_not_null",
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
    credit_allocation_ids = fields.One2many(
        "return.credit.allocation", "order_id", string="Credit Allocations", readonly=True,
        groups=CREDIT_ALLOCATION_READERS,
    )
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
            if not order.policy_id or not order._is_policy_applicable(order.policy_id):
                order.policy_id = order._get_applicable_policy()

    def _get_applicable_policy(self):
        """The policy a return takes when it names none: its company's default (an addon may pick another)."""
        self.ensure_one()
        return self.env["return.policy"]._get_default_policy(self.company_id)

    def _is_policy_applicable(self, policy):
        """Whether the return may keep this policy (chosen by hand or earlier) after its company changed."""
        self.ensure_one()
        return policy.company_id == self.company_id

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
    def _get_default_return_type(self, company):
        """The type of new returns: the company's first (the customer return, in the data)."""
        return self.env["return.type"].search([("company_id", "in", [False, company.id])], limit=1)

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

    # ------------------------------------------------------------------
    # What users may not write: the flow writes it with sudo() once the caller was checked
    # ------------------------------------------------------------------
    @api.model
    def _get_user_document_fields(self):
        """What the return is about: fixed once it is submitted."""
        return ["partner_id", "return_type_id", "sale_order_id", "picking_id", "invoice_id", "company_id"]

    @api.model
    def _get_manager_draft_fields(self):
        """Draft fields only a Returns Manager sets: they decide the window and the approval rules."""
        return ["date_request", "policy_id"]

    @api.model
    def _get_system_fields(self):
        """Fields the flow alone sets, in every state: state and step dates, amounts and values, the
        documents it made. Fields an extension adds are not here: writable unless it adds them."""
        return [
            "name", "state", "commercial_partner_id", "currency_id", "company_currency_id", "access_token",
            "reject_reason", "policy_override", "requested_by_mail", "procurement_group_id",
            "receipt_ids", "credit_note_ids", "credit_allocation_ids", "exchange_order_ids", "grading_ids",
            "receipt_count", "credit_note_count", "exchange_order_count", "policy_problems",
            "user_is_return_manager",
            "date_submitted", "date_approved", "date_first_receipt", "date_received", "date_resolved",
            "date_done", "date_cancel", "date_expired", "date_graded", "date_dispositioned",
            "amount_untaxed", "amount_restocking_fee", "amount_refunded", "refund_amount",
            "restocking_fee_charged", "processing_cost", "recovery_value", "net_recovery", "return_cost",
            "disposition_status", "cycle_time_refund", "cycle_time_disposition", "customer_mail_steps",
        ]

    def _get_protected_fields(self, names=()):
        """Fields users may not write on these returns in their state (`names`: the fields written, so
        the group is read only when a manager's field is among them)."""
        protected = self._get_system_fields()
        manager_fields = self._get_manager_draft_fields()
        if any(name in names for name in manager_fields) \
                and not self.env.user.has_group("reverse_logistics.group_return_manager"):
            protected += manager_fields
        for order in self:
            if order.state != "draft":
                protected += self._get_user_document_fields() + manager_fields + [
                    "warehouse_id", "customer_note"]
                # The customer may still change their mind before anything was credited or shipped.
                if "resolution" in names and not (
                        order.state == "approved"
                        and not (order.sudo().credit_note_ids or order.sudo().exchange_order_ids)):
                    protected.append("resolution")
            elif order.date_submitted:
                protected += self._get_user_document_fields() + ["date_request"]
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            names = {name for vals in vals_list for name in vals}
            # The reference is no refusal: the sequence replaces whatever a user gives (below).
            protected = [name for name in self.browse()._get_protected_fields(names) if name != "name"]
            check_protected_fields(self, names, protected)
            for vals in vals_list:
                check_numbers(self, vals)
            self = without_protected_defaults(self, protected)  # noqa: PLW0642
        for vals in vals_list:
            # A type that refunds nothing (a WEEE take-back) has nothing to resolve.
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            type_id = vals.get("return_type_id") or self.env.context.get("default_return_type_id")
            return_type = self.env["return.type"].browse(type_id if isinstance(type_id, int) else ()) \
                or self._get_default_return_type(company)
            if not return_type.refund_allowed:
                vals["resolution"] = "none"
            # Users never choose the reference: theirs is replaced by the sequence's.
            if vals.get("name", "New") == "New" or not self.env.su:
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("return.order") or "New"
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self:
            check_protected_fields(self, vals, self._get_protected_fields(vals))
            check_numbers(self, vals)
        # A draft turned into a type that refunds nothing has nothing to resolve (the form's onchange too).
        if vals.get("return_type_id") and "resolution" not in vals \
                and not self.env["return.type"].browse(vals["return_type_id"]).refund_allowed:
            vals = dict(vals, resolution="none")
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for order in self:
            if order.state not in ("draft", "cancel") or order.receipt_ids.filtered(lambda p: p.state == "done"):
                raise UserError(self.env._(
                    "%(name)s is %(state)s: only draft or cancelled returns can be deleted.",
                    name=order.name, state=dict(order._fields["state"]._description_selection(self.env))[order.state],
                ))

    # The team's reading of the customer, never the customer's: internal users only, as the system.
    customer_behaviour_flags = fields.Text(
        string="Customer Flagged", compute="_compute_customer_behaviour_flags", compute_sudo=True,
        groups="base.group_user",
        help="Why the customer's return behaviour crosses the policy's thresholds: his returns go to a manager.")

    @api.depends("partner_id", "company_id", "policy_id")
    def _compute_customer_behaviour_flags(self):
        for order in self:
            order.customer_behaviour_flags = "\n".join(order._get_customer_behaviour_flags()) \
                if order.partner_id and order.company_id else False

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for order in self:
            order.access_url = f"/my/returns/{order.id}"
        return res

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_amount_in_company_currency(self, amount):
        """`amount` of this return's currency in company currency, at the return's date."""
        self.ensure_one()
        company = self.company_id
        if not self.currency_id or self.currency_id == company.currency_id:
            return amount
        date = (self.date_request or fields.Datetime.now()).date()
        return self.currency_id._convert(amount, company.currency_id, company, date)

    def _get_customer_behaviour_flags(self):
        """Why the customer's return behaviour (return.customer.behaviour) crosses this return's policy's
        thresholds; a flagged customer's returns go to a manager."""
        self.ensure_one()
        policy = self.policy_id.sudo()
        # No threshold set (the default): nothing flags anybody, and nothing needs reading.
        if not (policy.behaviour_max_rate_qty or policy.behaviour_max_rate_value
                or policy.behaviour_max_lot_mismatches or policy.behaviour_max_used_unused):
            return []
        behaviour = self.env["return.customer.behaviour"]._get_for(self.partner_id, self.company_id)
        return behaviour._get_flag_reasons(policy) if behaviour else []

    def _is_auto_approvable(self):
        self.ensure_one()
        # Whoever can write to the alias can put a customer's address in From: a person decides.
        if self.requested_by_mail:
            return False
        # A customer whose returns cross the policy's thresholds: a manager decides.
        if self._get_customer_behaviour_flags():
            return False
        policy = self.policy_id
        # Types that are not auto-approvable (warranty claims, distributor terms, recalls) always go to a
        # manager, so choosing a type never dodges the window.
        if not (policy.auto_approve and self.return_type_id.auto_approvable):
            return False
        # A return that pays nothing (a take-back) carries no money: neither the value limit nor a price
        # typed by hand matters, only the policy's rules.
        if not self.return_type_id.refund_allowed:
            return not self.line_ids.sudo()._get_policy_problems()
        # The limit is in company currency; the return's value is in the invoice's.
        return bool(
            # Units sold on no document of the company, at a price the user typed: a manager decides.
            not any(line._is_priced_by_hand() for line in self.line_ids.sudo())
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
        check_flow_access(self, )
        self._check_drafts(self.env._("submitted"))
        first_time = self.filtered(lambda o: o.state == "draft" and not o.date_submitted)
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
                    note=order.policy_problems or order.customer_behaviour_flags
                    or self.env._("Above the auto-approval limit."),
                )
        # The expected recovery is a fact of the request: estimated now, never again.
        self.env["return.recovery.estimate"]._freeze_for_lines(self.line_ids)
        if to_approve:
            to_approve.sudo()._action_approve()
        # Approved at once: the approval mail says it all.
        first_time.filtered(lambda o: o.state == "draft")._send_customer_mail("request_received")
        return True

    def action_approve(self):
        check_flow_access(self, )
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
        # Approved without a submission (a manager's own return): the request's estimate is made now.
        self.env["return.recovery.estimate"]._freeze_for_lines(orders.line_ids)
        # Approval activities are scheduled on submission: a return never submitted has none to close.
        submitted = orders.filtered("date_submitted")
        now = fields.Datetime.now()
        for order in orders:
            order.sudo().write({
                "state": "approved", "date_approved": now, "date_submitted": order.date_submitted or now,
            })
        submitted.activity_feedback(["reverse_logistics.mail_activity_return_approval"])
        orders._decide_kept_lines()
        orders._create_receipts()
        for order in orders.filtered(lambda o: o.policy_id.refund_step == "approval"
                                     or any(o.line_ids.mapped("kept_by_customer"))):
            # What the policy resolves by itself is the system's act, not the approver's accounting.
            order.sudo()._resolve()
        # Done at approval (every line kept and credited): the resolution mail says it all, no slip to print.
        orders.filtered(lambda o: o.state not in ("draft", "done"))._send_customer_mail("approved")
        return True

    def action_reject(self):
        check_flow_access(self, RETURNS_MANAGER)
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
        check_flow_access(self, RETURNS_MANAGER)
        if any(order.state != "draft" for order in self):
            raise UserError(self.env._("Only draft returns can be rejected."))
        self.sudo().write({"state": "rejected", "reject_reason": reason})
        self.activity_unlink(["reverse_logistics.mail_activity_return_approval"])
        for order in self:
            order.message_post(body=self.env._("Return rejected: %(reason)s", reason=reason))
        self._send_customer_mail("rejected")

    def action_cancel(self):
        check_flow_access(self, )
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
        check_flow_access(self, )
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
        check_flow_access(self, RETURNS_MANAGER)
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
        check_flow_access(self, RETURNS_MANAGER)
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

    # ==================================================================
    # Creation: what is returnable, the entry points
    # ==================================================================
    # ------------------------------------------------------------------
    # Creation from documents
    # ------------------------------------------------------------------
    @api.model
    def _get_returnable_candidates(self, moves):
        """Line values for every delivered (move, lot) pair, in delivery order."""
        candidates = []
        moves = moves.filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
            and not m.scrapped and not m.origin_returned_move_id
        )
        for move in moves.sorted("id"):
            base = {
                "product_id": move.product_id.id,
                "origin_move_id": move.id,
                "sale_line_id": move.sale_line_id.id,
            }
            lots = move.move_line_ids.lot_id
            if lots:
                candidates += [dict(base, lot_id=lot.id) for lot in lots]
            else:
                candidates.append(base)
        return candidates

    @api.model
    def _get_returnable_lines(self, moves):
        """[(line values, returnable quantity)] of the delivered (move, lot) pairs with units left to return."""
        candidates = self._get_returnable_candidates(moves)
        lines = self.env["return.order.line"]
        for vals in candidates:
            lines |= lines.new(vals)
        returnable = lines._get_returnable_quantities()
        return [(vals, returnable[line]) for vals, line in zip(candidates, lines, strict=True) if returnable[line]]

    @api.model
    def _prepare_order_vals(self, partner, line_vals, sale_order=None, picking=None):
        sale_order = sale_order or self.env["sale.order"]
        warehouse = picking.picking_type_id.warehouse_id if picking else sale_order.warehouse_id
        order_vals = {
            "partner_id": partner.id,
            "sale_order_id": sale_order.id,
            "picking_id": picking.id if picking else False,
            "company_id": (picking or sale_order).company_id.id or self.env.company.id,
            "line_ids": [Command.create(vals) for vals in line_vals],
        }
        if warehouse:
            order_vals["warehouse_id"] = warehouse.id
        return order_vals

    @api.model
    def _prepare_create_wizard_vals(self, sale_order=None, picking=None, partner=None):
        document = picking or sale_order or self.env["sale.order"]
        # The customer is who bought it (a delivery may go to another address, of another company).
        sale = sale_order or (picking.sale_id if picking else self.env["sale.order"])
        customer = partner or sale.partner_id or document.partner_id
        return {
            "sale_order_id": sale_order.id if sale_order else False,
            "picking_id": picking.id if picking else False,
            "partner_id": customer.id,
            "company_id": document.company_id.id or self.env.company.id,
        }

    @api.model
    def _action_open_create_wizard(self, sale_order=None, picking=None):
        wizard = self.env["return.order.create"].create(self._prepare_create_wizard_vals(sale_order, picking))
        wizard._check_something_returnable()
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_order_create")
        action["res_id"] = wizard.id
        return action

    @api.model
    def _create_from_moves(self, moves, partner, sale_order=None, picking=None):
        """A draft return of every unit still returnable from these moves (the wizard's Return All)."""
        wizard = self.env["return.order.create"].create(
            dict(self._prepare_create_wizard_vals(sale_order, picking, partner), move_ids=moves.ids))
        return wizard.action_create_return_all()

    # ------------------------------------------------------------------
    # Portal requests
    # ------------------------------------------------------------------
    @api.model
    def _get_candidate_key(self, vals):
        """How the portal form names a returnable (move, lot) pair, from its line values."""
        return f"{vals['origin_move_id']}-{vals.get('lot_id') or 0}"

    @api.model
    def _get_portal_candidates(self, sale_order):
        """What the customer may still send back from an order, one dict per delivered move and lot:
        key (the form field's suffix), vals (of the return line), qty (returnable), product, lot."""
        return [{
            "key": self._get_candidate_key(vals), "vals": vals, "qty": qty,
            "product": self.env["product.product"].browse(vals["product_id"]),
            "lot": self.env["stock.lot"].browse(vals.get("lot_id")),
        } for vals, qty in self._get_returnable_lines(sale_order.order_line.move_ids)]

    @api.model
    def _get_portal_resolutions(self):
        """The resolutions a customer may choose on the portal, as (value, label)."""
        labels = dict(self._fields["resolution"]._description_selection(self.env))
        return [(value, labels[value]) for value in ("refund", "exchange", "store_credit")]

    _CUSTOMER_NOTE_MAX_LENGTH = 2000

    @api.model
    def _prepare_portal_return_vals(self, sale_order, note, resolution="refund"):
        """What the portal adds to the return the wizard prepares for the order."""
        # Plain text, never HTML: what a customer types is shown to the returns team as written.
        return {"resolution": resolution, "customer_note": (note or "").strip() or False}

    @api.model
    def _create_from_portal(self, sale_order, quantities, reason, note=False, resolution="refund"):
        """The return a customer asks for on the portal, submitted to the policy at once.

        `quantities` maps the keys of `_get_portal_candidates` to the quantities asked for; the line
        constraints refuse more than was delivered and not yet returned, so nothing is created then.
        """
        if not reason:
            raise UserError(self.env._("Tell us why you send the items back."))
        if resolution not in dict(self._get_portal_resolutions()):
            raise UserError(self.env._("Choose a refund, an exchange or a store credit."))
        if note and len(note) > self._CUSTOMER_NOTE_MAX_LENGTH:
            raise UserError(self.env._(
                "Your note is too long: %(max)s characters at most.", max=self._CUSTOMER_NOTE_MAX_LENGTH))
        if any(qty < 0 for qty in quantities.values()):
            raise UserError(self.env._("Quantities to return cannot be negative."))
        wizard = self.env["return.order.create"].create(self._prepare_create_wizard_vals(sale_order))
        wizard._set_quantities({
            line: quantities[key] for line in wizard.line_ids
            if (key := self._get_candidate_key(line._prepare_return_line_vals())) in quantities
        })
        if not wizard._get_requested_lines():
            raise UserError(self.env._("Choose at least one item to return."))
        wizard.reason_id = reason
        order = wizard._create_return_order(self._prepare_portal_return_vals(sale_order, note, resolution))
        order.message_post(body=self.env._("Requested by the customer on the portal."))
        order.action_submit()
        return order

    # ==================================================================
    # Receipt
    # ==================================================================
    procurement_group_id = fields.Many2one(
        "procurement.group", readonly=True, copy=False, index="btree_not_null",
        help="Groups the transfers of this return's receipts, from the customer to triage.",
    )

    def action_close_receipt(self):
        """Stop waiting for units that will not come: cancel open receipts and resolve what arrived."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        for order in self:
            if order.state not in ("approved", "receiving"):
                raise UserError(self.env._("%(name)s is not waiting for goods.", name=order.name))
            if not order.receipt_ids.filtered(lambda p: p.state == "done"):
                raise UserError(self.env._(
                    "Nothing of %(name)s was received: cancel the return instead.", name=order.name,
                ))
        self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel")).action_cancel()
        self._on_receipt_done()
        return True

    # ------------------------------------------------------------------
    # Receipt
    # ------------------------------------------------------------------
    def _get_return_source_location(self):
        self.ensure_one()
        return self.partner_id.property_stock_customer or self.env.ref("stock.stock_location_customers")

    def _get_receipt_location(self):
        """Where returned units are received: the warehouse's triage location."""
        self.ensure_one()
        return self.warehouse_id.return_location_id or self.warehouse_id.return_type_id.default_location_dest_id

    def _get_receipt_route(self):
        """The route the receipt follows: the warehouse's returns route (its reception steps)."""
        self.ensure_one()
        return self.warehouse_id.return_route_id

    def _prepare_receipt_procurement_group_vals(self):
        self.ensure_one()
        # Linked to the sale order as Odoo's own returns are: the receipts show on it.
        return {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "sale_id": self.sale_order_id.id,
            "move_type": "direct",
        }

    # What the rule and the procurement decide on the move, not the return line.
    _RECEIPT_PROCUREMENT_KEYS = (
        "product_id", "product_uom_qty", "product_uom", "picking_type_id", "procure_method", "group_id",
        "warehouse_id", "location_dest_id",
    )

    def _prepare_receipt_procurement(self, move_vals):
        """The procurement of one receipt move (`move_vals` of the line's `_prepare_receipt_move_vals`):
        to the return's final destination through its route; the move from the customer carries the
        rest of `move_vals` (links to the line, the delivery and the sale line)."""
        self.ensure_one()
        warehouse = self.warehouse_id
        final = self._get_receipt_location()
        first_step = final if warehouse.reception_steps == "one_step" else warehouse.wh_input_stock_loc_id
        extra = {k: v for k, v in move_vals.items() if k not in self._RECEIPT_PROCUREMENT_KEYS}
        extra["location_dest_id"] = first_step.id
        route = self._get_receipt_route()
        if route == warehouse.return_route_id and warehouse.reception_steps == "one_step":
            # No later step to choose a push rule for: the move needs no route of its own.
            extra["route_ids"] = []
        product = self.env["product.product"].browse(move_vals["product_id"])
        return self.env["procurement.group"].Procurement(
            product, move_vals["product_uom_qty"], self.env["uom.uom"].browse(move_vals["product_uom"]),
            final, move_vals.get("name") or product.display_name, self.name, self.company_id, {
                "group_id": self.procurement_group_id,
                "route_ids": route,
                "warehouse_id": warehouse,
                "date_planned": fields.Datetime.now(),
                "return_move_vals": extra,
            },
        )

    def _create_receipts(self):
        """Receive the returned goods through a procurement on the warehouse's returns route, so its
        reception steps and putaway rules apply; the receipt from the customer is the return's
        (`receipt_ids`)."""
        # Documents made as the system take no default from the caller's context (a forged default_state).
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        # Lines the customer keeps travel nowhere (see below).
        orders = self.filtered(lambda o: o.line_ids.filtered(lambda rl: not rl.kept_by_customer))
        without_group = orders.filtered(lambda o: not o.procurement_group_id)
        groups = self.env["procurement.group"].sudo().create(
            [order._prepare_receipt_procurement_group_vals() for order in without_group])
        for order, group in zip(without_group, groups, strict=True):
            order.sudo().procurement_group_id = group
        # sale_stock links a receipt to its sale order; one without an order is linked to the return.
        without_sale = orders.filtered(lambda o: not o.sale_order_id)
        previous = without_sale.receipt_ids
        # Prepared as the system too: rules, routes and locations are read without record rules.
        line_orders = {line.id: line.order_id.sudo() for line in orders.line_ids}
        procurements = [
            line_orders[vals["return_line_id"]]._prepare_receipt_procurement(vals)
            # Units the customer keeps never travel back: no move, the sale's delivered quantity stays.
            for vals in orders.line_ids.filtered(lambda rl: not rl.kept_by_customer).sudo()._prepare_receipt_move_vals()
        ]
        # The rule search climbs from each destination to its warehouse: read those locations together.
        destinations = self.env["stock.location"].union(*(p.location_id for p in procurements))
        (destinations | orders.warehouse_id.view_location_id).mapped("location_id")
        # Run as the system, as sale orders run theirs: approving needs no right on rules and routes.
        self.env["procurement.group"].sudo().run(procurements)
        orders.line_ids._set_receipt_lots()
        without_sale.invalidate_recordset(["receipt_ids"])
        for order in without_sale:
            for picking in order.receipt_ids - previous:
                picking.message_post_with_source(
                    "mail.message_origin_link",
                    render_values={"self": picking, "origin": order},
                    subtype_xmlid="mail.mt_note",
                )
        return True

    def _on_receipt_done(self):
        """Called once the receipts of these orders were validated (or closed)."""
        waiting = self.filtered(lambda o: not o.date_received)
        now = fields.Datetime.now()
        for order in self.filtered(lambda o: o.state in ("approved", "receiving")):
            vals = {}
            if not order.date_first_receipt:
                vals["date_first_receipt"] = now
            open_receipts = order.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            if open_receipts:
                vals["state"] = "receiving"
            else:
                vals.update(state="received", date_received=now)
            order.sudo().write(vals)
            if order.policy_id.refund_step == "receipt":
                # Credited by the system on the policy's behalf, whoever received or closed the receipt.
                order.sudo()._resolve()
            order._check_done()
        waiting.filtered("date_received")._send_customer_mail("goods_received")

    # ==================================================================
    # Resolution
    # ==================================================================
    def action_create_credit_note(self):
        """Credit the customer now: before receipt for the units requested (where the policy resolves on
        receipt, e.g. a trusted customer), after it for the units received."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only users with Billing rights may create credit notes by hand."))
        if not self.browse().has_access("write"):
            raise AccessError(self.env._(
                "Crediting a customer writes on the return: it takes Billing rights and a returns group that "
                "may change returns (Returns User or Manager)."))
        self.check_access("write")
        for order in self:
            if order.resolution not in ("refund", "store_credit"):
                raise UserError(self.env._("%(name)s is not resolved by a credit note.", name=order.name))
            if order.state in ("draft", "rejected", "cancel"):
                raise UserError(self.env._("Approve %(name)s before crediting the customer.", name=order.name))
            order._lock_for_resolution()
            base_field = order._get_manual_credit_base_field()
            if not order.line_ids._get_quantities_to_resolve("qty_refunded", base_field=base_field):
                raise UserError(order._get_nothing_to_credit_message(base_field))
            # Passed down, never through the context: a client may send any context key.
            order._resolve(base_field=base_field)
        return True

    def _get_manual_credit_base_field(self):
        """Units the manual button credits: those requested while goods are still expected."""
        self.ensure_one()
        return "product_uom_qty" if self.state in ("approved", "receiving") else "qty_received"

    def _get_nothing_to_credit_message(self, base_field):
        self.ensure_one()
        if any(line.qty_not_invoiced for line in self.line_ids):
            return self.env._(
                "Nothing to credit on %(name)s: every %(what)s unit already has a credit note or was never "
                "invoiced (those lower what is left to invoice on the sale).",
                name=self.name, what=self.env._("requested") if base_field == "product_uom_qty"
                else self.env._("received"),
            )
        return self.env._(
            "Nothing to credit on %(name)s: every %(what)s unit already has a credit note.",
            name=self.name, what=self.env._("requested") if base_field == "product_uom_qty"
            else self.env._("received"),
        )

    # ------------------------------------------------------------------
    # Resolution
    # ------------------------------------------------------------------
    def _resolve(self, base_field=None):
        """`base_field`: the line quantity to pay for, when not the policy's step (the manual button)."""
        self.ensure_one()
        before = (self.sudo().credit_note_ids.filtered(lambda m: m.state == "posted"), self.sudo().exchange_order_ids)
        # Credit notes and orders made as the system take no default from the caller's context.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        handler = getattr(self, f"_resolve_{self.resolution}", None)
        if handler and base_field:
            handler(base_field=base_field)
        elif handler:
            handler()
        self._check_done()
        after = (self.sudo().credit_note_ids.filtered(lambda m: m.state == "posted"), self.sudo().exchange_order_ids)
        # Only what the customer actually gets: a posted credit note or a replacement order.
        if after[0] - before[0] or after[1] - before[1]:
            self._send_customer_mail("resolved")

    def _resolve_none(self):
        return True

    def _resolve_refund(self, base_field=None):
        credit_notes = self._create_credit_notes(base_field=base_field)
        if self.policy_id.auto_post_credit_note:
            # Posting settles them against the invoice they reverse (Odoo reconciles reversals). The
            # policy posts on its own behalf: whoever triggered it needs no accounting rights.
            credit_notes.sudo().action_post()
        return credit_notes

    def _resolve_store_credit(self, base_field=None):
        credit_notes = self._create_credit_notes(store_credit=True, base_field=base_field)
        if self.policy_id.auto_post_credit_note:
            # Left unreconciled on purpose: it stays an open credit on the customer's account.
            credit_notes.sudo().action_post()
        return credit_notes

    def _resolve_exchange(self):
        lines_qty = self.line_ids._get_quantities_to_resolve("qty_exchanged")
        if not lines_qty:
            return self.env["sale.order"]
        order = self.env["sale.order"].sudo().with_company(self.company_id).create(
            self._prepare_exchange_order_vals(lines_qty))
        for sale_line in order.order_line.filtered("return_line_id"):
            sale_line.price_unit = sale_line.return_line_id._get_exchange_price(order, sale_line.product_id)
        order.action_confirm()
        self.sudo().date_resolved = fields.Datetime.now()
        self.message_post(body=self.env._(
            "Replacement order %(order)s created for %(user)s.", order=order._get_html_link(),
            user=self.env.user.name,
        ))
        return order

    def _prepare_exchange_order_vals(self, lines_qty):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "warehouse_id": self.warehouse_id.id,
            "origin": self.name,
            "return_order_id": self.id,
            "client_order_ref": self.name,
            "order_line": [Command.create(line._prepare_exchange_line_vals(qty)) for line, qty in lines_qty],
        }

    def _lock_for_resolution(self):
        """Row lock so that two concurrent resolutions cannot both credit the same units."""
        self.env.cr.execute("SELECT id FROM return_order WHERE id IN %s FOR UPDATE", [tuple(self.ids)])
        self.line_ids.invalidate_recordset(["qty_refunded"])

    def _create_credit_notes(self, store_credit=False, base_field=None):
        """One credit note per invoice for the units not credited yet (none when all are).

        Units are matched to the invoice lines that billed them; units never invoiced are recorded as
        such and credited nothing. Created by the system on the policy's behalf, in the return's company.
        """
        self.ensure_one()
        self._lock_for_resolution()
        # Invoices are read and credit notes written by the system: a clerk needs no accounting rights.
        system = self.sudo().with_company(self.company_id)
        lines_qty = system.line_ids._get_quantities_to_resolve("qty_refunded", base_field=base_field)
        if not lines_qty:
            return self.env["account.move"]
        allocation, not_invoiced = system.line_ids._get_credit_allocation(lines_qty)
        # Recorded as such (qty_not_invoiced counts these records): nothing is credited for them.
        system.env["return.credit.allocation"].create([
            line._prepare_credit_allocation_vals("not_invoiced", qty) for line, qty in not_invoiced])
        # Logged by the system for the user who clicked: a user without an e-mail address may credit too.
        if not_invoiced:
            system.message_post(body=self.env._(
                "Never invoiced, so not credited (they lower what is left to invoice on the sale): %(lines)s.",
                lines=", ".join(f"{qty:g} {line.product_uom_id.name} {line.product_id.display_name}"
                                for line, qty in not_invoiced),
            ))
        by_invoice = defaultdict(list)
        for line, invoice_line, qty in allocation:
            by_invoice[invoice_line.move_id].append((line, invoice_line, qty))
        if not by_invoice:
            return self.env["account.move"]
        vals_list = [
            system._prepare_credit_note_vals(invoice, invoice_lines, store_credit)
            for invoice, invoice_lines in by_invoice.items()
        ]
        credit_notes = system.env["account.move"].create(vals_list)
        system._create_credit_allocations(credit_notes, list(by_invoice.values()))
        system.date_resolved = fields.Datetime.now()
        for credit_note in credit_notes:
            credit_note.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": credit_note, "origin": self},
                subtype_xmlid="mail.mt_note",
            )
        system.message_post(body=self.env._(
            "%(notes)s created by the return policy on behalf of %(user)s.",
            notes=", ".join(str(note._get_html_link()) for note in credit_notes), user=self.env.user.name,
        ))
        return credit_notes.sudo(False)

    def _create_credit_allocations(self, credit_notes, allocations):
        """Record which invoice line each batch of units was credited against and by which credit note
        line: `allocations[i]` is the [(return line, invoice line, qty)] that `credit_notes[i]` credits.
        Each (return line, invoice line) has one line of units on its credit note."""
        vals_list = []
        for credit_note, lines_qty in zip(credit_notes, allocations, strict=True):
            unit_lines = credit_note.invoice_line_ids.filtered(
                lambda aml: aml.return_line_id and not aml.is_restocking_fee and not aml.return_credit_share)
            for line, invoice_line, qty in lines_qty:
                credit_note_line = unit_lines.filtered(
                    lambda aml, line=line, invoice_line=invoice_line: aml.return_line_id == line
                    and aml.refunded_invoice_line_id == invoice_line)[:1]
                vals_list.append(
                    line._prepare_credit_allocation_vals("credited", qty, invoice_line, credit_note_line))
        return self.env["return.credit.allocation"].create(vals_list)

    def _get_credit_note_journal(self, invoice):
        if invoice:
            return invoice.journal_id
        return self.env["account.journal"].search([
            *self.env["account.journal"]._check_company_domain(self.company_id),
            ("type", "=", "sale"),
        ], limit=1)

    def _prepare_credit_note_vals(self, invoice, lines_qty, store_credit=False):
        """`lines_qty`: [(return line, invoice line or empty, qty in the return line's unit)]."""
        self.ensure_one()
        partner = invoice.partner_id or self.partner_id
        fiscal_position = invoice.fiscal_position_id if invoice else \
            self.env["account.fiscal.position"].with_company(self.company_id)._get_fiscal_position(partner)
        line_commands = []
        # The invoice's discount lines and the early payment discount taken are credited in proportion.
        shares = self.env["return.order.line"]._get_credit_shares(invoice) if invoice else None
        for line, invoice_line, qty in lines_qty:
            line_commands.append(Command.create(
                line._prepare_credit_note_line_vals(qty, fiscal_position, invoice_line)))
            if shares and invoice_line:
                line_commands += [Command.create(vals)
                                  for vals in line._prepare_credit_share_line_vals(qty, invoice_line, shares)]
            fee_vals = line._prepare_restocking_fee_line_vals(qty, fiscal_position, invoice_line)
            if fee_vals:
                line_commands.append(Command.create(fee_vals))
        ref = self.env._("Store credit for %(name)s", name=self.name) if store_credit else \
            self.env._("Return %(name)s", name=self.name)
        return {
            "move_type": "out_refund",
            "partner_id": partner.id,
            "journal_id": self._get_credit_note_journal(invoice).id,
            "currency_id": (invoice.currency_id or self.currency_id).id,
            "fiscal_position_id": fiscal_position.id,
            "invoice_origin": self.name,
            "ref": ref,
            # A store credit is not a reversal: Odoo would settle it against the invoice.
            "reversed_entry_id": False if store_credit else invoice.id,
            "invoice_payment_term_id": self._get_credit_note_payment_term(invoice, store_credit).id,
            # Rounded as the invoice was (cash rounding): what the customer paid, not a cent more or less.
            "invoice_cash_rounding_id": invoice.invoice_cash_rounding_id.id,
            "return_order_id": self.id,
            "is_store_credit": store_credit,
            "company_id": self.company_id.id,
            "invoice_line_ids": line_commands,
        }

    def _get_credit_note_payment_term(self, invoice, store_credit=False):
        """The invoice's payment term; none for a store credit, unless the term reduces the tax of every
        document by its early payment discount (computation *mixed*): then the credit computes its tax on
        the discounted base, as the invoice did."""
        term = invoice.invoice_payment_term_id
        if store_credit and not (term.early_discount and term.early_pay_discount_computation == "mixed"):
            return term.browse()
        return term

    def _is_resolved(self):
        self.ensure_one()
        if self.resolution in ("refund", "store_credit"):
            if any(m.state == "draft" for m in self.sudo().credit_note_ids):
                return False
            return not self.line_ids._get_quantities_to_resolve("qty_refunded", base_field="qty_received")
        if self.resolution == "exchange":
            return not self.line_ids._get_quantities_to_resolve("qty_exchanged", base_field="qty_received")
        return True

    def _check_done(self):
        for order in self.filtered(lambda o: o.state == "received"):
            if order._is_resolved():
                order.sudo().write({"state": "done", "date_done": fields.Datetime.now()})

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_resolution_base_field(self):
        """The line quantity the resolution pays for at this order's policy step (or the manual button's)."""
        self.ensure_one()
        return "product_uom_qty" if self.policy_id.refund_step == "approval" else "qty_received"

    # ==================================================================
    # Grading and disposition
    # ==================================================================
    # ------------------------------------------------------------------
    # Grading and disposition
    # ------------------------------------------------------------------
    def _on_graded(self):
        self.sudo().date_graded = fields.Datetime.now()
        graded = self.filtered(lambda o: o.disposition_status != "to_grade")
        # Done by the system on behalf of whoever graded: the activity may be assigned to someone else.
        graded.sudo().activity_feedback(["reverse_logistics.mail_activity_return_grading_overdue"])

    def _on_dispositioned(self):
        self.flush_recordset(["disposition_status"])
        self.filtered(lambda o: o.disposition_status == "processed" and not o.date_dispositioned).sudo().write(
            {"date_dispositioned": fields.Datetime.now()})

    def action_open_grading_station(self):
        check_flow_access(self, "reverse_logistics.group_return_user", "read")
        action = self.env["ir.actions.actions"]._for_xml_id("reverse_logistics.action_grading_station")
        action["context"] = {"default_scan": self[:1].name}
        return action

    def action_dispose(self):
        """Disposition every graded unit of these returns, in one batch."""
        check_flow_access(self, "reverse_logistics.group_return_user")
        gradings = self.grading_ids.filtered(lambda g: g.state == "graded")
        if not gradings:
            raise UserError(self.env._("No graded units wait for a disposition."))
        return gradings.action_dispose()

    def action_view_gradings(self):
        # A back-office window: a brand's portal user reads its gradings on the portal page, not here.
        check_flow_access(self, "base.group_user", operation="read")
        self.env["return.grading"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_grading")
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {"create": False}
        return action

    # ==================================================================
    # Take-back
    # Take-back: end-of-life equipment collected from customers and collection points (the WEEE addon,
    # reverse_logistics_weee, reports it in its register).
    #
    # Nothing is refunded (resolution 'none'), no window applies and no restocking fee is charged; as no
    # money changes hands, the policy approves take-backs by itself when it auto-approves at all.
    # ==================================================================

    @api.constrains("return_type_id", "resolution")
    def _check_resolution_allowed(self):
        for order in self:
            if not order.return_type_id.refund_allowed and order.resolution != "none":
                raise ValidationError(self.env._(
                    "%(name)s is a %(type)s: nothing is refunded or replaced.",
                    name=order.name, type=order.return_type_id.name))

    @api.onchange("return_type_id")
    def _onchange_return_type_id(self):
        if not self.return_type_id.refund_allowed:
            self.resolution = "none"

    # ==================================================================
    # Return slip
    # ==================================================================
    def _get_slip_states(self):
        """States in which the customer has something to send back, so a return slip makes sense."""
        return ("approved", "receiving")

    def _get_slip_portal_url(self):
        """Absolute URL of the customer's page of this return, with its access token: the slip is the
        customer's own document, and a guest without a portal account must be able to follow it too."""
        self.ensure_one()
        return self.get_base_url() + self.sudo().get_portal_url()

    def _get_slip_address(self):
        """Where the parcel goes: the returns warehouse's address, else the company's."""
        self.ensure_one()
        return self.warehouse_id.partner_id or self.company_id.partner_id

    def action_print_slip(self):
        self.check_access("read")
        not_sent = self.filtered(lambda o: o.state not in o._get_slip_states())
        if not_sent:
            raise UserError(self.env._("%(names)s: a return slip is printed once a return is approved and "
                                       "until its goods are received.", names=", ".join(not_sent.mapped("name"))))
        return self.env.ref("reverse_logistics.action_report_return_slip").report_action(self)

    def _get_report_base_filename(self):
        """File name of the slip downloaded from the portal (portal's `_show_report` asks for it)."""
        self.ensure_one()
        return self.env._("Return slip - %(name)s", name=self.name)

    def _get_return_shipping_cost(self):
        """What shipping the goods back costs the company, in company currency, at the request. Hook: a
        carrier addon returns the carrier's rate for the return shipment; 0.0 without one."""
        self.ensure_one()
        return 0.0

    # ==================================================================
    # Customer mails
    # A mail to the customer at each step of the return, each one switched on or off in the policy.
    #
    # The step that calls for a mail only flags the return (`customer_mail_steps`, the policy's switch read
    # at the event); the mail cron writes the mails (the approval's slip PDF rendered there), posts them in
    # the chatter (the customer reads them on the portal too) and hands them to the mail queue. Approving
    # or receiving never waits for a template or a PDF, and a mail that fails to render fails alone.
    # ==================================================================
    customer_mail_steps = fields.Char(
        readonly=True, copy=False, index="btree_not_null",
        help="Customer mails the flow called for and the mail cron has not written yet, oldest first.")

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        """Mail about a return goes to the returns team and to the customer's contacts, nobody else.

        Its customer mails carry the return's access token (the link, the slip's QR code), which opens
        the return and cancels it: a follower outside both (a stranger who managed to follow the thread,
        a contact added by mistake) is never mailed."""
        recipients = super()._notify_get_recipients(message, msg_vals=msg_vals, **kwargs)
        if len(self) != 1:
            return recipients
        customer = self.sudo().commercial_partner_id
        external = self.env["res.partner"].sudo().browse([r["id"] for r in recipients if r.get("share")])
        allowed = set(external.filtered(lambda p: p.commercial_partner_id == customer).ids)
        return [r for r in recipients if not r.get("share") or r["id"] in allowed]

    def _get_customer_mail_steps(self):
        """{step: (policy switch, mail template xmlid)}."""
        return {
            "request_received": ("mail_request_received", "reverse_logistics.mail_template_return_request_received"),
            "approved": ("mail_approved", "reverse_logistics.mail_template_return_approved"),
            "rejected": ("mail_rejected", "reverse_logistics.mail_template_return_rejected"),
            "goods_received": ("mail_goods_received", "reverse_logistics.mail_template_return_goods_received"),
            "resolved": ("mail_resolved", "reverse_logistics.mail_template_return_resolved"),
            "expired": ("mail_expired", "reverse_logistics.mail_template_return_expired"),
        }

    def _is_customer_mail_sent(self, switch):
        """Hook (the recall's returns have its own notices): a customer without an address gets none."""
        self.ensure_one()
        return bool(self.partner_id.email and self.policy_id[switch])

    def _get_customer_mail_author(self):
        """The returns team writes, never the customer (an author is not notified of their own message)."""
        self.ensure_one()
        return (self.user_id or self.policy_id.user_id).partner_id or self.company_id.partner_id

    def _send_customer_mail(self, step):
        """Flag the mail of `step` for the returns whose policy sends it now; the mail cron writes it."""
        switch, _xmlid = self._get_customer_mail_steps()[step]
        orders = self.filtered(lambda o: o._is_customer_mail_sent(switch))
        for order in orders:
            # The flow's bookkeeping, whoever triggered the step (a clerk, the portal, a cron).
            order.sudo().customer_mail_steps = " ".join(filter(None, [order.customer_mail_steps, step]))
        if orders:
            self.env.ref("reverse_logistics.ir_cron_return_customer_mail").sudo()._trigger()

    @api.model
    def _cron_send_customer_mails(self, batch_size=None):
        """Write one batch of flagged customer mails; Odoo's cron runs again at once while some remain.

        Each return's mails and the cleared flag are written together, so a crash writes none of them and
        the next run writes them once. A mail that cannot be rendered is dropped with a note on the return
        for the returns team, instead of holding up every other."""
        batch_size = batch_size or self._CRON_BATCH_SIZE
        orders = self.sudo()
        domain = [("customer_mail_steps", "!=", False)]
        batch = orders.search(domain, order="id", limit=batch_size)
        # In the order the customer lives them (a refund at receipt is decided before the receipt's own
        # mail is called for).
        lifecycle = list(self._get_customer_mail_steps())
        for order in batch:
            steps = order.customer_mail_steps.split()
            try:
                steps.sort(key=lifecycle.index)  # an unknown step fails this return alone, below
                with self.env.cr.savepoint():
                    for step in steps:
                        order._post_customer_mail(step)
                    order.customer_mail_steps = False
            except psycopg2.Error:
                raise  # a concurrent update: the whole run is tried again, nothing lost
            except Exception as error:  # noqa: BLE001 (any rendering error: the note says which)
                _logger.exception("Customer mail of %s could not be written", order.name)
                order.customer_mail_steps = False
                order.message_post(body=self.env._(
                    "The customer mail (%(steps)s) could not be written: %(error)s",
                    steps=", ".join(steps), error=str(error)))
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _post_customer_mail(self, step):
        self.ensure_one()
        _switch, xmlid = self._get_customer_mail_steps()[step]
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if not template:
            return self.env["mail.message"]
        # As the system, with no default of any caller's context (a forged default_partner_ids adds no
        # recipient).
        return self.sudo().with_context(clean_context(self.env.context)).message_post_with_source(
            template.sudo(), message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self._get_customer_mail_author().id, force_send=False,
            email_layout_xmlid="mail.mail_notification_light",
        )

    # ==================================================================
    # Deadlines (crons)
    # Deadlines that act by themselves: approved returns whose goods never come expire, and units
    # that wait too long for grading give the returns team an activity. Both run as batched crons.
    # ==================================================================
    date_expired = fields.Datetime(string="Expired On", readonly=True, copy=False)

    _CRON_BATCH_SIZE = 200

    # ------------------------------------------------------------------
    # Receipt deadline
    # ------------------------------------------------------------------
    @api.model
    def _get_expirable_domain(self, now=None):
        """Approved returns with nothing received, approved longer ago than their policy's deadline.

        One branch per policy, as each has its own number of days; a policy with 0 days never expires."""
        now = now or fields.Datetime.now()
        policies = self.env["return.policy"].sudo().with_context(active_test=False).search(
            [("receipt_deadline_days", ">", 0)])
        branches = [
            [("policy_id", "=", policy.id), ("date_approved", "<", now - timedelta(days=policy.receipt_deadline_days))]
            for policy in policies
        ]
        if not branches:
            return expression.FALSE_DOMAIN
        return expression.AND([[("state", "=", "approved")], expression.OR(branches)])

    @api.model
    def _cron_expire_returns(self, batch_size=None):
        """Expire one batch; Odoo's cron runs again at once while `remaining` is not 0.

        Idempotent: an expired return is no longer approved, so it is never picked again."""
        batch_size = batch_size or self._CRON_BATCH_SIZE
        orders = self.sudo()
        domain = self._get_expirable_domain()
        batch = orders.search(domain, order="date_approved, id", limit=batch_size)
        batch._action_expire()
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _action_expire(self):
        """No goods came: cancel the open receipt and free the units (expired lines reserve nothing)."""
        if not self:
            return
        self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel")).sudo().action_cancel()
        self.sudo().write({"state": "expired", "date_expired": fields.Datetime.now()})
        for order in self:
            order.message_post(body=self.env._(
                "Expired: nothing was received within the %(days)s days the policy allows.",
                days=order.policy_id.receipt_deadline_days))
        self._send_customer_mail("expired")

    def action_reopen_expired(self):
        """A manager accepts the goods after all: approved again, with a new receipt and deadline."""
        if not self.env.user.has_group("reverse_logistics.group_return_manager"):
            raise AccessError(self.env._("Only a Returns Manager may reopen an expired return."))
        check_flow_access(self, )
        if any(order.state != "expired" for order in self):
            raise UserError(self.env._("Only expired returns can be reopened."))
        for order in self:
            # The units must still be returnable: another return may have taken them meanwhile.
            order.line_ids._check_returnable_quantity()
        self.sudo().write({"state": "approved", "date_approved": fields.Datetime.now(), "date_expired": False})
        self._create_receipts()
        for order in self:
            order.message_post(body=self.env._("Reopened by %(user)s after it expired.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # Grading SLA
    # ------------------------------------------------------------------
    @api.model
    def _get_grading_overdue_domain(self, activity_type, now=None):
        """Returns whose units wait for grading longer than their policy's SLA since the goods first
        arrived, and that have no open overdue-grading activity yet (so the cron gives only one)."""
        now = now or fields.Datetime.now()
        policies = self.env["return.policy"].sudo().with_context(active_test=False).search(
            [("grading_sla_hours", ">", 0)])
        branches = [
            [("policy_id", "=", policy.id),
             ("date_first_receipt", "<", now - timedelta(hours=policy.grading_sla_hours))]
            for policy in policies
        ]
        if not branches:
            return expression.FALSE_DOMAIN
        return expression.AND([
            [("disposition_status", "=", "to_grade"),
             ("activity_ids", "not any", [("activity_type_id", "=", activity_type.id)])],
            expression.OR(branches),
        ])

    @api.model
    def _cron_grading_sla(self, batch_size=None):
        batch_size = batch_size or self._CRON_BATCH_SIZE
        activity_type = self.env.ref("reverse_logistics.mail_activity_return_grading_overdue")
        orders = self.sudo()
        domain = self._get_grading_overdue_domain(activity_type)
        batch = orders.search(domain, order="date_first_receipt, id", limit=batch_size)
        for order in batch:
            order.activity_schedule(
                activity_type_id=activity_type.id, user_id=order._get_grading_sla_user().id,
                note=self.env._("Units of %(name)s wait for grading for more than %(hours)s hours.",
                                name=order.name, hours=order.policy_id.grading_sla_hours),
            )
        remaining = orders.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return batch

    def _get_grading_sla_user(self):
        """Who gets the overdue-grading activity: the policy's responsible for the returns team."""
        self.ensure_one()
        return self.policy_id.user_id or self.user_id or self.env.ref("base.user_admin")

    # ==================================================================
    # Requests by e-mail (mail gateway)
    # Returns asked for by e-mail, through a return policy's alias: a draft for the returns team.
    #
    # Anybody can write to an alias and put any address in `From:`, so what a mail says is a request, never
    # a decision: the return is marked as requested by e-mail and waits for a Returns Manager, it is linked
    # to an order only when the sender's address is the order's customer's address, and replies from
    # anyone but the customer or the returns team stay internal notes that subscribe and notify no one
    # outside the team.
    # ==================================================================
    requested_by_mail = fields.Boolean(
        string="Requested by E-mail", readonly=True, copy=False,
        help="Created from a mail to the policy's alias: the sender is not authenticated, so a Returns "
        "Manager approves it, never the policy alone.",
    )

    _MAIL_ORDER_TOKENS_MAX = 200

    @api.model
    def _find_mail_sale_order(self, sender_email, company, text):
        """The confirmed order named in the mail whose customer's address is exactly the sender's."""
        tokens = list(dict.fromkeys(re.findall(r"[\w/-]{3,40}", text or "")))[: self._MAIL_ORDER_TOKENS_MAX]
        if not tokens or not sender_email:
            return self.env["sale.order"]
        orders = self.env["sale.order"].sudo().search([
            ("name", "in", tokens), ("state", "=", "sale"), ("company_id", "=", company.id),
            ("partner_id.email_normalized", "=", sender_email),
        ], order="id desc")
        # email_normalized is stored lower-cased; compare again on the address itself, not on a relative.
        return orders.filtered(lambda o: email_normalize(o.partner_id.email) == sender_email)[:1]

    @api.model
    def _get_mail_sender_email(self, email_from):
        """The sender's normalized address, or False when `email_from` holds none or several."""
        return email_normalize(email_from or "")

    @api.model
    def _get_mail_sender(self, msg_dict):
        """(normalized address, partner) of who sent the mail: the partner the gateway found for the
        address, else a new contact named after the address (never after the display name, which the
        sender chooses freely: `"a@b.example" <evil@c.example>` is evil@c.example)."""
        sender_email = self._get_mail_sender_email(msg_dict.get("email_from"))
        if not sender_email:
            raise UserError(self.env._("A return asked for by e-mail needs one sender's address."))
        partner = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not partner or partner.email_normalized != sender_email:
            # The return needs a customer: an unknown sender becomes a contact the team can merge later.
            partner = self.env["res.partner"].sudo().find_or_create(sender_email)
        return sender_email, partner

    @api.model
    def _prepare_mail_return_vals(self, msg_dict, custom_values):
        company = self.env["res.company"].browse(custom_values.get("company_id")) or self.env.company
        sender_email, partner = self._get_mail_sender(msg_dict)
        body = html2plaintext(msg_dict.get("body") or "").strip()
        sale_order = self._find_mail_sale_order(sender_email, company, f"{msg_dict.get('subject') or ''}\n{body}")
        vals = {
            # The sequence names it, not the mail's subject.
            "name": "New",
            "partner_id": partner.id,
            "company_id": company.id,
            "return_type_id": self._get_default_return_type(company).id,
            "requested_by_mail": True,
            # Plain text, never HTML: shown to the returns team as the customer wrote it.
            "customer_note": body[: self._CUSTOMER_NOTE_MAX_LENGTH] or False,
        }
        if sale_order:
            vals.update(partner_id=sale_order.partner_id.id, sale_order_id=sale_order.id,
                        warehouse_id=sale_order.warehouse_id.id)
        return vals

    def _get_mail_alias_defaults(self):
        """The values a mail may bring to a new return: the defaults of an alias that creates returns (a
        policy's), as the gateway passes them."""
        aliases = self.env["mail.alias"].sudo().search([("alias_model_id.model", "=", self._name)])
        return [dict(ast.literal_eval(alias.alias_defaults or "{}")) for alias in aliases]

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # The mail gateway runs as the superuser; over RPC this would let anyone create a return with any
        # values as the system.
        if not self.env.su:
            raise AccessError(self.env._("Returns by e-mail are created by the mail gateway only."))
        # message_process is public, and its fallback route runs as the system with the values its caller
        # sends: a mail brings only what a return alias gives, so that calling it is no more than writing
        # to the alias (and nothing where no alias takes returns by e-mail).
        # Compared with their types: 1.0 and True are equal to 1 for Python, not for the fields they fill.
        given = sorted((key, type(value).__name__, repr(value)) for key, value in (custom_values or {}).items())
        allowed = [sorted((key, type(value).__name__, repr(value)) for key, value in defaults.items())
                   for defaults in self._get_mail_alias_defaults()]
        if given not in allowed:
            raise AccessError(self.env._(
                "Returns by e-mail arrive through a return policy's e-mail alias, with that alias's values only."))
        # message_process is public: its caller's context defaults must not fill the return.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        values = dict(custom_values or {})
        values.update(self._prepare_mail_return_vals(msg_dict, values))
        # The mail is posted on the new return with this author (so a new contact follows their return).
        msg_dict["author_id"] = values["partner_id"]
        return super().message_new(msg_dict, custom_values=values)

    # ------------------------------------------------------------------
    # Replies into the return's thread
    # ------------------------------------------------------------------
    def _is_customer_or_team(self, partner):
        """The return's customer (a contact of its commercial partner) or an internal user."""
        self.ensure_one()
        partner = partner.sudo()
        return bool(partner) and (
            partner.commercial_partner_id == self.sudo().commercial_partner_id
            or any(not user.share for user in partner.with_context(active_test=False).user_ids))

    def _is_team_member(self, partner):
        """An internal user's contact (and not the return's customer's)."""
        self.ensure_one()
        partner = partner.sudo()
        return bool(partner) and partner.commercial_partner_id != self.sudo().commercial_partner_id \
            and any(not user.share for user in partner.with_context(active_test=False).user_ids)

    def _prepare_untrusted_post_values(self, kwargs):
        """What a message by someone else becomes: an internal note, notifying the return's responsible
        when it came by mail, and nobody outside the returns team."""
        self.ensure_one()
        values = dict(kwargs, subtype_xmlid="mail.mt_note", subtype_id=False, is_internal=True, partner_ids=[])
        responsible = self.sudo().user_id
        if kwargs.get("message_type") == "email" and responsible and not responsible.share:
            values["partner_ids"] = responsible.partner_id.ids
        return values

    def message_post(self, **kwargs):
        if len(self) == 1:
            author_id, email_from = self._message_compute_author(
                kwargs.get("author_id"), kwargs.get("email_from"), raise_on_email=False)
            author = self.env["res.partner"].browse(author_id)
            if kwargs.get("message_type") == "email" and author \
                    and author.sudo().email_normalized != self._get_mail_sender_email(email_from):
                # A mail counts as its author's only when From: is that address and nothing else.
                author = author.browse()
            if not self._is_customer_or_team(author):
                # Never subscribed (the gateway subscribes a known author), never relayed to the customer.
                kwargs = self._prepare_untrusted_post_values(kwargs)
                self = self.with_context(mail_create_nosubscribe=True)  # noqa: PLW0642
            elif kwargs.get("message_type") == "email" and self._is_team_member(author):
                # Anybody can put an employee's address in From:. A mail in the team's name would reach the
                # customer from the company's own server: it is logged for the team, who write to the
                # customer from the chatter, where Odoo knows who writes.
                kwargs = self._prepare_untrusted_post_values(kwargs)
        return super().message_post(**kwargs)

    # ==================================================================
    # Portal
    # What the portal request adds around `_create_from_portal`: photos, a customer's cancellation and
    # quantities shown in the product's unit rounding.
    # ==================================================================
    _PORTAL_PHOTO_MAX_COUNT = 5

    _PORTAL_PHOTO_MAX_SIZE = 5 * 1024 * 1024
    # Decoding costs time by the pixel, not by the byte: a few hundred KB of PNG can claim 50 megapixels
    # (Odoo's own limit), a second of server time each. 25 megapixels is more than a phone photo needs.
    _PORTAL_PHOTO_MAX_PIXELS = min(25_000_000, IMAGE_MAX_RESOLUTION)

    # Recognised by decoding the content, never by the name or the type the browser claims; stored with
    # that type and a name of that type, so nothing a customer sends is ever served as script or HTML.
    _PORTAL_PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                             "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}

    @api.model
    def _get_portal_photo_format(self, name, data):
        """(mimetype, extension) of a photo, from its decoded content. Refuses what does not decode as
        one of the accepted formats, and images whose header claims more pixels than Odoo accepts (a
        decompression bomb: a few bytes claiming 100000 x 100000), before decoding them."""
        too_large = UserError(self.env._(
            "%(name)s has too many pixels: %(max)s megapixels at most.", name=name,
            max=int(self._PORTAL_PHOTO_MAX_PIXELS / 1e6)))
        not_a_photo = UserError(self.env._("%(name)s is not a photo: send JPEG, PNG, WebP or GIF images.",
                                           name=name))
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in self._PORTAL_PHOTO_FORMATS:
                raise not_a_photo
            width, height = image.size
            if width * height > self._PORTAL_PHOTO_MAX_PIXELS:
                raise too_large
            image.verify()
            # Decoded once, bounded by the pixels above: a file that does not decode is no photo.
            Image.open(io.BytesIO(data)).load()
        except UserError:
            raise
        except Image.DecompressionBombError:
            raise too_large from None
        except Exception:  # noqa: BLE001 - whatever Pillow raises on a file it cannot decode
            raise not_a_photo from None
        return self._PORTAL_PHOTO_FORMATS[image.format]

    @api.model
    def _get_portal_photo_name(self, name, extension):
        """The customer's file name without its own extension, with the one of its real type."""
        stem = os.path.splitext(os.path.basename((name or "").replace("\\", "/")))[0]
        stem = re.sub(r"[^\w\- ]+", "", stem).strip()[:64] or "photo"
        return f"{stem}.{extension}"

    @api.model
    def _check_portal_photos(self, photos):
        """`photos`: [(file name, bytes)]. Refuses too many, too large and non-image files; returns them
        as [(stored name, bytes, mimetype)]."""
        if len(photos) > self._PORTAL_PHOTO_MAX_COUNT:
            raise UserError(self.env._("Add %(max)s photos at most.", max=self._PORTAL_PHOTO_MAX_COUNT))
        checked = []
        for name, data in photos:
            if len(data) > self._PORTAL_PHOTO_MAX_SIZE:
                raise UserError(self.env._(
                    "%(name)s is too large: %(max)s MB at most per photo.",
                    name=name, max=self._PORTAL_PHOTO_MAX_SIZE // (1024 * 1024)))
            mimetype, extension = self._get_portal_photo_format(name, data)
            checked.append((self._get_portal_photo_name(name, extension), data, mimetype))
        return checked

    def _attach_portal_photos(self, photos):
        """`photos` as `_check_portal_photos` returns them."""
        self.ensure_one()
        if not photos:
            return self.env["ir.attachment"]
        # Created with the detected type (message_post would guess it from the name), pending for the
        # composer as the visitor's own uploads are, so that message_post moves them onto the return.
        attachments = self.env["ir.attachment"].sudo().create([{
            "name": name, "raw": data, "mimetype": mimetype, "res_model": "mail.compose.message", "res_id": 0,
        } for name, data, mimetype in photos])
        # Posted with the message, so the photos are the note's attachments in the chatter.
        self.sudo().message_post(
            body=self.env._("Photos sent by the customer."), attachment_ids=attachments.ids,
            message_type="comment", subtype_xmlid="mail.mt_note")
        return attachments

    @api.model
    def _create_from_portal_with_photos(self, sale_order, quantities, reason, note=False, resolution="refund",
                                        photos=()):
        """The portal request with its photos: the photos are checked before anything is created."""
        photos = self._check_portal_photos(list(photos))
        order = self._create_from_portal(sale_order, quantities, reason, note, resolution)
        order._attach_portal_photos(photos)
        return order

    # ------------------------------------------------------------------
    # Cancellation by the customer
    # ------------------------------------------------------------------
    def _can_customer_cancel(self):
        """Before anything arrived or was credited: the customer changed their mind."""
        self.ensure_one()
        order = self.sudo()
        return order.state in ("draft", "approved") and not order.receipt_ids.filtered(
            lambda p: p.state == "done") and not order.credit_note_ids.filtered(lambda m: m.state == "posted") \
            and not order.exchange_order_ids

    def _action_cancel_by_customer(self):
        for order in self:
            if not order._can_customer_cancel():
                raise UserError(self.env._(
                    "%(name)s can no longer be cancelled here: contact us.", name=order.name))
        self.sudo().action_cancel()
        for order in self:
            order.sudo().message_post(body=self.env._("Cancelled by the customer on the portal."))
        return True

    # ------------------------------------------------------------------
    # Display
    # ------------------------------------------------------------------
    @api.model
    def _portal_format_qty(self, qty, uom):
        """A quantity as the customer reads it: in the unit's rounding, without trailing zeros."""
        rounded = float_round(qty or 0.0, precision_rounding=uom.rounding or 0.01)
        return f"{rounded:f}".rstrip("0").rstrip(".") or "0"

    # ------------------------------------------------------------------
    # Demo data: made through the real flows; only demo/return_demo.xml calls it
    # ------------------------------------------------------------------
    @api.model
    def _create_demo_returns(self):
        """Demo returns in every state, made through the real flows (sale, delivery, invoice, return).

        Called from demo/return_demo.xml only.
        """
        ref = self.env.ref
        company = ref("base.main_company")
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        if not warehouse.return_type_id:
            warehouse._ensure_return_setup()
        espresso, grinder, beans = (
            ref(f"reverse_logistics.product_demo_{name}") for name in ("espresso", "grinder", "beans")
        )
        quant = self.env["stock.quant"].with_context(inventory_mode=True)
        lot_model = self.env["stock.lot"]
        quant.create({"product_id": espresso.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 60})
        for lot_name, qty in (("BEANS-2611-A", 200), ("BEANS-2611-B", 200)):
            lot = lot_model.create({"name": lot_name, "product_id": beans.id, "company_id": company.id})
            quant.create({"product_id": beans.id, "location_id": warehouse.lot_stock_id.id,
                          "lot_id": lot.id, "inventory_quantity": qty})
        for i in range(1, 13):
            lot = lot_model.create({"name": f"GRD-{i:05d}", "product_id": grinder.id, "company_id": company.id})
            quant.create({"product_id": grinder.id, "location_id": warehouse.lot_stock_id.id,
                          "lot_id": lot.id, "inventory_quantity": 1})
        quant.search([("inventory_quantity_set", "=", True)]).action_apply_inventory()

        def sell(partner, lines):
            order = self.env["sale.order"].create({
                "partner_id": partner.id, "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            })
            order.action_confirm()
            order.picking_ids.action_assign()
            order.picking_ids.move_ids.picked = True
            order.picking_ids.with_context(skip_sms=True).button_validate()
            order._create_invoices().action_post()
            return order

        # The demo's returns are the demo returns team's (made here as the superuser, they would be OdooBot's).
        clerk = ref("base.user_demo")

        def new_return(order, qty_by_product, reason, **vals):
            ret = self.browse(self._create_from_moves(order.order_line.move_ids, order.partner_id, order)["res_id"])
            for line in ret.line_ids:
                if line.product_id in qty_by_product:
                    line.write({"product_uom_qty": qty_by_product[line.product_id], "reason_id": reason.id})
                else:
                    line.unlink()
            # Untracked: the responsible is the clerk's from the start, not a change in the chatter.
            ret.with_context(mail_notrack=True).write(dict(vals, user_id=clerk.id))
            return ret

        def receive(picking, qty=None):
            for move in picking.move_ids:
                if qty is not None:
                    move.quantity = qty
                move.picked = True
            res = picking.with_context(skip_sms=True).button_validate()
            if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
                self.env["stock.backorder.confirmation"].with_context(**res["context"]).create({}).process()

        unwanted = ref("reverse_logistics.return_reason_not_needed")
        defect = ref("reverse_logistics.return_reason_defective")
        wrong = ref("reverse_logistics.return_reason_wrong_item")
        partners = [ref(x) for x in ("base.res_partner_2", "base.res_partner_3", "base.res_partner_4",
                                     "base.res_partner_12", "base.res_partner_1")]

        sale_1 = sell(partners[0], [(espresso, 10), (beans, 20)])
        sale_2 = sell(partners[1], [(espresso, 6), (grinder, 4)])
        sale_3 = sell(partners[2], [(espresso, 8), (beans, 30)])
        sale_4 = sell(partners[3], [(grinder, 3), (espresso, 4)])

        # Done: received in full and refunded (restocking fee on "no longer needed").
        done = new_return(sale_1, {espresso: 2}, unwanted)
        done.action_submit()
        receive(done.receipt_ids)
        # Receiving: 2 of 3 arrived, a backorder waits for the rest.
        receiving = new_return(sale_3, {espresso: 3}, defect)
        receiving.action_submit()
        receive(receiving.receipt_ids, qty=2)
        # Approved: the receipt waits in the Returns operation.
        approved = new_return(sale_2, {grinder: 1}, defect, resolution="exchange")
        approved.action_submit()
        # Draft waiting for a manager: above the auto-approval limit.
        waiting = new_return(sale_3, {espresso: 5}, unwanted)
        waiting.action_submit()
        # Draft not yet submitted.
        draft = new_return(sale_4, {espresso: 1}, wrong)
        # Rejected.
        rejected = new_return(sale_1, {beans: 5}, unwanted)
        rejected._action_reject("Opened food product: not resellable.")
        # Cancelled.
        cancelled = new_return(sale_2, {espresso: 1}, unwanted)
        cancelled.action_submit()
        cancelled.action_cancel()
        # Received: distributor return without documents, credit note left in draft for the accountant.
        distributor = self.create({
            "partner_id": partners[4].id,
            "user_id": clerk.id,
            "return_type_id": ref("reverse_logistics.return_type_distributor").id,
            "policy_id": ref("reverse_logistics.return_policy_distributor").id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": espresso.id, "product_uom_qty": 4,
                                         "reason_id": ref("reverse_logistics.return_reason_overstock").id})],
        })
        distributor.action_approve()
        receive(distributor.receipt_ids)
        # Done by exchange: a serial returned and replaced.
        exchange = new_return(sale_4, {grinder: 1}, defect, resolution="exchange")
        exchange.action_submit()
        receive(exchange.receipt_ids)
        # Done by store credit.
        credit = new_return(sale_2, {espresso: 1}, unwanted, resolution="store_credit")
        credit.action_submit()
        receive(credit.receipt_ids)

        # Grading and disposition: the refunded machines, one like new and one for salvage; the
        # exchanged grinder goes to refurbishment (it comes back as the refurbished grinder when its
        # repair is done); the distributor's machines wait for a decision.
        station = self.env["return.grading.station"]
        grade = {code: ref(f"reverse_logistics.grade_{code.lower()}") for code in "ABCD"}
        station.grade(done.line_ids.id, grade["A"].id, 1)
        station.grade(done.line_ids.id, grade["D"].id, 1)
        done.action_dispose()
        grinder_line = exchange.line_ids.filtered(lambda line: line.qty_received)[:1]
        lot = grinder_line._get_ungraded_lots()[0][0]
        station.grade(grinder_line.id, grade["C"].id, 1, lot_id=lot.id)
        exchange.grading_ids.disposition_id = ref("reverse_logistics.disposition_refurbish")
        exchange.action_dispose()
        station.grade(distributor.line_ids.id, grade["B"].id, 3)
        station.grade(distributor.line_ids.id, grade["C"].id, 1)

        # Spread over the last twelve weeks, oldest first, so that reports have a shape and cycle times
        # are hours and days rather than the seconds the flows above took.
        self._demo_spread_dates([
            (done, 82), (credit, 68), (exchange, 55), (cancelled, 47), (rejected, 38), (distributor, 27),
            (receiving, 16), (approved, 9), (waiting, 4), (draft, 1),
        ])
        # What the scheduled action would have done by now: units waiting for grading for weeks are flagged.
        self._cron_grading_sla()
        return True

    @api.model
    def _demo_spread_dates(self, orders_days_ago):
        """Move each return's dates to `days_ago` days before now, each step some hours after the one
        before it; only the dates the flow set are moved."""
        now = fields.Datetime.now()
        for index, (order, days_ago) in enumerate(orders_days_ago):
            order = order.sudo()
            start = now - timedelta(days=days_ago, hours=3 * index)
            at = {"date_request": start}
            at["date_submitted"] = start + timedelta(minutes=30)
            at["date_approved"] = start + timedelta(hours=2 + index % 3)
            at["date_cancel"] = at["date_approved"] + timedelta(days=2)
            at["date_first_receipt"] = at["date_approved"] + timedelta(days=2 + index % 4, hours=5)
            # A return received in several parcels gets its last one a few days after the first.
            received_after = timedelta(days=3) if len(order.receipt_ids) > 1 else timedelta()
            at["date_received"] = at["date_first_receipt"] + received_after
            at["date_resolved"] = (
                at["date_received"] + timedelta(hours=4) if order.date_first_receipt
                else at["date_approved"] + timedelta(hours=1))
            at["date_graded"] = at["date_first_receipt"] + timedelta(hours=20)
            at["date_dispositioned"] = at["date_graded"] + timedelta(hours=30)
            at["date_done"] = max(at["date_resolved"], at["date_received"]) + timedelta(hours=1)
            order.write({field: date for field, date in at.items() if order[field]})
            order.receipt_ids.filtered("date_done").write({"date_done": at["date_first_receipt"]})
            for grading in order.grading_ids:
                grading.write({
                    field: at[field] if field != "date_done" else at["date_dispositioned"]
                    for field in ("date_graded", "date_dispositioned", "date_done") if grading[field]
                })

    # ==================================================================
    # Keep-the-item refunds
    # ==================================================================
    def _get_earlier_kept_lines(self):
        """Lines the customer kept on his other returns of the same sale (not cancelled nor rejected)."""
        self.ensure_one()
        if not self.sale_order_id:
            return self.env["return.order.line"]
        return self.env["return.order.line"].sudo().search([
            ("kept_by_customer", "=", True), ("order_id", "!=", self.id),
            ("order_id.sale_order_id", "=", self.sale_order_id.id),
            ("order_id.state", "not in", ("cancel", "rejected"))])

    def _decide_kept_lines(self):
        """At approval, the policy decides line by line whether the customer keeps the goods (credited,
        nothing comes back); the decision is frozen on the line and its reason said in the chatter."""
        for order in self:
            # A return reset to draft and approved again is decided again, under today's policy.
            order.line_ids.sudo().filtered("kept_by_customer").write({"kept_by_customer": False})
            policy = order.policy_id.sudo()
            if not policy.keep_item_allowed:
                continue
            currency = order.company_id.currency_id
            # The ceilings hold for the sale, not for one request: what the customer kept of it before counts.
            earlier = order._get_earlier_kept_lines()
            kept_value = sum(line.order_id._get_amount_in_company_currency(line.price_subtotal) for line in earlier)
            kept, reasons = order.line_ids.sudo().browse(), []
            for line in order.line_ids.sudo():
                refusal = policy._get_keep_item_refusal(line, earlier)
                value = order._get_amount_in_company_currency(line.price_subtotal)
                if not refusal and policy.keep_item_max_amount and currency.compare_amounts(
                        kept_value + value, policy.keep_item_max_amount) > 0:
                    refusal = self.env._("the return's kept value would exceed the ceiling per return %(ceiling)s",
                                         ceiling=format_amount(self.env, policy.keep_item_max_amount, currency))
                if refusal:
                    reasons.append(self.env._("%(product)s comes back: %(why)s.",
                                              product=line.product_id.display_name, why=refusal))
                    continue
                kept |= line
                kept_value += value
                reasons.append(self.env._(
                    "%(product)s kept by the customer: bringing it back would cost %(cost)s for an expected "
                    "recovery of %(recovery)s.", product=line.product_id.display_name,
                    cost=format_amount(self.env, line.return_cost_amount, currency),
                    recovery=format_amount(self.env, line.expected_recovery_amount, currency)))
            kept.write({"kept_by_customer": True})
            order.message_post(body=Markup("<br/>").join(
                [self.env._("Keep-the-item decision of the policy %(policy)s:", policy=policy.name), *reasons]))
            if kept and kept == order.line_ids:
                # Nothing to receive: accounted for as received, done once credited (see _check_done).
                order.sudo().state = "received"
