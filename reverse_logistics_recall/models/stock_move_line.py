from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
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
        return super()._action_done()

    def _check_recall_quarantine(self):
        """Nothing of an active recall leaves quarantine but to scrap or to its vendor."""
        tracked = self.filtered("lot_id")
        if not tracked or self.env.context.get("recall_release"):
            return
        quarantines = tracked.location_id.warehouse_id.quarantine_location_id
        leaving = tracked.filtered(
            lambda ml: ml.location_id in quarantines and ml.location_dest_id.usage not in ("inventory", "supplier")
        )
        if not leaving:
            return
        # Any warehouse user may try to move the stock; the recall itself is read as the system.
        campaigns = self.env["recall.campaign"].sudo()._get_blocking_campaigns(leaving.lot_id)
        if campaigns:
            blocked = leaving.filtered(lambda ml: any(ml.lot_id in c._get_affected_lots() for c in campaigns))
            raise UserError(self.env._(
                "Lots %(lots)s are quarantined by recall %(recalls)s and cannot leave quarantine. "
                "A Recall Manager may release them.",
                lots=", ".join(blocked.lot_id.mapped("name")), recalls=", ".join(campaigns.mapped("name")),
            ))
