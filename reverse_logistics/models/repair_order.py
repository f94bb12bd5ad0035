from odoo import fields, models


class RepairOrder(models.Model):
    _inherit = "repair.order"

    return_grading_ids = fields.One2many("return.grading", "repair_id", string="Returned Units")

    def action_repair_done(self):
        res = super().action_repair_done()
        # Repair technicians need no Returns rights: the refurbished units go on as the system.
        self.sudo().return_grading_ids._on_repair_done()
        return res

    def action_repair_cancel(self):
        res = super().action_repair_cancel()
        for repair in self.sudo():
            repair.return_grading_ids._on_disposition_cancelled(self.env._("Repair %(name)s", name=repair.name))
        return res
