from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class PackagingReuseRegisterLine(models.TransientModel):
    """One asset type of a packaging re-use register (EU Packaging and Packaging Waste Regulation
    2025/40, re-use of transport packaging): trips, first placements, re-use, losses, rotations."""

    _name = "packaging.reuse.register.line"
    _description = "Packaging Re-use Register Line"
    _order = "asset_type_id"

    register_id = fields.Many2one("packaging.reuse.register", required=True, ondelete="cascade")
    asset_type_id = fields.Many2one("returnable.asset.type", required=True)
    tracked = fields.Boolean(string="Serial-tracked")
    trips = fields.Float(help="Units shipped to customers in the period: one unit on one trip is one trip.")
    first_placed = fields.Float(string="First Placed on the Market",
                                help="Trips that were a unit's first trip ever.")
    reused = fields.Float(string="Re-used", help="Trips less first placements.")
    losses = fields.Float(help="Units lost at customers in the period (never came back, declared lost).")
    reuse_rate = fields.Float(string="Re-use Rate (%)", digits=(5, 2))
    average_rotations = fields.Float(digits=(16, 2), help="Trips per unit in circulation (see the README).")
    move_ids = fields.Many2many("stock.move", string="Trip Moves")

    # ------------------------------------------------------------------
    # Computation from the done asset moves, at any date (no stored counters)
    # ------------------------------------------------------------------
    @api.model
    def _get_asset_moves(self, asset_types, end):
        """Done moves of these asset types up to `end`: (move, type, lot, date, qty, src, dst).

        The type is the one frozen on the move when it was done, so a type pointed at another product
        later, or archived, keeps its past. Read per move line so serials are followed (a line's quantity
        in the line's own unit, converted to the product's: units whose ratio Odoo freezes once moved)."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT m.id, m.asset_type_id, ml.lot_id, m.date,
                   ml.quantity / COALESCE(NULLIF(mu.factor, 0), 1) * COALESCE(pu.factor, 1),
                   src.usage, dst.usage
              FROM stock_move m
              JOIN stock_move_line ml ON ml.move_id = m.id
              JOIN stock_location src ON src.id = m.location_id
              JOIN stock_location dst ON dst.id = m.location_dest_id
              JOIN product_product pp ON pp.id = m.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom mu ON mu.id = ml.product_uom_id
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE m.state = 'done' AND m.asset_type_id = ANY(%(types)s) AND m.date < %(end)s
             ORDER BY m.date, m.id
            """,
            types=asset_types.ids, end=end,
        ))
        return self.env.cr.fetchall()

    @api.model
    def _prepare_register_lines(self, asset_types, start, end):
        rows = self._get_asset_moves(asset_types, end)
        by_type = defaultdict(list)
        for row in rows:
            by_type[row[1]].append(row)
        vals_list = []
        for asset_type in asset_types:
            if not asset_type.active and not any(row[3] >= start for row in by_type[asset_type.id]):
                continue  # archived and silent in the period: not a line of it
            vals_list.append(self._prepare_line_vals(asset_type, by_type[asset_type.id], start))
        return vals_list

    @api.model
    def _prepare_line_vals(self, asset_type, rows, start):
        """Figures of one asset type from its moves (all before the period's end).

        Serial-tracked: a unit is first placed on the market by its first trip ever; rotations are the
        trips over the serials that travelled in the period. Untracked (pooled) units cannot be told
        apart: trip by trip, in date order, a trip is a first placement only for the units brought in so
        far (from vendors, production or inventory) that never travelled yet; the rest is a re-use. So
        first placements never exceed the trips, nor re-uses go below zero, and a re-use that cannot be
        proven is never counted. Rotations are the trips over the units in circulation at the period's
        end (first placed to date less lost to date)."""
        tracked = any(row[2] for row in rows) if rows else asset_type.product_id.tracking != "none"
        trips = first = losses = 0.0
        brought_in = placed = lost_to_end = 0.0
        trip_moves = set()
        first_trip = {}
        travelled = set()
        for move_id, _type, lot_id, date, qty, src, dst in rows:
            in_period = date >= start
            if dst == "customer" and src != "customer":
                new = min(qty, max(brought_in - placed, 0.0))
                placed += new
                if in_period:
                    trips += qty
                    first += new
                    trip_moves.add(move_id)
                    travelled.add(lot_id)
                if lot_id and lot_id not in first_trip:
                    first_trip[lot_id] = date
            elif src == "customer" and dst not in ("internal", "transit", "customer"):
                lost_to_end += qty
                losses += qty if in_period else 0.0
            elif src in ("supplier", "production", "inventory") and dst == "internal":
                brought_in += qty
        if tracked:
            first = float(sum(1 for date in first_trip.values() if date >= start))
            in_circulation = len(travelled - {None})
        else:
            in_circulation = placed - lost_to_end
        first = min(first, trips)
        reused = max(trips - first, 0.0)
        return {
            "asset_type_id": asset_type.id,
            "tracked": tracked,
            "trips": trips,
            "first_placed": first,
            "reused": reused,
            "losses": losses,
            "reuse_rate": 100.0 * reused / trips if trips else 0.0,
            "average_rotations": trips / in_circulation if in_circulation > 0 else 0.0,
            "move_ids": [fields.Command.set(sorted(trip_moves))],
        }

    def action_view_trips(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Trips of %(type)s", type=self.asset_type_id.name),
            "res_model": "stock.move",
            "view_mode": "list,form",
            # Ids read as the system; the list opens with the user's own rights.
            "domain": [("id", "in", self.sudo().move_ids.ids)],
            "context": {"create": False},
        }
