from odoo import api, fields, models

from .return_disposition import WEEE_TREATMENTS


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    # Frozen with the disposition's other facts when it runs (core `_freeze_disposition_facts`).
    weee_treatment = fields.Selection(
        WEEE_TREATMENTS, string="WEEE Treatment", readonly=True,
        help="The treatment these units went through, for the WEEE register (the disposition's when it ran).")

    @api.model
    def _get_system_fields(self):
        # A fact of the disposition, as its operation and outcome: the flow stores it, nobody writes it.
        return super()._get_system_fields() + ["weee_treatment"]

    def _get_disposition_facts(self, disposition):
        facts = super()._get_disposition_facts(disposition)
        facts["weee_treatment"] = disposition.weee_treatment
        return facts
