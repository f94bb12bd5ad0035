from odoo import api, fields, models

WEEE_TREATMENTS = [
    ("reuse", "Prepared for Re-use"),
    ("recycling", "Recycled"),
    ("recovery", "Otherwise Recovered"),
    ("disposal", "Disposed Of"),
]


class ReturnDisposition(models.Model):
    _inherit = "return.disposition"

    weee_treatment = fields.Selection(
        WEEE_TREATMENTS, string="WEEE Treatment",
        compute="_compute_weee_treatment", store=True, readonly=False, precompute=True,
        help="How the WEEE register reports units sent this way. Empty: not treated by the company "
        "(units returned to the vendor are the vendor's to report), so left out of the treatment figures.",
    )

    @api.model
    def _get_weee_treatment_by_operation(self):
        """Default treatment of each operation: restocked, repackaged, refurbished and liquidated units
        are used again as products (Article 3(1)(h) 'preparing for re-use'); scrapping for recycling is
        recycling; other scrapping is disposal; a return to the vendor hands the waste over."""
        return {
            "restock": "reuse",
            "repackage": "reuse",
            "refurbish": "reuse",
            "liquidate": "reuse",
            "recycle": "recycling",
            "dispose": "disposal",
            "return_to_vendor": False,
        }

    @api.depends("operation")
    def _compute_weee_treatment(self):
        defaults = self._get_weee_treatment_by_operation()
        for disposition in self:
            disposition.weee_treatment = defaults.get(disposition.operation, False)
