import logging

import psycopg2

from odoo import Command, models

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _cancel_return_label(self):
        """Cancel each receipt's shipment with its carrier (as the system); a carrier that fails leaves a
        note on the return for the returns team to cancel it by hand, and cancels nothing less."""
        for picking in self:
            order = picking.return_order_id
            labels = order.return_label_ids.filtered_domain(
                [("res_model", "=", self._name), ("res_id", "=", picking.id)])
            tracking = picking.carrier_tracking_ref
            try:
                with self.env.cr.savepoint():
                    picking.cancel_shipment()
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 (any connector error: the note says which)
                _logger.warning("Return label %s of %s not cancelled: %s", tracking, order.name, error)
                order.message_post(body=self.env._(
                    "The carrier %(carrier)s did not cancel the return label %(tracking)s: %(error)s Cancel it "
                    "with the carrier.", carrier=picking.carrier_id.display_name, tracking=tracking,
                    error=str(error)))
                continue
            # Void: no longer offered to the customer (it stays in the receipt's chatter).
            order.return_label_ids = [Command.unlink(label.id) for label in labels]
            order.message_post(body=self.env._(
                "Return label %(tracking)s cancelled with the carrier %(carrier)s.",
                tracking=tracking, carrier=picking.carrier_id.display_name))
