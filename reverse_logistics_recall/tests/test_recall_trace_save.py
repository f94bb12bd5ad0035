from odoo.tests import tagged

from .test_recall_flow import RecallCommon
from .test_recall_scope import QTY_FIELDS, walk_scope


@tagged("post_install", "-at_install")
class TestRecallTraceSave(RecallCommon):
    """The scope is saved in SQL: the same values the ORM would store, and only what changed."""

    def _stored_rows(self, campaign):
        self.env.invalidate_all()
        return {
            (r.kind, r.partner_id.id, r.location_id.id, r.product_id.id, r.lot_id.id): r
            for r in campaign.exposure_ids
        }

    def test_bulk_save_stores_what_the_orm_would(self):
        """Each saved value against the independent walk of the move lines (test_recall_scope.walk_scope),
        transfers and dates against the deliveries themselves."""
        campaign = self._campaign()
        campaign.action_trace()
        expected = walk_scope(self.env, campaign.lot_ids, campaign.company_id)
        stored = self._stored_rows(campaign)
        self.assertEqual(set(stored), set(expected))
        for key, values in expected.items():
            record = stored[key]
            for fname in QTY_FIELDS:
                self.assertAlmostEqual(record[fname], values[fname], 4, fname)
            self.assertEqual(record.company_id, campaign.company_id)
            self.assertEqual(record.qty_destroyed, 0.0)
            if record.kind == "consignee":
                self.assertEqual(record.consignee_id.partner_id, record.partner_id)
                lines = self.env["stock.move.line"].search([
                    ("lot_id", "=", record.lot_id.id), ("state", "=", "done"),
                    ("picking_id.partner_id", "=", record.partner_id.id), "|",
                    ("location_dest_id.usage", "=", "customer"), ("location_id.usage", "=", "customer")])
                shipments = lines.filtered(lambda line: line.location_dest_id.usage == "customer")
                self.assertEqual(record.references, ", ".join(sorted(set(shipments.picking_id.mapped("name")))))
                self.assertEqual((record.date_first, record.date_last),
                                 (min(lines.mapped("date")), max(lines.mapped("date"))))
        # Stored totals of the consignees and the campaign: the sums of their rows, computed here.
        for consignee in campaign.consignee_ids:
            saved = consignee.read(["units_exposed", "units_retrieved", "units_destroyed", "effectiveness",
                                    "depth", "state"])[0]
            exposed = sum(values["qty_exposed"] for key, values in expected.items()
                          if key[0] == "consignee" and key[1] == consignee.partner_id.id)
            self.assertEqual(
                [exposed, 0.0, 0.0, 0.0],
                [saved["units_exposed"], saved["units_retrieved"], saved["units_destroyed"], saved["effectiveness"]])
            self.assertEqual((saved["depth"], saved["state"]), ("retail", "to_notify"))
            self.assertFalse(consignee.message_ids, "no creation log on thousands of consignees")
        self.assertEqual(campaign.units_shipped, 17)
        self.assertEqual(campaign.consignee_count, 3)

    def test_retrace_writes_only_what_changed(self):
        campaign = self._campaign()
        campaign.action_trace()
        before = self._stored_rows(campaign)
        alpha_key = next(k for k in before if k[0] == "consignee" and k[1] == self.customers[0].id)
        # An answer given on a row survives the re-trace (written as the recall's flow writes it: destruction
        # on site is confirmed once the recall is active, and this one stays traced).
        before[alpha_key].sudo().write({"qty_destroyed": 2.0})
        self.env.flush_all()
        # A row rewritten gets a new tuple, hence a new ctid (the rows carry no write_date).
        self.env.cr.execute("SELECT id, ctid::text FROM recall_exposure WHERE campaign_id = %s", [campaign.id])
        written = dict(self.env.cr.fetchall())

        campaign.action_trace()
        self.assertEqual(campaign.trace_run_ids[0].changes, "No change since the previous trace.")
        self.env.cr.execute("SELECT id, ctid::text FROM recall_exposure WHERE campaign_id = %s", [campaign.id])
        after = dict(self.env.cr.fetchall())
        self.assertEqual(set(after), set(written), "the same rows, none deleted and created again")
        self.assertTrue(all(after[i] == written[i] for i in after), "no row rewritten")
        alpha = self._stored_rows(campaign)[alpha_key]
        self.assertEqual(alpha.qty_destroyed, 2.0)
        self.assertEqual(alpha.consignee_id.units_destroyed, 2.0)
        self.assertEqual(campaign.units_destroyed, 2.0)

        # Stock on hand sold since: the consignee row appears, the on-hand row changes, nothing else.
        new_customer = self.env["res.partner"].create({"name": "Cafe Delta", "is_company": False})
        self._sell_lot(new_customer, 3, self.lot_bad)
        campaign.action_trace()
        self.assertIn("1 new, 0 gone, 0 changed", campaign.trace_run_ids[0].changes)
        delta = campaign.consignee_ids.filtered(lambda c: c.partner_id == new_customer)
        self.assertEqual((delta.depth, delta.units_exposed), ("consumer", 3.0))
        self.assertEqual(campaign.stock_exposure_ids.qty_on_hand, 10)
        self.assertEqual(campaign.units_shipped, 20)
        self.assertEqual(campaign.trace_run_ids[0].consignee_count, 4)

    def test_preview_reads_without_saving(self):
        campaign = self._campaign()
        preview = campaign.action_preview_trace()
        self.assertFalse(campaign.exposure_ids)
        self.assertEqual(sum(r["qty_exposed"] for r in preview[0]["rows"]), 17)

    def test_lot_index_rebuilt_only_when_its_definition_differs(self):
        cr = self.env.cr

        def lot_index():
            cr.execute("SELECT oid, pg_get_indexdef(oid) FROM pg_class "
                       "WHERE relname = 'stock_move_line_recall_lot_idx'")
            return cr.fetchone()

        oid, definition = lot_index()
        self.assertIn("reference", definition)
        self.env["stock.move.line"].init()
        self.assertEqual(lot_index()[0], oid, "an index as defined is left as it is")
        # The index of an earlier version, without the transfer's name: rebuilt.
        cr.execute("DROP INDEX stock_move_line_recall_lot_idx")
        cr.execute("CREATE INDEX stock_move_line_recall_lot_idx ON stock_move_line (lot_id) INCLUDE (id, date) "
                   "WHERE lot_id IS NOT NULL")
        self.env["stock.move.line"].init()
        rebuilt_oid, definition = lot_index()
        self.assertIn("recall_partner_id, quantity_product_uom, date, reference", definition)
        self.env["stock.move.line"].init()
        self.assertEqual(lot_index()[0], rebuilt_oid)
