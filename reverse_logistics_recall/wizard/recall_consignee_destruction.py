from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class RecallConsigneeDestruction(models.TransientModel):
    """The coordinator confirms units a consignee destroyed on site, per lot, with the proof; checked and
    recorded by `recall.consignee._confirm_destroyed`."""

    _name = "recall.consignee.destruction"
    _description = "Confirm Destruction on Site"

    consignee_id = fields.Many2one("recall.consignee", required=True, readonly=True, ondelete="cascade")
    line_ids = fields.One2many(
        "recall.consignee.destruction.line", "wizard_id", compute="_compute_line_ids", store=True, readonly=False)
    attachment_ids = fields.Many2many("ir.attachment", string="Proof of Destruction")

    @api.depends("consignee_id")
    def _compute_line_ids(self):
        for wizard in self:
            rows = wizard.consignee_id.exposure_ids.filtered(lambda r: r.qty_left > 0)
            wizard.line_ids = [Command.clear()] + [Command.create({"exposure_id": row.id}) for row in rows]

    def action_confirm(self):
        self.ensure_one()
        consignee = self.consignee_id
        consignee._check_recall_manager()
        # Only files uploaded here by this user become the proof: never another record's attachments.
        foreign = self.attachment_ids.filtered(lambda a: a.res_model != self._name or a.create_uid != self.env.user)
        if foreign:
            raise UserError(self.env._("Upload the proof of destruction here."))
        quantities = {line.exposure_id: line.qty_destroyed for line in self.line_ids if line.qty_destroyed}
        with self.env.cr.savepoint():
            consignee._confirm_destroyed(quantities)
            if self.attachment_ids:
                self.attachment_ids.sudo().write({"res_model": consignee._name, "res_id": consignee.id})
                consignee.sudo().destruction_proof_ids |= self.attachment_ids
                consignee.message_post(body=self.env._("Proof of destruction on site."),
                                       attachment_ids=self.attachment_ids.ids)
        return {"type": "ir.actions.act_window_close"}


class RecallConsigneeDestructionLine(models.TransientModel):
    _name = "recall.consignee.destruction.line"
    _description = "Units Destroyed on Site"

    wizard_id = fields.Many2one("recall.consignee.destruction", required=True, ondelete="cascade")
    exposure_id = fields.Many2one("recall.exposure", required=True)
    product_id = fields.Many2one(related="exposure_id.product_id")
    lot_id = fields.Many2one(related="exposure_id.lot_id")
    qty_left = fields.Float(related="exposure_id.qty_left", string="Still Held")
    qty_destroyed = fields.Float(string="Destroyed", digits="Product Unit of Measure")
