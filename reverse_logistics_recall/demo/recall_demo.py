from odoo import Command, api, models


class RecallDemo(models.AbstractModel):
    """Demo data only: recall campaigns that need a trace, set up by the demo XML. Nothing in the
    production models calls this."""

    _name = "recall.demo"
    _description = "Recall Demo Data"

    @api.model
    def _prepare(self):
        """A traced mock recall and a live recall of two grinder serials."""
        campaigns = self.env["recall.campaign"]
        mock = self.env.ref("reverse_logistics_recall.recall_campaign_demo_mock")
        lot = self.env["stock.lot"].search([("name", "=", "BEANS-2611-A")], limit=1)
        if lot:
            mock.lot_ids = lot
            mock.action_mock_recall()
        grinders = self.env["stock.lot"].search([("name", "in", ("GRD-00001", "GRD-00005"))])
        if grinders:
            live = campaigns.create({
                "title": "Burr grinder: loose blade",
                "product_ids": [Command.set(grinders.product_id.ids)],
                "lot_ids": [Command.set(grinders.ids)],
                "reason": "The upper burr may come loose during use.",
                "hazard": "Cuts to fingers when cleaning the grinder.",
                "severity": "2",
                "depth": "consumer",
                "remedy_ids": [Command.set([self.env.ref("reverse_logistics_recall.remedy_refund").id,
                                            self.env.ref("reverse_logistics_recall.remedy_replace").id])],
            })
            live.action_trace()
            live.action_activate()
        return True
