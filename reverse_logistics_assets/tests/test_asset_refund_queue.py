import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CASES_PER_PALLET, DEPOSIT
from .test_asset_roles import FORGED_CONTEXT, AssetRolesCommon

CRON = "reverse_logistics_assets.ir_cron_asset_deposit_refund"


@tagged("post_install", "-at_install")
class TestAssetRefundQueue(AssetRolesCommon):
    """Refund Deposits above its size limit: the balances wait flagged, one cron refunds them as the
    accountant who asked; the request refuses a bad selection with nothing done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics.batch_limit.deposit_refund", 1)
        params.set_param("reverse_logistics.batch_limit.deposit_refund_chunk", 50)
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.second_accountant = new_test_user(cls.env, login="rl_assets_accountant2",
                                              groups="account.group_account_invoice", **company)

    def _customers_with_pallets_back(self, count, refund_at_receipt=False):
        """`count` customers each sold 2 pallets (deposits invoiced) and counted them back; their balances."""
        partners = self.env["res.partner"]
        for index in range(count):
            partner = self.env["res.partner"].create({"name": f"Brewery {index}", "user_id": self.salesman.id})
            self._sell(2 * CASES_PER_PALLET, partner=partner)
            self._count_back(2, partner=partner, refund_at_receipt=refund_at_receipt)
            partners |= partner
        return self.env["returnable.asset.balance"].search([("partner_id", "in", partners.ids)], order="id")

    def _refunds(self, balances):
        return self.env["account.move"].search([
            ("partner_id", "in", balances.partner_id.ids), ("move_type", "=", "out_refund")])

    def _run_cron(self):
        cron = self.env.ref(CRON)
        cron, progress = cron.with_user(cron.user_id)._add_progress()
        cron.ir_actions_server_id.run()
        return progress.done, progress.remaining

    def _notifications(self, user):
        """What the browser of `user` was sent, once the transaction's bus messages are written (they are
        written just before a commit)."""
        self.env.cr.precommit.run()
        messages = self.env["bus.bus"].sudo().search(
            [("channel", "like", f'"res.partner",{user.partner_id.id}]')], order="id")
        return [json.loads(message.message)["payload"] for message in messages
                if json.loads(message.message)["type"] == "simple_notification"]

    def _cron_triggers(self):
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", self.env.ref(CRON).id)])

    def test_a_bad_selection_is_refused_with_nothing_done(self):
        # Everything refunded at receipt already: nothing to queue.
        refunded = self._customers_with_pallets_back(2, refund_at_receipt=True)
        triggers = self._cron_triggers()
        with self.assertRaisesRegex(UserError, "No deposit is left to refund"):
            refunded.with_user(self.accountant).action_refund_deposits()
        self.assertFalse(refunded.filtered("deposit_refund_queued"))
        self.assertEqual(self._cron_triggers(), triggers, "no cron started for nothing")

        balances = self._customers_with_pallets_back(2)
        # Colleagues without Billing: refused, nothing flagged, whatever context they forge.
        for user in (self.clerk, self.salesman_all, self.assets_manager, self.inventory_user):
            with self.assertRaises(AccessError):
                balances.with_user(user).with_context(**FORGED_CONTEXT).action_refund_deposits()
        self.assertFalse(balances.filtered("deposit_refund_queued"))
        # Forged context keys do not lift the limit: queued, nothing refunded in the request.
        action = balances.with_user(self.accountant).with_context(**FORGED_CONTEXT).action_refund_deposits()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self._cron_triggers(), triggers + 1, "the cron starts at once")
        self.assertFalse(self._refunds(balances))
        self.assertEqual((balances.mapped("deposit_refund_queued"), balances.deposit_refund_user_id),
                         ([True, True], self.accountant))
        # A replay, by him or a colleague, and a refund by hand of one of them: refused while they wait.
        for user in (self.accountant, self.second_accountant):
            with self.assertRaisesRegex(UserError, "already wait for their refund"):
                balances.with_user(user).action_refund_deposits()
            with self.assertRaisesRegex(UserError, "already wait for their refund"):
                balances[0].with_user(user).action_refund_deposits()
            with self.assertRaisesRegex(UserError, "already wait for their refund"):
                (balances | refunded).with_user(user).action_refund_deposits()
        self.assertEqual(balances.deposit_refund_user_id, self.accountant)
        self.assertFalse(refunded.filtered("deposit_refund_queued"))
        self.assertFalse(self._refunds(balances))
        # Done once, by the cron.
        self.assertEqual(self._run_cron(), (2, 0))
        self.assertEqual(len(self._refunds(balances)), 2)
        for balance in balances:
            self.assertAlmostEqual(self._liability(balance.partner_id), 0.0)
        self.assertEqual(self._run_cron(), (0, 0))
        self.assertEqual(len(self._refunds(balances)), 2)

    def test_the_cron_refunds_as_who_asked_and_tells_him(self):
        mine = self._customers_with_pallets_back(2)
        theirs = self._customers_with_pallets_back(2)
        mine.with_user(self.accountant).action_refund_deposits()
        theirs.with_user(self.second_accountant).action_refund_deposits()
        # The colleague leaves accounting before the cron runs: his refunds are refused, not made as the
        # system; the accountant's are made, with his rights.
        self.second_accountant.groups_id -= self.env.ref("account.group_account_invoice")
        self.assertEqual(self._run_cron(), (4, 0))
        refunds = self._refunds(mine | theirs)
        self.assertEqual(refunds.partner_id, mine.partner_id)
        self.assertEqual(refunds.create_uid, self.accountant)
        for refund in refunds:
            self.assertAlmostEqual(refund.amount_total, 2 * DEPOSIT)
        self.assertFalse((mine | theirs).filtered("deposit_refund_queued"), "each flag cleared with its refund")
        for balance in mine:
            self.assertEqual(balance.deposit_qty_refunded, 2)
            self.assertIn("Deposits refunded in the background", balance.message_ids[0].body)
        for balance in theirs:
            self.assertEqual(balance.deposit_qty_refunded, 0)
            self.assertAlmostEqual(self._liability(balance.partner_id), 2 * DEPOSIT)
            message = balance.message_ids[0]
            self.assertIn("was refused, nothing was refunded", message.body)
            self.assertIn("Invoicing rights", message.body)
            self.assertIn(self.second_accountant.partner_id, message.partner_ids, "in his inbox")
        self.assertEqual([n["type"] for n in self._notifications(self.accountant)], ["success"])
        told = self._notifications(self.second_accountant)
        self.assertEqual([(n["type"], n["sticky"]) for n in told], [("danger", True)] * 2)
        self.assertEqual({n["message"].split(",")[0] for n in told}, set(theirs.partner_id.mapped("display_name")))
        # Nothing stuck: with Billing again, he refunds them by hand (the limit is 1: one at a time).
        self.second_accountant.groups_id += self.env.ref("account.group_account_invoice")
        for balance in theirs:
            self.assertTrue(balance.with_user(self.second_accountant).action_refund_deposits())
        self.assertEqual(len(self._refunds(theirs)), 2)
