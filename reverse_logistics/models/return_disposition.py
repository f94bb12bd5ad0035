from odoo import api, fields, models
from odoo.exceptions import ValidationError

OPERATIONS = [
    ("restock", "Restock"),
    ("repackage", "Repackage"),
    ("refurbish", "Refurbish"),
    ("liquidate", "Liquidate"),
    ("recycle", "Recycle"),
    ("dispose", "Dispose"),
    ("return_to_vendor", "Return to Vendor"),
]

ENVIRONMENTAL_OUTCOMES = [("reused", "Reused"), ("recycled", "Recycled"), ("landfill", "Landfill")]


class ReturnDisposition(models.Model):
    _name = "return.disposition"
    _description = "Disposition"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    operation = fields.Selection(
        OPERATIONS, required=True, default="restock",
        help="What executing the disposition does: restock and repackage move units to stock, "
        "refurbish opens a repair order, liquidate moves them to the liquidation location, "
        "recycle and dispose scrap them, return to vendor ships them back with a vendor credit note.",
    )
    company_id = fields.Many2one("res.company", index=True, help="Empty: shared by all companies.")
    location_dest_id = fields.Many2one(
        "stock.location", string="Destination",
        help="Where the units go. Empty: the warehouse stock for restock, the scrap location for "
        "recycle and dispose, the vendor's location for returns to vendor.",
    )
    processing_cost = fields.Float(
        string="Processing Cost per Unit", digits="Product Price",
        help="Handling, repair, transport or disposal fee per unit, in company currency.",
    )
    recovery_share = fields.Float(
        string="Value Realized (%)", digits=(5, 2), default=100.0,
        help="Share of the graded value this channel realizes: resale in full, a liquidator pays less, "
        "a recycler close to nothing.",
    )
    environmental_outcome = fields.Selection(ENVIRONMENTAL_OUTCOMES, required=True, default="reused")
    co2_factor = fields.Float(
        string="CO2e per kg", digits=(16, 3),
        help="Estimated kg of CO2 equivalent per kg of product for this outcome (negative when "
        "emissions are avoided, as with reuse).",
    )
    color = fields.Integer()

    @api.constrains("recovery_share", "processing_cost")
    def _check_values(self):
        for disposition in self:
            self._check_terms(disposition.recovery_share, disposition.processing_cost)

    @api.model
    def _check_terms(self, recovery_share, processing_cost):
        """A value realized (%) and a processing cost per unit: of a disposition, or of terms that replace
        them for some units (a 3PL's brand)."""
        if not 0 <= recovery_share <= 100:
            raise ValidationError(self.env._("The value realized is a percentage between 0 and 100."))
        if processing_cost < 0:
            raise ValidationError(self.env._("A processing cost cannot be negative."))

    def _get_expected_net_recovery(self, grade, unit_value, terms=None):
        """Expected value back per unit: graded value realized by this channel, less its cost. `terms`:
        (value realized %, processing cost per unit) when the units' own terms are not this channel's
        (`return.grading._get_disposition_terms`)."""
        self.ensure_one()
        share, cost = terms or (self.recovery_share, self.processing_cost)
        return unit_value * grade.recovery_rate / 100.0 * share / 100.0 - cost
