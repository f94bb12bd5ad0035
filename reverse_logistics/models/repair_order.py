from odoo import fields, models


class RepairOrder(models.Model):
    _inherit = "repair.order"

    return_grading_ids = fields.One2many("return.grading", "repair_id", string="Returned Units")

    def action_repair_done(self):
        res = super().action_repair_done()
        self.return_grading_ids._on_repair_done()
        return res
