import io
import os
import re

from PIL import Image

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.image import IMAGE_MAX_RESOLUTION


class ReturnOrder(models.Model):
    """What the portal request adds around `_create_from_portal`: photos, a customer's cancellation and
    quantities shown in the product's unit rounding."""

    _inherit = "return.order"

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
