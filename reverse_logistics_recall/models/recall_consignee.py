import math
from collections import defaultdict

from odoo import api, fields, models
from odoo.addons.reverse_logistics.tools import check_user_create, check_user_write, refuse_mail_creation
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare, float_is_zero

from .. import trace_sql

CONTACT_METHODS = [("email", "E-mail"), ("phone", "Phone"), ("letter", "Letter"), ("visit", "Personal Visit")]


class RecallConsignee(models.Model):
    """A consignee of a recall: who is told, what they answer, what they send back.

    Its state, answer and figures are the recall's: set by the notice, the answer (portal, or recorded
    by the coordinator from a phone call, a letter or a visit), destruction on site and the trace, each
    checked the same way; written by hand, through the form or JSON-RPC, they are refused."""

    _name = "recall.consignee"
    _description = "Recall Consignee"
    _inherit = ["portal.mixin", "mail.thread"]
    _order = "campaign_id, partner_id"
    _rec_name = "partner_id"

    campaign_id = fields.Many2one("recall.campaign", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    campaign_state = fields.Selection(related="campaign_id.state", string="Recall Status")
    campaign_is_mock = fields.Boolean(related="campaign_id.is_mock", string="Mock Recall")
    partner_id = fields.Many2one("res.partner", string="Consignee", required=True, index=True)
    email = fields.Char(related="partner_id.email")
    depth = fields.Selection(
        [("wholesale", "Wholesale"), ("retail", "Retail"), ("consumer", "Consumer")],
        compute="_compute_depth", store=True, readonly=False,
        help="Where the consignee stands in the distribution chain.",
    )
    state = fields.Selection(
        [("to_notify", "To Notify"), ("notified", "Notified"), ("acknowledged", "Acknowledged"),
         ("closed", "Closed")],
        default="to_notify", required=True, tracking=True, index=True, readonly=True,
    )
    exposure_ids = fields.One2many("recall.exposure", "consignee_id")
    units_exposed = fields.Float(compute="_compute_units", store=True)
    units_retrieved = fields.Float(compute="_compute_units", store=True)
    units_destroyed = fields.Float(compute="_compute_units", store=True)
    effectiveness = fields.Float(string="Effectiveness (%)", compute="_compute_units", store=True,
                                 aggregator="avg")
    units_held = fields.Float(string="Units Held (declared)", tracking=True, readonly=True)
    remedy_id = fields.Many2one("recall.remedy", string="Chosen Remedy", tracking=True, readonly=True)
    response_note = fields.Text(readonly=True)
    response_count = fields.Integer(readonly=True)
    response_method = fields.Selection(
        [("portal", "Portal")] + CONTACT_METHODS, string="Answered By", readonly=True,
        help="How the last answer reached the company.")
    notification_method = fields.Selection(
        CONTACT_METHODS, readonly=True, help="How the recall notice reached the consignee.")
    date_notified = fields.Datetime(readonly=True)
    date_acknowledged = fields.Datetime(readonly=True)
    date_last_reminder = fields.Datetime(readonly=True)
    reminder_count = fields.Integer(readonly=True)
    destruction_proof_ids = fields.Many2many("ir.attachment", readonly=True)
    return_order_ids = fields.One2many("return.order", "recall_consignee_id", string="Recall Returns")
    effectiveness_check_ids = fields.One2many(
        "recall.effectiveness.check", "consignee_id", string="Effectiveness Checks")

    _sql_constraints = [
        ("campaign_partner_uniq", "unique(campaign_id, partner_id)", "A consignee appears once per recall."),
    ]

    @api.depends("partner_id.is_company", "campaign_id.depth")
    def _compute_depth(self):
        for consignee in self:
            if not consignee.depth:
                consignee.depth = "retail" if consignee.partner_id.commercial_partner_id.is_company else "consumer"

    @api.depends("exposure_ids.qty_exposed", "exposure_ids.qty_retrieved", "exposure_ids.qty_destroyed")
    def _compute_units(self):
        # Summed in the database by the query the trace's bulk save runs too: one definition of the totals.
        totals = {}
        saved = self.filtered("id")
        if saved:
            self.env["recall.exposure"].flush_model(
                ["consignee_id", "qty_exposed", "qty_retrieved", "qty_destroyed"])
            self.env.cr.execute(trace_sql.consignee_totals_query(SQL("e.consignee_id = ANY(%s)", saved.ids)))
            totals = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for consignee in self:
            exposed, retrieved, destroyed, effectiveness = totals.get(consignee.id, (0.0, 0.0, 0.0, 0.0))
            consignee.units_exposed = exposed
            consignee.units_retrieved = retrieved
            consignee.units_destroyed = destroyed
            consignee.effectiveness = effectiveness

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for consignee in self:
            consignee.access_url = f"/my/recall/{consignee.id}"
        return res

    # ------------------------------------------------------------------
    # Protected fields: consignees, their answers and figures come from the trace and the recall's
    # buttons; only the distribution depth is the coordinator's to correct, until the recall closes.
    # ------------------------------------------------------------------
    def _get_system_fields(self):
        return [
            "campaign_id", "company_id", "campaign_state", "campaign_is_mock", "partner_id", "email", "state",
            "exposure_ids", "units_exposed", "units_retrieved", "units_destroyed", "effectiveness", "units_held",
            "remedy_id", "response_note", "response_count", "response_method", "notification_method",
            "date_notified", "date_acknowledged", "date_last_reminder", "reminder_count",
            "destruction_proof_ids", "return_order_ids", "effectiveness_check_ids", "access_token",
            "access_url",
        ]

    def _get_protected_fields(self):
        protected = self._get_system_fields()
        if not self or "closed" in self.campaign_id.mapped("state"):
            # Created by the trace alone (in SQL); a closed recall is history.
            protected += ["depth"]
        return protected

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self = check_user_create(self, vals_list, self._get_protected_fields())  # noqa: PLW0642
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and self:
            check_user_write(self, vals, self._get_protected_fields())
        return super().write(vals)

    def _check_recall_manager(self):
        if not self.env.user.has_group("reverse_logistics_recall.group_recall_manager"):
            raise AccessError(self.env._("Only a Recall Manager may do this for a recall's consignee."))
        self.check_access("write")

    def _check_one(self):
        if len(self) != 1:
            raise UserError(self.env._("Pick one consignee."))

    def _check_live_campaign(self, what):
        """The consignee's recall is live (active or monitoring) and no drill."""
        for consignee in self:
            campaign = consignee.campaign_id
            if campaign.is_mock:
                raise UserError(self.env._(
                    "%(name)s is a mock recall: %(what)s.", name=campaign.name, what=what))
            if campaign.state not in ("active", "monitoring"):
                raise UserError(self.env._(
                    "%(name)s is not active: %(what)s.", name=campaign.name, what=what))

    # ------------------------------------------------------------------
    # Notification
    # ------------------------------------------------------------------
    def action_notify(self):
        """Send (or send again) the recall notice."""
        self._check_recall_manager()
        self._check_live_campaign(self.env._("nobody is notified"))
        self._notify()
        return True

    def _notify(self):
        template = self.env.ref("reverse_logistics_recall.mail_template_recall_notice")
        for consignee in self:
            if consignee.campaign_id.is_mock:
                raise UserError(self.env._("Nobody is notified of a mock recall."))
            consignee._portal_ensure_token()
            consignee.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        self.filtered(lambda c: c.state == "to_notify").sudo().write(
            {"state": "notified", "date_notified": fields.Datetime.now(), "notification_method": "email"})
        return True

    def _send_reminders(self):
        """Remind consignees who did not answer; at most once per campaign reminder period."""
        template = self.env.ref("reverse_logistics_recall.mail_template_recall_reminder")
        now = fields.Datetime.now()
        for consignee in self.filtered(lambda c: c.state == "notified" and not c.campaign_id.is_mock):
            days = consignee.campaign_id.reminder_days
            last = consignee.date_last_reminder or consignee.date_notified
            if last and (now - last).total_seconds() < days * 86400:
                continue
            consignee.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            consignee.sudo().write({"date_last_reminder": now, "reminder_count": consignee.reminder_count + 1})

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    _RESPONSE_NOTE_MAX_LENGTH = 2000

    def _get_max_units_held(self):
        """A consignee cannot hold more than was shipped to it and neither retrieved nor destroyed since."""
        self.ensure_one()
        return max(self.units_exposed - self.units_retrieved - self.units_destroyed, 0.0)

    def _parse_units_held(self, value):
        """Units held as typed on the notice page: a finite, non-negative number."""
        try:
            units = float(value or 0)
        except (TypeError, ValueError):
            units = math.nan
        if not math.isfinite(units):
            raise UserError(self.env._("The number of units held must be a number."))
        return units

    def _parse_remedy(self, remedy_id):
        """The remedy picked on the notice page; one the recall does not offer is refused."""
        self.ensure_one()
        if not remedy_id:
            return self.env["recall.remedy"]
        remedy = self.campaign_id.remedy_ids.filtered(lambda r: str(r.id) == str(remedy_id))
        if not remedy:
            raise UserError(self.env._("This remedy is not offered for this recall."))
        return remedy

    def _register_response(self, units_held, remedy, note=False, method="portal"):
        """Record the consignee's answer, from the portal or as the coordinator took it down (phone, letter,
        e-mail, visit): the same checks whatever the path. The last answer stands, every one stays in the
        chatter."""
        self.ensure_one()
        self._check_live_campaign(self.env._("it takes no answers"))
        if isinstance(units_held, bool) or not isinstance(units_held, (int, float)) or not math.isfinite(units_held):
            raise UserError(self.env._("The number of units held must be a number."))
        if units_held < 0:
            raise UserError(self.env._("The number of units held cannot be negative."))
        max_units = self._get_max_units_held()
        # A plain comparison: float_compare would overflow on a number such as 1e308.
        if units_held - max_units > 1e-6:
            # Formatted before the call: the translation extractor reads every argument of _() as a literal.
            max_text = f"{max_units:g}"
            raise UserError(self.env._(
                "You cannot hold more than the %(max)s units delivered to you and neither sent back nor "
                "destroyed since.", max=max_text))
        if remedy and remedy not in self.campaign_id.remedy_ids:
            raise UserError(self.env._("This remedy is not offered for this recall."))
        if note and len(note) > self._RESPONSE_NOTE_MAX_LENGTH:
            raise UserError(self.env._(
                "The comment is too long: %(max)s characters at most.", max=self._RESPONSE_NOTE_MAX_LENGTH))
        methods = dict(self._fields["response_method"]._description_selection(self.env))
        if method not in methods:
            raise UserError(self.env._("Tell how the answer was received."))
        now = fields.Datetime.now()
        vals = {
            "units_held": units_held,
            "remedy_id": remedy.id,
            "response_note": note,
            "response_method": method,
            "state": "acknowledged",
            "date_acknowledged": now,
            "response_count": self.response_count + 1,
        }
        if not self.date_notified:
            # Reached before the notice went out (a phone call): that was the notification.
            vals.update(date_notified=now, notification_method="email" if method == "portal" else method)
        self.sudo().write(vals)
        body = self.env._(
            "Answer #%(count)s from %(partner)s (%(method)s): %(units)s units held, remedy: %(remedy)s. %(note)s",
            count=self.response_count, partner=self.partner_id.display_name, method=methods[method],
            units=units_held, remedy=remedy.name or "-", note=note or "",
        )
        self.message_post(body=body)
        self.campaign_id.message_post(body=body)
        return True

    def action_record_answer(self):
        """Record an answer received by phone, letter, e-mail or visit (a wizard)."""
        self._check_recall_manager()
        self._check_one()
        self._check_live_campaign(self.env._("it takes no answers"))
        return {
            "name": self.env._("Record an Answer"),
            "type": "ir.actions.act_window",
            "res_model": "recall.consignee.answer",
            "view_mode": "form",
            "target": "new",
            "context": {"default_consignee_id": self.id},
        }

    # ------------------------------------------------------------------
    # Destruction on site
    # ------------------------------------------------------------------
    def action_confirm_destruction(self):
        """Confirm units the consignee destroyed on site (a wizard, with the proof)."""
        self._check_recall_manager()
        self._check_one()
        self._check_live_campaign(self.env._("nothing is destroyed for it"))
        return {
            "name": self.env._("Confirm Destruction on Site"),
            "type": "ir.actions.act_window",
            "res_model": "recall.consignee.destruction",
            "view_mode": "form",
            "target": "new",
            "context": {"default_consignee_id": self.id},
        }

    def _confirm_destroyed(self, quantities):
        """Units the consignee destroyed on site, per exposure row: {exposure: qty}; never more than the
        row still holds (exposed less retrieved and already destroyed)."""
        self.ensure_one()
        self._check_live_campaign(self.env._("nothing is destroyed for it"))
        if not quantities or not any(quantities.values()):
            raise UserError(self.env._("Give the units destroyed on site."))
        for row, qty in quantities.items():
            if row.consignee_id != self:
                raise UserError(self.env._("That exposure row belongs to another consignee."))
            if isinstance(qty, bool) or not isinstance(qty, (int, float)) or not math.isfinite(qty) or qty < 0:
                raise UserError(self.env._("Units destroyed are a positive number."))
            left = row.qty_exposed - row.qty_retrieved - row.qty_destroyed
            if qty - left > row.product_id.uom_id.rounding / 2:
                left_text = f"{max(left, 0.0):g}"
                raise UserError(self.env._(
                    "%(lot)s: more units destroyed than %(partner)s still holds (%(left)s: shipped less sent back "
                    "and already destroyed).",
                    lot=row.lot_id.name, partner=self.partner_id.display_name, left=left_text))
        for row, qty in quantities.items():
            if qty:
                row.sudo().qty_destroyed += qty
        self.message_post(body=self.env._(
            "Destruction on site confirmed by %(user)s: %(units)s units.",
            user=self.env.user.name, units=sum(quantities.values())))
        return True

    # ------------------------------------------------------------------
    # Recall returns
    # ------------------------------------------------------------------
    def action_create_return(self):
        """A recall return for what the consignee declared it holds: no fee, no window, received into
        quarantine, approved by the campaign. The Recall Manager's, for a consignee that answered."""
        self._check_recall_manager()
        self._check_live_campaign(self.env._("nothing is returned for it"))
        returns = self.env["return.order"]
        warehouses = {}
        for consignee in self:
            if consignee.state != "acknowledged":
                raise UserError(self.env._(
                    "%(partner)s has not answered the recall: record its answer (units held, remedy) first.",
                    partner=consignee.partner_id.display_name))
            if consignee.remedy_id.code == "destroy":
                raise UserError(self.env._(
                    "%(partner)s destroys its units on site: confirm the destruction instead.",
                    partner=consignee.partner_id.display_name))
            if consignee.return_order_ids.filtered(lambda r: r.state not in ("cancel", "rejected")):
                raise UserError(self.env._("%(partner)s already has a recall return.",
                                           partner=consignee.partner_id.display_name))
            lines = consignee._prepare_return_line_vals()
            if not lines:
                raise UserError(self.env._("%(partner)s holds nothing left to return.",
                                           partner=consignee.partner_id.display_name))
            campaign = consignee.campaign_id
            if campaign.company_id not in warehouses:
                warehouses[campaign.company_id] = self.env["stock.warehouse"].search(
                    [("company_id", "=", campaign.company_id.id)], limit=1)
            warehouse = warehouses[campaign.company_id]
            # A recall return is the campaign's decision: created and approved by the system for the
            # Recall Manager, who need not be a Returns Manager.
            returns |= returns.sudo().create({
                "partner_id": consignee.partner_id.id,
                **returns._get_recall_return_type_vals(),
                "company_id": campaign.company_id.id,
                "warehouse_id": warehouse.id,
                "resolution": consignee.remedy_id._get_return_resolution() if consignee.remedy_id else "refund",
                "recall_campaign_id": campaign.id,
                "recall_consignee_id": consignee.id,
                "line_ids": [fields.Command.create(vals) for vals in lines],
            })
        returns.sudo()._action_approve()
        return returns.sudo(False)

    def _get_units_to_return(self):
        """{exposure row: units} the consignee is to send back: what each row still holds (exposed less
        retrieved and destroyed), within the units it declared it holds."""
        self.ensure_one()
        budget = self.units_held
        units = {}
        for row in self.exposure_ids.sorted("id"):
            qty = min(row.qty_left, budget)
            if float_compare(qty, 0.0, precision_rounding=row.product_id.uom_id.rounding) > 0:
                units[row] = qty
                budget -= qty
        return units

    def _prepare_return_line_vals(self):
        """The return lines giving back the units to return, over every delivery of each lot to this
        consignee (newest first), each line tied to its delivered move so the refund reverses the right
        invoice. Lines are what the customer returns (`return.order._get_returnable_candidates`): a kit
        sold whole is returned as the kit, its quantity the kits that hold the recalled components."""
        self.ensure_one()
        to_return = self._get_units_to_return()
        if not to_return:
            return []
        rows = self.env["recall.exposure"].union(*to_return)
        deliveries = defaultdict(lambda: self.env["stock.move"])
        for line in self.env["stock.move.line"].search([
            ("lot_id", "in", rows.lot_id.ids), ("product_id", "in", rows.product_id.ids), ("state", "=", "done"),
            ("location_dest_id.usage", "=", "customer"), ("recall_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ], order="id desc"):
            if line.move_id not in deliveries[line.product_id, line.lot_id]:
                deliveries[line.product_id, line.lot_id] |= line.move_id
        order_model, line_model = self.env["return.order"], self.env["return.order.line"]
        planned, vals_by_key, lines_by_key = defaultdict(float), {}, {}
        for row, need in to_return.items():
            product = row.product_id
            for move in deliveries[product, row.lot_id]:
                if float_is_zero(need, precision_rounding=product.uom_id.rounding):
                    break
                for vals in order_model._get_returnable_candidates(move):
                    if vals.get("lot_id", row.lot_id.id) != row.lot_id.id or (
                            vals["product_id"] == product.id and not vals.get("lot_id")):
                        continue
                    key = order_model._get_candidate_key(vals)
                    if key not in lines_by_key:
                        lines_by_key[key] = line_model.new(vals)
                    line = lines_by_key[key]
                    returnable = line._get_returnable_qty()
                    if returnable is None:
                        continue
                    take = min(line._get_qty_giving_back(product, need), returnable - planned[key])
                    if float_compare(take, 0.0, precision_rounding=line.product_uom_id.rounding) <= 0:
                        continue
                    planned[key] += take
                    vals_by_key.setdefault(key, dict(vals))
                    need -= min(line._get_units_given_back(product, take), need)
        return [dict(vals, product_uom_qty=planned[key]) for key, vals in vals_by_key.items()]

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        refuse_mail_creation(self)

