from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.mimetypes import guess_mimetype


class ReturnOrder(models.Model):
    """What the portal request adds around `_create_from_portal`: photos, a customer's cancellation and
    quantities shown in the product's unit rounding."""

    _inherit = "return.order"

    _PORTAL_PHOTO_MAX_COUNT = 5
    _PORTAL_PHOTO_MAX_SIZE = 5 * 1024 * 1024
    # Checked on the content, not on the name or the type the browser claims.
    _PORTAL_PHOTO_MIMETYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")

    @api.model
    def _check_portal_photos(self, photos):
        """`photos`: [(file name, bytes)]. Refuses too many, too large and non-image files."""
        if len(photos) > self._PORTAL_PHOTO_MAX_COUNT:
            raise UserError(self.env._("Add %(max)s photos at most.", max=self._PORTAL_PHOTO_MAX_COUNT))
        for name, data in photos:
            if len(data) > self._PORTAL_PHOTO_MAX_SIZE:
                raise UserError(self.env._(
                    "%(name)s is too large: %(max)s MB at most per photo.",
                    name=name, max=self._PORTAL_PHOTO_MAX_SIZE // (1024 * 1024)))
            if guess_mimetype(data) not in self._PORTAL_PHOTO_MIMETYPES:
                raise UserError(self.env._("%(name)s is not a photo: send JPEG, PNG, WebP or GIF images.", name=name))

    def _attach_portal_photos(self, photos):
        self.ensure_one()
        if not photos:
            return self.env["ir.attachment"]
        # Posted with the message, so the photos are the note's attachments in the chatter.
        message = self.sudo().message_post(
            body=self.env._("Photos sent by the customer."), attachments=list(photos),
            message_type="comment", subtype_xmlid="mail.mt_note")
        return message.attachment_ids

    @api.model
    def _create_from_portal_with_photos(self, sale_order, quantities, reason, note=False, resolution="refund",
                                        photos=()):
        """The portal request with its photos: the photos are checked before anything is created."""
        photos = list(photos)
        self._check_portal_photos(photos)
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
