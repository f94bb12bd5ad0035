import math

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class RecallConsignee(models.Model):
    """A consignee of a recall: who is told, what they answer, what they send back."""

    _name = "recall.consignee"
    _description = "Recall Consignee"
    _inherit = ["portal.mixin", "mail.thread"]
    _order = "campaign_id, partner_id"
    _rec_name = "partner_id"

    campaign_id = fields.Many2one("recall.campaign", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
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
        default="to_notify", required=True, tracking=True, index=True,
    )
    exposure_ids = fields.One2many("recall.exposure", "consignee_id", string="Exposure")
    units_exposed = fields.Float(compute="_compute_units", store=True)
    units_retrieved = fields.Float(compute="_compute_units", store=True)
    units_destroyed = fields.Float(compute="_compute_units", store=True)
    effectiveness = fields.Float(string="Effectiveness (%)", compute="_compute_units", store=True,
                                 aggregator="avg")
    units_held = fields.Float(string="Units Held (declared)", tracking=True)
    remedy_id = fields.Many2one("recall.remedy", string="Chosen Remedy", tracking=True)
    response_note = fields.Text()
    response_count = fields.Integer(readonly=True)
    date_notified = fields.Datetime(readonly=True)
    date_acknowledged = fields.Datetime(readonly=True)
    date_last_reminder = fields.Datetime(readonly=True)
    reminder_count = fields.Integer(readonly=True)
    destruction_proof_ids = fields.Many2many("ir.attachment", string="Destruction Proof")
    return_order_ids = fields.One2many("return.order", "recall_consignee_id", string="Recall Returns")

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
        for consignee in self:
            exposed = sum(consignee.exposure_ids.mapped("qty_exposed"))
            retrieved = sum(consignee.exposure_ids.mapped("qty_retrieved"))
            destroyed = sum(consignee.exposure_ids.mapped("qty_destroyed"))
            consignee.units_exposed = exposed
            consignee.units_retrieved = retrieved
            consignee.units_destroyed = destroyed
            consignee.effectiveness = 100.0 * (retrieved + destroyed) / exposed if exposed else 0.0

    def _compute_access_url(self):
        super()._compute_access_url()
        for consignee in self:
            consignee.access_url = f"/my/recall/{consignee.id}"

    # ------------------------------------------------------------------
    # Notification
    # ------------------------------------------------------------------
    def action_notify(self):
        template = self.env.ref("reverse_logistics_recall.mail_template_recall_notice")
        for consignee in self:
            if consignee.campaign_id.is_mock:
                raise UserError(self.env._("Nobody is notified of a mock recall."))
            consignee._portal_ensure_token()
            consignee.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        self.filtered(lambda c: c.state == "to_notify").write(
            {"state": "notified", "date_notified": fields.Datetime.now()})
        return True

    def _send_reminders(self):
        """Remind consignees who did not answer; at most once per campaign reminder period."""
        template = self.env.ref("reverse_logistics_recall.mail_template_recall_reminder")
        now = fields.Datetime.now()
        for consignee in self.filtered(lambda c: c.state == "notified"):
            days = consignee.campaign_id.reminder_days
            last = consignee.date_last_reminder or consignee.date_notified
            if last and (now - last).total_seconds() < days * 86400:
                continue
            consignee.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            consignee.write({"date_last_reminder": now, "reminder_count": consignee.reminder_count + 1})

    # ------------------------------------------------------------------
    # Answers
    # ------------------------------------------------------------------
    _RESPONSE_NOTE_MAX_LENGTH = 2000

    def _get_max_units_held(self):
        """A consignee cannot hold more than was shipped to them and not yet retrieved."""
        self.ensure_one()
        return max(self.units_exposed - self.units_retrieved, 0.0)

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

    def _register_response(self, units_held, remedy, note=False):
        """Record the consignee's answer: the last one stands, every one stays in the chatter."""
        self.ensure_one()
        if self.campaign_id.state not in ("active", "monitoring"):
            raise UserError(self.env._("This recall no longer takes answers."))
        if not math.isfinite(units_held):
            raise UserError(self.env._("The number of units held must be a number."))
        if units_held < 0:
            raise UserError(self.env._("The number of units held cannot be negative."))
        max_units = self._get_max_units_held()
        # A plain comparison: float_compare would overflow on a number such as 1e308.
        if units_held - max_units > 1e-6:
            raise UserError(self.env._(
                "You cannot hold more than the %(max)s units delivered to you and not yet sent back.",
                max=f"{max_units:g}"))
        if remedy and remedy not in self.campaign_id.remedy_ids:
            raise UserError(self.env._("This remedy is not offered for this recall."))
        if note and len(note) > self._RESPONSE_NOTE_MAX_LENGTH:
            raise UserError(self.env._(
                "The comment is too long: %(max)s characters at most.", max=self._RESPONSE_NOTE_MAX_LENGTH))
        self.write({
            "units_held": units_held,
            "remedy_id": remedy.id,
            "response_note": note,
            "state": "acknowledged",
            "date_acknowledged": fields.Datetime.now(),
            "response_count": self.response_count + 1,
        })
        body = self.env._(
            "Answer #%(count)s from %(partner)s: %(units)s units held, remedy: %(remedy)s. %(note)s",
            count=self.response_count, partner=self.partner_id.display_name, units=units_held,
            remedy=remedy.name or "-", note=note or "",
        )
        self.message_post(body=body)
        self.campaign_id.message_post(body=body)
        return True

    def action_create_return(self):
        """A recall return for what the consignee holds: no fee, no window, received into quarantine."""
        returns = self.env["return.order"]
        warehouses = {}
        for consignee in self:
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
                "return_type": "recall",
                "company_id": campaign.company_id.id,
                "warehouse_id": warehouse.id,
                "resolution": consignee.remedy_id._get_return_resolution() if consignee.remedy_id else "refund",
                "recall_campaign_id": campaign.id,
                "recall_consignee_id": consignee.id,
                "line_ids": [fields.Command.create(vals) for vals in lines],
            })
        returns.sudo()._action_approve()
        return returns.sudo(False)

    def _prepare_return_line_vals(self):
        """One line per exposed lot, tied to the delivery move so the refund reverses the right invoice."""
        self.ensure_one()
        vals_list = []
        budget = self.units_held if self.state == "acknowledged" else None
        rows = self.exposure_ids.filtered(lambda r: r.qty_exposed > 0)
        # Latest delivery of each lot to this consignee, found in one search.
        deliveries = {}
        for line in self.env["stock.move.line"].search([
            ("lot_id", "in", rows.lot_id.ids), ("state", "=", "done"),
            ("location_dest_id.usage", "=", "customer"), ("picking_partner_id", "=", self.partner_id.id),
        ], order="id"):
            deliveries[line.lot_id] = line.move_id
        for row in rows:
            qty = row.qty_exposed - row.qty_destroyed
            if budget is not None:
                qty = min(qty, budget)
                budget -= qty
            if float_compare(qty, 0.0, precision_rounding=row.product_id.uom_id.rounding) <= 0:
                continue
            delivery = deliveries.get(row.lot_id, self.env["stock.move"])
            vals_list.append({
                "product_id": row.product_id.id,
                "lot_id": row.lot_id.id,
                "product_uom_qty": qty,
                "origin_move_id": delivery.id,
                "sale_line_id": delivery.sale_line_id.id,
            })
        return vals_list

    def action_confirm_destroyed(self, quantities, proof=None):
        """Units the consignee destroyed on site, per exposure row: {exposure: qty}."""
        self.ensure_one()
        for row, qty in quantities.items():
            if row.consignee_id != self:
                raise UserError(self.env._("That exposure row belongs to another consignee."))
            if float_compare(row.qty_destroyed + qty, row.qty_exposed,
                             precision_rounding=row.product_id.uom_id.rounding) > 0:
                raise UserError(self.env._(
                    "%(lot)s: more units destroyed than %(partner)s received.",
                    lot=row.lot_id.name, partner=self.partner_id.display_name))
            row.qty_destroyed += qty
        if proof:
            self.destruction_proof_ids |= proof
        self.message_post(body=self.env._(
            "Destruction on site confirmed: %(units)s units.", units=sum(quantities.values())),
            attachment_ids=proof.ids if proof else [])
        return True
