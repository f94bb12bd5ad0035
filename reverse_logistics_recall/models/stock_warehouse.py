from odoo import Command, fields, models


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    quarantine_location_id = fields.Many2one(
        "stock.location", check_company=True, copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Recalled stock is held here; nothing leaves it while its recall is active.",
    )

    def _get_reverse_logistics_locations(self):
        return super()._get_reverse_logistics_locations() + [
            ("quarantine_location_id", self.env._("Quarantine"), "QUARANTINE"),
        ]

    def _recall_create_quant_transfer(self, campaign, quants, destination, quantities=None):
        """A done internal transfer of this warehouse moving these quants (lots and packages kept) to
        `destination`, for the recall `campaign`: all of each quant, or `quantities` (one per quant)."""
        self.ensure_one()
        quantities = quantities or quants.mapped("quantity")
        moves = [Command.create({
            "name": campaign.name,
            "product_id": quant.product_id.id,
            "product_uom": quant.product_id.uom_id.id,
            "product_uom_qty": qty,
            "location_id": quant.location_id.id,
            "location_dest_id": destination.id,
            "picked": True,
            "move_line_ids": [Command.create({
                "product_id": quant.product_id.id,
                "lot_id": quant.lot_id.id,
                "package_id": quant.package_id.id,
                "quantity": qty,
                "location_id": quant.location_id.id,
                "location_dest_id": destination.id,
                "picked": True,
            })],
        }) for quant, qty in zip(quants, quantities, strict=True)]
        # The recall's transfer: tagged with the campaign, which users cannot do (stock.picking.create).
        picking = self.env["stock.picking"].sudo().create({
            "picking_type_id": self.int_type_id.id,
            "location_id": quants.location_id[:1].id,
            "location_dest_id": destination.id,
            "origin": campaign.name,
            "recall_campaign_id": campaign.id,
            "move_ids": moves,
        })
        picking._action_done()
        return picking
