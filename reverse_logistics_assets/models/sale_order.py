from collections import defaultdict

from odoo import Command, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        # Assets become order lines before confirmation so that they ship and invoice with the goods.
        self._add_returnable_asset_lines()
        return super().action_confirm()

    def _get_required_assets(self):
        self.ensure_one()
        required = defaultdict(int)
        lines = self.order_line.filtered(lambda sol: not sol.display_type and not sol.is_returnable_asset)
        # Asset configuration is read whatever the salesperson's rights.
        for line in lines.sudo():
            for rule in line.product_id.product_tmpl_id.returnable_asset_ids:
                if rule.asset_type_id.company_id == self.company_id:
                    required[rule.asset_type_id] += rule._get_asset_quantity(line.product_uom_qty)
        return required

    def _add_returnable_asset_lines(self):
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            existing = defaultdict(float)
            for line in order.order_line.filtered("is_returnable_asset"):
                existing[line.product_id] += line.product_uom_qty
            commands = []
            for asset_type, qty in order._get_required_assets().items():
                missing = qty - existing[asset_type.product_id]
                if missing > 0:
                    commands.append(Command.create(order._prepare_returnable_asset_line_vals(asset_type, missing)))
            if commands:
                order.order_line = commands

    def _prepare_returnable_asset_line_vals(self, asset_type, qty):
        self.ensure_one()
        return {
            "product_id": asset_type.product_id.id,
            "name": self.env._("Deposit: %(type)s", type=asset_type.name) if asset_type.deposit_price
            else asset_type.name,
            "product_uom_qty": qty,
            # The deposit in the order's currency (or the pricelist's own deposit price for the asset).
            "price_unit": asset_type._get_deposit_price(self, qty),
            "tax_id": [Command.clear()],
            "is_returnable_asset": True,
            "sequence": 9999,
        }
