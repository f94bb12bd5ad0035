from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount

from ..tools import refuse_mail_creation


class ReturnPolicy(models.Model):
    _name = "return.policy"
    _description = "Return Policy"
    _inherit = ["mail.thread", "mail.alias.mixin.optional"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True,
    )
    is_default = fields.Boolean(
        string="Company Default", tracking=True,
        help="Used by every return of the company that names no other policy.",
    )
    window_days = fields.Integer(
        string="Return Window (days)", default=30, tracking=True,
        help="Days after the delivery during which the customer may return the goods.",
    )
    category_window_ids = fields.One2many(
        "return.policy.category.window", "policy_id", string="Windows by Category",
    )
    non_returnable_product_ids = fields.Many2many(
        "product.template", "return_policy_non_returnable_product_rel",
        string="Non-returnable Products",
    )
    non_returnable_categ_ids = fields.Many2many(
        "product.category", "return_policy_non_returnable_categ_rel",
        string="Non-returnable Categories",
        help="Products in these categories and their sub-categories cannot be returned.",
    )
    restocking_fee_percent = fields.Float(
        string="Default Restocking Fee (%)", digits=(5, 2), tracking=True,
        help="Charged on reasons that have no fee of their own; never on defects.",
    )
    fee_ids = fields.One2many("return.policy.fee", "policy_id", string="Restocking Fees by Reason")
    auto_approve = fields.Boolean(
        string="Auto-approve", default=True, tracking=True,
        help="Approve a return on submission when it is inside the window, breaks no rule "
        "and its value is under the limit.",
    )
    auto_approve_max_amount = fields.Monetary(
        string="Auto-approval Limit", currency_field="currency_id", default=500.0, tracking=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    lot_match_required = fields.Boolean(
        string="Lot Must Match Delivery", tracking=True,
        help="A returned lot or serial number must be one that was delivered to the customer.",
    )
    refund_step = fields.Selection(
        [("approval", "On Approval"), ("receipt", "On Receipt")],
        string="Resolve On", default="receipt", required=True, tracking=True,
        help="When the credit note, store credit or replacement order is created.",
    )
    auto_post_credit_note = fields.Boolean(
        string="Post Credit Notes", default=True, tracking=True,
        help="Post the credit notes as soon as they are created; otherwise leave them in draft "
        "for an accountant.",
    )
    note = fields.Html(string="Terms", translate=True)
    user_id = fields.Many2one(
        "res.users", string="Responsible", domain="[('share', '=', False)]", tracking=True,
        help="Internal user in charge of the returns customers ask for themselves (portal, e-mail).",
    )

    @api.constrains("is_default", "company_id", "active")
    def _check_one_default(self):
        for policy in self.filtered(lambda p: p.is_default and p.active):
            count = self.search_count(policy._get_default_rivals_domain())
            if count > 1:
                raise ValidationError(self.env._(
                    "%(company)s already has a default return policy.", company=policy.company_id.name,
                ))

    @api.constrains("company_id")
    def _check_company_of_user(self):
        """A manager moves a policy only into a company of his: the company rule checks the record before
        the write, not the company it is moved to (where it would take part in that company's returns)."""
        if self.env.su:
            return
        for policy in self:
            if policy.company_id not in self.env.user.company_ids:
                raise ValidationError(self.env._(
                    "%(policy)s cannot belong to %(company)s: you do not work for that company.",
                    policy=policy.name, company=policy.company_id.sudo().name))

    @api.constrains("window_days", "restocking_fee_percent", "auto_approve_max_amount")
    def _check_values(self):
        for policy in self:
            if policy.window_days < 0:
                raise ValidationError(self.env._("A return window cannot be negative."))
            if not 0 <= policy.restocking_fee_percent <= 100:
                raise ValidationError(self.env._("A restocking fee is a percentage between 0 and 100."))
            if policy.auto_approve_max_amount < 0:
                raise ValidationError(self.env._("The auto-approval limit cannot be negative."))

    @api.model
    def _get_default_policy(self, company=None):
        company = company or self.env.company
        return self.search(self._get_default_policy_domain(company), limit=1)

    @api.model
    def _get_default_policy_domain(self, company):
        """Where the company's default policy is found (an addon narrows it, e.g. to the company's own goods)."""
        return [("company_id", "=", company.id), ("is_default", "=", True)]

    def _get_default_rivals_domain(self):
        """The policies that may not be a default beside this one (an addon may keep one default per client)."""
        self.ensure_one()
        return [("company_id", "=", self.company_id.id), ("is_default", "=", True)]

    def _get_window_days(self, product):
        """The window of the product's nearest category that has an override, else the policy's."""
        self.ensure_one()
        windows = {w.categ_id.id: w.window_days for w in self.category_window_ids}
        categ = product.categ_id
        while categ:
            if categ.id in windows:
                return windows[categ.id]
            categ = categ.parent_id
        return self.window_days

    def _get_window_deadline(self, product, delivery_date):
        return delivery_date + timedelta(days=self._get_window_days(product))

    def _is_product_returnable(self, product):
        self.ensure_one()
        if product.product_tmpl_id in self.non_returnable_product_ids:
            return False
        categ_ids = {int(c) for c in (product.categ_id.parent_path or "").split("/") if c}
        return not categ_ids & set(self.non_returnable_categ_ids.ids)

    def _get_restocking_fee_percent(self, reason):
        self.ensure_one()
        if reason.is_defect:
            return 0.0
        fee = self.fee_ids.filtered(lambda f: f.reason_id == reason)[:1]
        return fee.fee_percent if fee else self.restocking_fee_percent

    def _get_line_problems(self, line):
        """Why the policy refuses a return line, in plain words.

        Returns a list of (code, message). The code ``window`` is the only one a manager may
        override; the others are hard rules.
        """
        self.ensure_one()
        problems = []
        product = line.product_id
        if not self._is_product_returnable(product):
            problems.append(("non_returnable", self.env._(
                "%(product)s cannot be returned under the policy %(policy)s.",
                product=product.display_name, policy=self.name,
            )))
        delivery_date = line._get_delivery_date()
        if delivery_date and line.order_id.return_type_id.window_applies:
            deadline = self._get_window_deadline(product, delivery_date)
            request_date = line.order_id.date_request or fields.Datetime.now()
            if request_date > deadline:
                problems.append(("window", self.env._(
                    "%(product)s was delivered on %(delivered)s: the %(days)s-day return window "
                    "closed on %(deadline)s.",
                    product=product.display_name,
                    delivered=fields.Date.to_string(delivery_date.date()),
                    days=self._get_window_days(product),
                    deadline=fields.Date.to_string(deadline.date()),
                )))
        if self.lot_match_required and line.lot_id and line._get_delivered_lots() is not None \
                and line.lot_id not in line._get_delivered_lots():
            problems.append(("lot", self.env._(
                "Lot/serial %(lot)s of %(product)s was not delivered to this customer.",
                lot=line.lot_id.name, product=product.display_name,
            )))
        return problems

    # ==================================================================
    # Customers
    # What the policy tells the customer: the instructions printed on the return slip.
    # ==================================================================
    slip_instructions = fields.Html(
        string="Return Slip Instructions", translate=True,
        default=lambda self: self.env._(
            "<p>Put this slip in the parcel with the items listed, pack them safely and send the parcel "
            "to the address above. Write the return number on the outside of the parcel.</p>"),
        help="Printed on the return slip the customer puts in the parcel.",
    )

    # One switch per customer mail (data/mail_template_data.xml); all on by default.
    mail_request_received = fields.Boolean(
        string="Request Received", default=True,
        help="Mail the customer when a return waits for a manager's review.")

    mail_approved = fields.Boolean(
        string="Approved", default=True, help="Mail the customer the approval, with the return slip attached.")

    mail_rejected = fields.Boolean(
        string="Rejected", default=True, help="Mail the customer the refusal and its reason.")

    mail_goods_received = fields.Boolean(
        string="Goods Received", default=True, help="Mail the customer when every expected unit arrived.")

    mail_resolved = fields.Boolean(
        string="Refunded / Credited / Replaced", default=True,
        help="Mail the customer when a credit note is posted or a replacement order is created.")

    mail_expired = fields.Boolean(
        string="Expired", default=True, help="Mail the customer when the return expired unreceived.")

    receipt_deadline_days = fields.Integer(
        string="Receipt Deadline (days)", default=30,
        help="An approved return whose goods did not arrive this many days after approval expires and "
        "its units become returnable again. 0: never.")

    grading_sla_hours = fields.Integer(
        string="Grading SLA (hours)", default=48,
        help="Units waiting for grading longer than this after they arrived give the responsible an "
        "activity. 0: no SLA.")

    # ==================================================================
    # Customer behaviour (return.customer.behaviour)
    # Thresholds that flag a customer; each empty (0) by default: nobody is flagged.
    # ==================================================================
    behaviour_period_days = fields.Integer(
        string="Behaviour Period (days)", default=365,
        help="The rolling period the customers' return behaviour is computed over (the company's default "
        "policy's).")
    behaviour_max_rate_qty = fields.Float(
        string="Max Return Rate by Units (%)", digits=(5, 2),
        help="Flag a customer who returned more than this share of the units delivered to him. 0: off.")
    behaviour_max_rate_value = fields.Float(
        string="Max Return Rate by Value (%)", digits=(5, 2),
        help="Flag a customer who returned more than this share of the value invoiced to him. 0: off.")
    behaviour_max_lot_mismatches = fields.Integer(
        string="Lot Mismatches That Flag",
        help="Flag a customer from this many returned lots or serials that did not match the delivery. 0: off.")
    behaviour_max_used_unused = fields.Integer(
        string="Used-said-unused Returns That Flag",
        help="Flag a customer from this many returns graded as used for a reason that says unused. 0: off.")

    # ==================================================================
    # Expected recovery at the request (return.recovery.estimate)
    # ==================================================================
    recovery_handling_cost = fields.Monetary(
        string="Handling Cost per Unit",
        help="What receiving and handling one returned unit costs, counted in the cost of bringing it back.")
    recovery_history_days = fields.Integer(
        string="Estimate History (days)", default=365,
        help="The rolling period of graded returns the expected recovery is estimated from.")
    recovery_history_min_qty = fields.Float(
        string="Minimum History (units)", digits="Product Unit of Measure", default=10.0,
        help="Units graded for the same product and reason (else the same product) before the estimate "
        "reads them; below, it reads the next wider history, up to the product's category.")

    @api.constrains("recovery_handling_cost", "recovery_history_days", "recovery_history_min_qty")
    def _check_recovery_estimate(self):
        for policy in self:
            if policy.recovery_history_days < 1:
                raise ValidationError(self.env._("The estimate history is at least one day."))
            if policy.recovery_handling_cost < 0 or policy.recovery_history_min_qty < 0:
                raise ValidationError(self.env._("A handling cost or a minimum history cannot be negative."))

    @api.constrains("behaviour_period_days", "behaviour_max_rate_qty", "behaviour_max_rate_value",
                    "behaviour_max_lot_mismatches", "behaviour_max_used_unused")
    def _check_behaviour_thresholds(self):
        for policy in self:
            if policy.behaviour_period_days < 1:
                raise ValidationError(self.env._("The behaviour period is at least one day."))
            if min(policy.behaviour_max_rate_qty, policy.behaviour_max_rate_value,
                   policy.behaviour_max_lot_mismatches, policy.behaviour_max_used_unused) < 0:
                raise ValidationError(self.env._("Behaviour thresholds cannot be negative (0 switches them off)."))

    @api.constrains("receipt_deadline_days", "grading_sla_hours")
    def _check_deadlines(self):
        for policy in self:
            if policy.receipt_deadline_days < 0 or policy.grading_sla_hours < 0:
                raise ValidationError(self.env._("Deadlines cannot be negative (0 switches them off)."))

    # ==================================================================
    # Mail alias
    # An e-mail alias per policy (optional): customers write to it and a draft return is created under
    # this policy, the mail thread staying in its chatter.
    # ==================================================================
    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("return.order")
        if self.id:
            values["alias_defaults"] = repr({"policy_id": self.id, "company_id": self.company_id.id})
        return values

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        refuse_mail_creation(self)

    # ==================================================================
    # Keep-the-item refunds
    # Credit the customer without taking the goods back when bringing them back costs more than they
    # recover (the estimate frozen on the line at submit). Off by default: nothing is given away unasked.
    # ==================================================================
    keep_item_allowed = fields.Boolean(
        string="Keep-the-item Refunds", tracking=True,
        help="At approval, credit the lines whose return costs more than it recovers without a receipt: the "
        "customer keeps the goods. Never for a customer flagged by his return behaviour.")
    keep_item_max_line_amount = fields.Monetary(
        string="Keep-the-item Ceiling per Line", currency_field="currency_id", tracking=True,
        help="A line worth more than this (untaxed, company currency) comes back. 0: no line is kept.")
    keep_item_max_amount = fields.Monetary(
        string="Keep-the-item Ceiling per Return", currency_field="currency_id", tracking=True,
        help="The lines kept on one return are worth at most this much together (untaxed, company currency); "
        "0: no ceiling per return, the line ceiling alone applies.")
    keep_item_reason_ids = fields.Many2many(
        "return.reason", "return_policy_keep_item_reason_rel", string="Keep-the-item Reasons",
        help="Return reasons a line may be kept for; none listed: no line is kept.")

    @api.constrains("keep_item_max_line_amount", "keep_item_max_amount")
    def _check_keep_item_ceilings(self):
        for policy in self:
            if policy.keep_item_max_line_amount < 0 or policy.keep_item_max_amount < 0:
                raise ValidationError(self.env._("Keep-the-item ceilings cannot be negative."))

    def _get_keep_item_refusal(self, line, earlier=None):
        """Why the policy does not let the customer keep `line` (a return line being approved), or False
        when it does. Values in company currency; the estimate's amounts are the ones frozen at submit."""
        self.ensure_one()
        order = line.order_id
        currency = order.company_id.currency_id
        if not self.keep_item_allowed:
            return self.env._("the policy makes no keep-the-item refunds")
        if order.resolution not in ("refund", "store_credit"):
            return self.env._("the return is not resolved by a credit")
        if line.reason_id not in self.keep_item_reason_ids:
            return self.env._("the reason %(reason)s is not one the policy keeps items for",
                              reason=line.reason_id.display_name or self.env._("(none)"))
        if order._get_customer_behaviour_flags():
            return self.env._("the customer is flagged by his return behaviour")
        if currency.compare_amounts(line.return_cost_amount, line.expected_recovery_amount) <= 0:
            return self.env._("bringing it back (%(cost)s) costs no more than it recovers (%(recovery)s)",
                              cost=format_amount(self.env, line.return_cost_amount, currency),
                              recovery=format_amount(self.env, line.expected_recovery_amount, currency))
        # The units of the same sale line the customer kept on earlier returns count: one unit per request
        # never goes under the ceiling.
        if earlier is None:
            earlier = order._get_earlier_kept_lines()
        value = order._get_amount_in_company_currency(line.price_subtotal) + sum(
            kept.order_id._get_amount_in_company_currency(kept.price_subtotal)
            for kept in earlier if line.sale_line_id and kept.sale_line_id == line.sale_line_id)
        if currency.compare_amounts(value, self.keep_item_max_line_amount) > 0:
            return self.env._("its value %(value)s is above the ceiling per line %(ceiling)s",
                              value=format_amount(self.env, value, currency),
                              ceiling=format_amount(self.env, self.keep_item_max_line_amount, currency))
        return False
