from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_cancel(self):
        # A receipt that will not come (the return cancelled, expired or closed) voids its return label with
        # the carrier: an unused prepaid label is not paid for. Here rather than on the picking's button,
        # so that every way of cancelling the receipt's moves does it.
        labelled = self.picking_id.filtered(lambda p: p.state != "cancel" and p.return_order_id and p.carrier_id
                                            and p.carrier_tracking_ref)
        res = super()._action_cancel()
        labelled.filtered(lambda p: p.state == "cancel").sudo()._cancel_return_label()
        return res
