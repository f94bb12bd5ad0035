from odoo import api, models


class ReturnOrder(models.Model):
    _inherit = "return.order"

    @api.model
    def _get_returnable_candidates(self, moves):
        """Delivered kit components are offered as their kit, once per kit sale line."""
        candidates, kits = [], set()
        for vals in super()._get_returnable_candidates(moves):
            move = self.env["stock.move"].browse(vals.get("origin_move_id"))
            sale_line = move.sale_line_id
            if move.bom_line_id and sale_line and sale_line.product_id != move.product_id:
                if sale_line not in kits:
                    kits.add(sale_line)
                    candidates.append({
                        "product_id": sale_line.product_id.id, "sale_line_id": sale_line.id, "origin_move_id": False,
                    })
                continue
            candidates.append(vals)
        return candidates

    @api.model
    def _get_candidate_key(self, vals):
        if not vals.get("origin_move_id") and vals.get("sale_line_id"):
            return f"kit{vals['sale_line_id']}-0"
        return super()._get_candidate_key(vals)
