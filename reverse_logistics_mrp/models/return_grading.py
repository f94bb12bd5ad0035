from odoo import api, models


class ReturnGrading(models.Model):
    _inherit = "return.grading"

    @api.depends("line_id.price_unit", "line_id.discount", "product_id")
    def _compute_unit_value(self):
        res = super()._compute_unit_value()
        for grading in self.filtered(lambda g: g.product_id and g.product_id != g.line_id.product_id):
            grading.unit_value = grading.line_id._get_component_unit_value(grading.product_id)
        return res
