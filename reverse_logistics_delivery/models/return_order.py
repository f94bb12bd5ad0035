import logging

import psycopg2

from odoo import Command, api, fields, models
from odoo.addons.reverse_logistics.tools import check_flow_access
from odoo.exceptions import UserError
from odoo.tools import clean_context

_logger = logging.getLogger(__name__)

RETURNS_USER = "reverse_logistics.group_return_user"


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # Frozen at approval: a policy switching carriers later does not change the label already promised.
    return_carrier_id = fields.Many2one(
        "delivery.carrier", readonly=True, copy=False,
        help="The carrier of the return label, taken from the policy when the return was approved.")
    return_label_ids = fields.Many2many(
        "ir.attachment", "return_order_return_label_rel", "order_id", "attachment_id",
        string="Return Labels", readonly=True, copy=False,
        help="The carrier's return labels, kept on the receipt as Odoo keeps them (LabelReturn-...).")
    return_label_error = fields.Char(
        string="Label Error", readonly=True, copy=False,
        help="Why the carrier made no label the last time it was asked; Retry Label asks it again.")
    return_tracking_ref = fields.Char(
        string="Return Tracking", compute="_compute_return_tracking_ref", compute_sudo=True,
        help="The tracking reference of the return parcel, stored on the receipt.")

    @api.depends("receipt_ids.carrier_tracking_ref")
    def _compute_return_tracking_ref(self):
        for order in self:
            order.return_tracking_ref = ", ".join(filter(None, order.receipt_ids.mapped("carrier_tracking_ref")))

    @api.model
    def _get_system_fields(self):
        return super()._get_system_fields() + [
            "return_carrier_id", "return_label_ids", "return_label_error", "return_tracking_ref"]

    # ------------------------------------------------------------------
    # Approval: the label
    # ------------------------------------------------------------------
    def _action_approve(self):
        drafts = self.filtered(lambda o: o.state == "draft")
        res = super()._action_approve()
        with_carrier = drafts.filtered(lambda o: o.state != "draft" and o.policy_id.return_carrier_id)
        for order in with_carrier:
            order.sudo().return_carrier_id = order.policy_id.return_carrier_id
        # The system's act on the approver's behalf, whoever approved (a clerk, the portal's auto-approval).
        with_carrier.sudo()._generate_return_labels()
        return res

    def _get_return_label_picking(self):
        """The receipt the parcel travels on: the one from the customer (the first reception step)."""
        self.ensure_one()
        source = self._get_return_source_location()
        receipts = self.receipt_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        return (receipts.filtered(lambda p: p.location_id == source) or receipts)[:1]

    def _get_return_label_tracking(self, result, picking):
        """The tracking number the carrier answered: a dict (or a list of them, as `send_shipping` answers)
        with `tracking_number`, else what the connector wrote on the receipt itself."""
        results = result if isinstance(result, list) else [result]
        numbers = [r.get("tracking_number") for r in results if isinstance(r, dict) and r.get("tracking_number")]
        return ",".join(numbers) or picking.carrier_tracking_ref

    def _generate_return_labels(self):
        """Ask each return's carrier for its label (as the system). A carrier that fails blocks nothing: the
        return stays approved, the chatter says why and the returns team retries."""
        for order in self:
            picking = order._get_return_label_picking()
            carrier = order.return_carrier_id
            if not picking or not carrier:
                continue
            before = picking.return_label_ids
            try:
                with self.env.cr.savepoint():
                    # The receipt is the carrier's from now on, label or not (as Odoo's return pickings).
                    picking.carrier_id = carrier
                with self.env.cr.savepoint():
                    result = carrier.with_context(clean_context(self.env.context)).get_return_label(picking)
                    picking.invalidate_recordset(["return_label_ids"])
                    labels = picking.return_label_ids - before
                    if not labels:
                        raise UserError(self.env._("the carrier answered without a label."))
                    tracking = order._get_return_label_tracking(result, picking)
                    if tracking:
                        picking.carrier_tracking_ref = tracking
                    order.write({"return_label_ids": [Command.set(labels.ids)], "return_label_error": False})
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 (any connector error: the note says which)
                _logger.warning("Return label of %s from %s failed: %s", order.name, carrier.name, error)
                order.return_label_error = str(error)
                order.message_post(body=self.env._(
                    "The carrier %(carrier)s made no return label: %(error)s The return is approved; use "
                    "Retry Label once the carrier answers.", carrier=carrier.display_name, error=str(error)))
                continue
            order._send_return_label_if_late()
        return True

    def _send_return_label_if_late(self):
        """A label made after the approval mail was written goes to the customer in a mail of its own."""
        self.ensure_one()
        if "approved" in (self.customer_mail_steps or "").split() or not self._is_customer_mail_sent("mail_approved"):
            return  # the approval mail, still to be written, carries it (or the policy mails nothing)
        self.with_context(clean_context(self.env.context)).message_post(
            body=self.env._("Here is the return label of your return %(name)s: print it and stick it on the "
                            "parcel.", name=self.name),
            subject=self.env._("Return label for %(name)s", name=self.name),
            partner_ids=self.partner_id.ids, message_type="comment", subtype_xmlid="mail.mt_comment",
            author_id=self._get_customer_mail_author().id, attachment_ids=self.return_label_ids.ids,
            email_layout_xmlid="mail.mail_notification_light",
        )

    def action_retry_return_label(self):
        """Ask the carrier again for the label of approved returns that have none (the carrier was down)."""
        check_flow_access(self, RETURNS_USER)
        for order in self:
            if order.state != "approved" or not order.return_carrier_id or order.return_label_ids:
                raise UserError(self.env._(
                    "Return %(name)s: only an approved return whose carrier made no label yet gets a new one.",
                    name=order.name))
        self.sudo()._generate_return_labels()
        return True

    def _post_customer_mail(self, step):
        message = super()._post_customer_mail(step)
        if step == "approved" and message and self.return_label_ids:
            # The queued mail shares its message's attachments: the label travels with the slip.
            message.sudo().attachment_ids = [Command.link(label.id) for label in self.return_label_ids]
        return message

    # ------------------------------------------------------------------
    # Cost of the return shipment
    # ------------------------------------------------------------------
    def _prepare_return_rate_order_vals(self):
        """An unsaved sale order of the returned units only, from the customer: what carriers rate."""
        self.ensure_one()
        sale = self.sale_order_id
        return {
            "partner_id": self.partner_id.id,
            "partner_shipping_id": (sale.partner_shipping_id or self.partner_id).id,
            "company_id": self.company_id.id,
            "warehouse_id": self.warehouse_id.id,
            "pricelist_id": sale.pricelist_id.id,
            "fiscal_position_id": sale.fiscal_position_id.id,
            "order_line": [Command.create({
                "product_id": line.product_id.id,
                "product_uom_qty": line.product_uom_qty,
                "price_unit": line.price_unit,
            }) for line in self.line_ids],
        }

    def _get_return_shipping_cost(self):
        cost = super()._get_return_shipping_cost()
        carrier = self.return_carrier_id or self.policy_id.return_carrier_id
        if not carrier or not self.line_ids:
            return cost
        order = self.env["sale.order"].sudo().new(self._prepare_return_rate_order_vals())
        try:
            rate = carrier.sudo().rate_shipment(order)
        except UserError as error:  # a connector refusing the parcel (no weight, no address): no estimate
            rate = {"success": False, "error_message": str(error)}
        if not rate.get("success"):
            _logger.warning("Carrier %s gave no rate for return %s: %s", carrier.name, self.name,
                            rate.get("error_message"))
            return cost
        return cost + rate["price"]
