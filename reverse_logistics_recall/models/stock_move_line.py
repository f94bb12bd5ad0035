from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare
from odoo.tools.sql import column_exists, create_column


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    recall_partner_id = fields.Many2one(
        "res.partner", string="Ship-to Partner", compute="_compute_recall_partner_id", store=True,
        help="Partner of the transfer (else of the move): the consignee a recall trace reports. Stored so "
        "that the trace reads it from the lot index without visiting every transfer.",
    )

    @api.depends("picking_id.partner_id", "move_id.partner_id")
    def _compute_recall_partner_id(self):
        for line in self:
            line.recall_partner_id = line.picking_id.partner_id or line.move_id.partner_id

    def _auto_init(self):
        # Fill the new column in one statement rather than through the ORM on millions of lines.
        if not column_exists(self.env.cr, "stock_move_line", "recall_partner_id"):
            create_column(self.env.cr, "stock_move_line", "recall_partner_id", "int4")
            self.env.cr.execute("""
                UPDATE stock_move_line ml
                   SET recall_partner_id = COALESCE(p.partner_id, m.partner_id)
                  FROM stock_move m
                  LEFT JOIN stock_picking p ON p.id = m.picking_id
                 WHERE m.id = ml.move_id AND COALESCE(p.partner_id, m.partner_id) IS NOT NULL
            """)
        return super()._auto_init()

    # The columns the recall trace and its saved scope read from the lot index, without the table.
    _RECALL_LOT_INDEX_COLUMNS = ("id", "state", "company_id", "product_id", "location_id", "location_dest_id",
                                 "picking_id", "recall_partner_id", "quantity_product_uom", "date", "reference")

    def init(self):
        super().init()
        # Odoo 18 does not index stock_move_line.lot_id. The recall trace walks move lines by lot; this
        # covering index lets it read them without touching the table (Odoo's own traceability report
        # uses it too). It carries `reference` (the transfer's name) so that saving a scope does not
        # visit one transfer per shipment: cold, that was most of the save. Rebuilt on update only when
        # its definition differs (an update then holds a lock on stock_move_line while it builds).
        cr = self.env.cr
        include = f"INCLUDE ({', '.join(self._RECALL_LOT_INDEX_COLUMNS)}) WHERE (lot_id IS NOT NULL)"
        cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'stock_move_line_recall_lot_idx'")
        current = cr.fetchone()
        if current and current[0].endswith(f"USING btree (lot_id) {include}"):
            return
        cr.execute("DROP INDEX IF EXISTS stock_move_line_recall_lot_idx")
        cr.execute("DROP INDEX IF EXISTS stock_move_line_recall_trace_idx")
        cr.execute(SQL(
            "CREATE INDEX stock_move_line_recall_lot_idx ON stock_move_line (lot_id) INCLUDE (%s) "
            "WHERE lot_id IS NOT NULL",
            SQL(", ").join(SQL.identifier(column) for column in self._RECALL_LOT_INDEX_COLUMNS)))

    def _action_done(self):
        self._check_recall_quarantine()
        self._check_recall_receipt()
        return super()._action_done()

    # ------------------------------------------------------------------
    # The block: while a recall is live, its lots go nowhere but into quarantine, to scrap or to their vendor
    # ------------------------------------------------------------------
    def _check_recall_quarantine(self):
        """Refuse, before anything moves, a movement of a lot held by a live recall of the line's company to
        anywhere but a quarantine location of that company, a scrap or inventory-loss location or a vendor:
        wherever the units are (every internal location) and however they come back (Odoo's Return wizard,
        receipts, recall returns). A recall return's receipt in two or three steps may pass through the
        warehouse's input and quality control on its way to quarantine. Nothing lifts the block but the
        Recall Manager's release (`recall.campaign.action_release_quarantine`)."""
        tracked = self.filtered(lambda ml: ml.lot_id and ml.company_id)
        if not tracked:
            return
        # Any warehouse user may try to move the stock; the recall itself is read as the system.
        campaign_model = self.env["recall.campaign"].sudo()
        blocking = campaign_model._get_blocking_campaigns(tracked.lot_id, tracked.company_id)
        if not blocking:
            return
        held = tracked.filtered(lambda ml: (ml.lot_id, ml.company_id) in blocking)
        campaigns = campaign_model.union(*(blocking[ml.lot_id, ml.company_id] for ml in held))
        quarantines = campaigns._get_quarantine_locations()
        blocked = held.filtered(lambda ml: not ml._is_recall_allowed_destination(quarantines))
        if not blocked:
            return
        recalls = campaign_model.union(*(blocking[ml.lot_id, ml.company_id] for ml in blocked))
        raise UserError(self.env._(
            "Lots %(lots)s are quarantined by recall %(recalls)s: while the recall is active they may only go "
            "into quarantine (%(quarantine)s), to scrap or back to their vendor, not to %(destination)s. "
            "A Recall Manager may release them.",
            lots=", ".join(sorted(set(blocked.lot_id.mapped("name")))), recalls=", ".join(recalls.mapped("name")),
            quarantine=", ".join(quarantines.filtered(
                lambda q: q.company_id in blocked.company_id).mapped("complete_name")) or "-",
            destination=", ".join(sorted(set(blocked.location_dest_id.mapped("complete_name")))),
        ))

    def _is_recall_allowed_destination(self, quarantines):
        """Where a lot held by a recall may still go: quarantine, scrap and inventory loss, its vendor; the
        reception steps of a receipt whose chain ends in quarantine."""
        self.ensure_one()
        destination = self.location_dest_id
        if destination.usage in ("inventory", "supplier"):
            return True
        if any(destination._child_of(quarantine) for quarantine in quarantines):
            return True
        final = self.move_id.location_final_id
        warehouse = destination.warehouse_id
        return bool(
            final and warehouse and destination in (warehouse.wh_input_stock_loc_id | warehouse.wh_qc_stock_loc_id)
            and any(final._child_of(quarantine) for quarantine in quarantines)
        )

    # ------------------------------------------------------------------
    # Recall returns: never more back than the consignee holds
    # ------------------------------------------------------------------
    def _check_recall_receipt(self):
        """Refuse a recall return's receipt of more units of a recalled lot than the consignee still holds:
        shipped to it across all its deliveries, less what it had sent back before the recall, what was
        retrieved since and what it destroyed on site."""
        lines = self.sudo().filtered(
            lambda ml: ml.lot_id and ml.move_id.return_line_id.order_id.recall_consignee_id
            and ml.location_id.usage == "customer")
        if not lines:
            return
        incoming = defaultdict(float)
        for line in lines:
            consignee = line.move_id.return_line_id.order_id.recall_consignee_id
            incoming[consignee, line.product_id, line.lot_id] += line.product_uom_id._compute_quantity(
                line.quantity, line.product_id.uom_id)
        for (consignee, product, lot), qty in incoming.items():
            if lot not in consignee.campaign_id._get_affected_lots():
                continue
            rows = consignee.exposure_ids.filtered(lambda r, p=product, lt=lot: r.product_id == p and r.lot_id == lt)
            left = sum(rows.mapped("qty_exposed")) - sum(rows.mapped("qty_retrieved")) \
                - sum(rows.mapped("qty_destroyed"))
            if float_compare(qty, left, precision_rounding=product.uom_id.rounding) > 0:
                # Formatted before the call: the translation extractor reads every argument of _() as a literal.
                figures = {
                    "left": f"{max(left, 0.0):g}", "exposed": f"{sum(rows.mapped('qty_exposed')):g}",
                    "retrieved": f"{sum(rows.mapped('qty_retrieved')):g}",
                    "destroyed": f"{sum(rows.mapped('qty_destroyed')):g}", "qty": f"{qty:g}",
                }
                raise UserError(self.env._(
                    "%(partner)s holds at most %(left)s of %(product)s lot %(lot)s for recall %(recall)s (shipped "
                    "%(exposed)s, retrieved %(retrieved)s, destroyed on site %(destroyed)s): %(qty)s cannot be "
                    "received.",
                    partner=consignee.partner_id.display_name, product=product.display_name, lot=lot.name,
                    recall=consignee.campaign_id.name, **figures,
                ))

    def _get_recall_returned_keys(self):
        """(company, partner, product, lot) of the units these lines bring back from customers."""
        return {
            (line.company_id.id, line.recall_partner_id.id, line.product_id.id, line.lot_id.id)
            for line in self
            if line.lot_id and line.recall_partner_id and line.location_id.usage == "customer"
            and line.location_dest_id.usage != "customer"
        }
