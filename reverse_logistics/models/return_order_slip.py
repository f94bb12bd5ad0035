from odoo import models
from odoo.exceptions import UserError


class ReturnOrder(models.Model):
    _inherit = "return.order"

    def _get_slip_states(self):
        """States in which the customer has something to send back, so a return slip makes sense."""
        return ("approved", "receiving")

    def _get_slip_portal_url(self):
        """Absolute URL of the customer's page of this return, with its access token: the slip is the
        customer's own document, and a guest without a portal account must be able to follow it too."""
        self.ensure_one()
        return self.get_base_url() + self.sudo().get_portal_url()

    def _get_slip_address(self):
        """Where the parcel goes: the returns warehouse's address, else the company's."""
        self.ensure_one()
        return self.warehouse_id.partner_id or self.company_id.partner_id

    def action_print_slip(self):
        self.check_access("read")
        not_sent = self.filtered(lambda o: o.state not in o._get_slip_states())
        if not_sent:
            raise UserError(self.env._("%(names)s: a return slip is printed once a return is approved and "
                                       "until its goods are received.", names=", ".join(not_sent.mapped("name"))))
        return self.env.ref("reverse_logistics.action_report_return_slip").report_action(self)

    def _get_report_base_filename(self):
        """File name of the slip downloaded from the portal (portal's `_show_report` asks for it)."""
        self.ensure_one()
        return self.env._("Return slip - %(name)s", name=self.name)
