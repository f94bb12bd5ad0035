from odoo import Command
from odoo.tests import new_test_user

from .test_recall_flow import RecallCommon


class RecallRolesCommon(RecallCommon):
    """The people of a recall, each with the groups of the job (README, "Who needs which group"): the Recall
    Manager who runs it, the warehouse clerk who receives and validates transfers, a stock user who only
    validates transfers. Histories are built as the superuser; every act under test runs as one of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.recall_manager = new_test_user(
            cls.env, login="rl_recall_manager", password="rl_recall_manager", email="recall@example.com",
            groups="stock.group_stock_user,reverse_logistics_recall.group_recall_manager", **company)
        cls.clerk = new_test_user(
            cls.env, login="rl_recall_clerk", password="rl_recall_clerk",
            groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.stock_user = new_test_user(
            cls.env, login="rl_recall_stock_user", password="rl_recall_stock_user",
            groups="stock.group_stock_user", **company)

    def _as(self, user, records):
        return records.with_user(user).with_company(self.company)

    def _active_campaign(self, **vals):
        """A live recall of the bad lot, traced and activated by the Recall Manager."""
        campaign = self._as(self.recall_manager, self._campaign(**vals))
        campaign.action_trace()
        campaign.action_activate()
        return campaign

    def _on_hand(self, location, lot, product=None):
        """Units of the lot on hand in the location (reserved ones included)."""
        quants = self.env["stock.quant"].search([
            ("product_id", "=", (product or self.product_lot).id), ("location_id", "=", location.id),
            ("lot_id", "=", lot.id)])
        return sum(quants.mapped("quantity"))

    def _consignee(self, campaign, partner):
        return campaign.consignee_ids.filtered(lambda c: c.partner_id == partner)

    def _return_with_odoo_wizard(self, user, delivery, qty, lot, destination=None):
        """Odoo's Return button on a done delivery, as `user` clicks it: the return transfer, validated for
        `qty` units of `lot` (into `destination` when the user changes it). Returns the transfer."""
        env = self.env(user=user)
        wizard = env["stock.return.picking"].with_context(
            active_id=delivery.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = qty
        picking = env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        if destination:
            picking.location_dest_id = destination
            picking.move_ids.location_dest_id = destination
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": lot.product_id.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": picking.location_id.id, "location_dest_id": picking.location_dest_id.id,
        })], "picked": True})
        picking.button_validate()
        return picking

    def _receive_as(self, user, picking, qty_by_lot=None):
        """The clerk validates a recall return's receipt, for the quantities (per lot) he counted."""
        picking = picking.with_user(user)
        if qty_by_lot:
            for move_line in picking.move_ids.move_line_ids:
                if move_line.lot_id in qty_by_lot:
                    move_line.quantity = qty_by_lot[move_line.lot_id]
        picking.move_ids.picked = True
        return self._receive(picking)
