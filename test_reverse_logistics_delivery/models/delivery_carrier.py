from odoo import fields, models
from odoo.exceptions import UserError

# The smallest valid PDF: the label a connector would download from its carrier.
LABEL_PDF = (b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


class DeliveryCarrier(models.Model):
    """A carrier connector as the ones companies install (delivery_ups, delivery_dhl...), answering locally."""
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("rl_test", "Test Carrier (returns)")],
        ondelete={"rl_test": lambda carriers: carriers.write({"delivery_type": "fixed", "fixed_price": 0})})
    rl_test_price_per_unit = fields.Float(string="Price per Unit (test)")
    rl_test_fail = fields.Boolean(
        string="Carrier Down (test)", help="Every call raises, as the API of a carrier that is down.")

    def _compute_can_generate_return(self):
        res = super()._compute_can_generate_return()
        for carrier in self.filtered(lambda c: c.delivery_type == "rl_test"):
            carrier.can_generate_return = True
        return res

    def _rl_test_check_up(self):
        if self.rl_test_fail:
            raise UserError(self.env._("Test carrier: the service is unavailable."))

    def rl_test_rate_shipment(self, order):
        # Rating fails softly, as connectors answer a carrier's error.
        if self.rl_test_fail:
            return {"success": False, "price": 0.0, "warning_message": False,
                    "error_message": self.env._("Test carrier: the service is unavailable.")}
        units = sum(order.order_line.mapped("product_uom_qty"))
        return {"success": True, "price": self.rl_test_price_per_unit * units,
                "error_message": False, "warning_message": False}

    def rl_test_send_shipping(self, pickings):
        self._rl_test_check_up()
        return [{"exact_price": self.rl_test_price_per_unit * sum(p.move_ids.mapped("product_uom_qty")),
                 "tracking_number": f"RLT-OUT-{p.id}"} for p in pickings]

    def rl_test_get_return_label(self, picking, tracking_number=None, origin_date=None):
        self._rl_test_check_up()
        tracking = f"RLT-RET-{picking.id:06d}"
        picking.message_post(
            body=self.env._("Return label generated, tracking %(ref)s", ref=tracking),
            attachments=[(f"{self.get_return_label_prefix()}-{tracking}.pdf", LABEL_PDF)])
        return {"tracking_number": tracking}

    def rl_test_get_tracking_link(self, picking):
        return f"https://carrier.example.com/track/{picking.carrier_tracking_ref}"

    def rl_test_cancel_shipment(self, pickings):
        self._rl_test_check_up()
        pickings.write({"carrier_tracking_ref": False})
