from odoo import api, models
from odoo.exceptions import AccessError


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_process(self, model, message, custom_values=None, save_original=False, strip_attachments=False,
                        thread_id=None):
        """Raw mail is injected by the mail gateway: the incoming mail servers' cron (as the superuser) or
        the mailgate script (as a configured administrator). Odoo's method is public, and its routes run the
        target model's `message_new` and `message_update` as the system with the values and the thread the
        caller names: any other user calling it over RPC would create records (credit notes, transfers of a
        recall, asset balances) or post in another customer's thread as the customer, past every guard of
        the addons. Those users write to the aliases like everybody else."""
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._(
                "Incoming mail is processed by the mail gateway only; write to the alias instead."))
        return super().message_process(model, message, custom_values=custom_values, save_original=save_original,
                                       strip_attachments=strip_attachments, thread_id=thread_id)
