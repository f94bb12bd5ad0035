from odoo import fields, models
from odoo.exceptions import UserError


class ReturnOrder(models.Model):
    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Grading and disposition
    # ------------------------------------------------------------------
    def _on_graded(self):
        self.sudo().date_graded = fields.Datetime.now()

    def _on_dispositioned(self):
        self.flush_recordset(["disposition_status"])
        self.filtered(lambda o: o.disposition_status == "processed" and not o.date_dispositioned).sudo().write(
            {"date_dispositioned": fields.Datetime.now()})

    def action_open_grading_station(self):
        self._check_flow_access("reverse_logistics.group_return_user", "read")
        action = self.env["ir.actions.actions"]._for_xml_id("reverse_logistics.action_grading_station")
        action["context"] = {"default_scan": self[:1].name}
        return action

    def action_dispose(self):
        """Disposition every graded unit of these returns, in one batch."""
        self._check_flow_access("reverse_logistics.group_return_user")
        gradings = self.grading_ids.filtered(lambda g: g.state == "graded")
        if not gradings:
            raise UserError(self.env._("No graded units wait for a disposition."))
        return gradings.action_dispose()

    def action_view_gradings(self):
        self.check_access("read")
        self.env["return.grading"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("reverse_logistics.action_return_grading")
        action["domain"] = [("order_id", "in", self.ids)]
        action["context"] = {"create": False}
        return action
