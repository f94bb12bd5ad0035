"""Cross-addon scenario: a supplier lot consumed by two manufacturing orders, the finished lots
delivered to three customers, one of them partly returned; the recall trace must find exactly
those consignees and quantities downstream, and the supplier upstream. Needs mrp installed."""

from odoo import Command
from odoo.tests import Form, TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRecallManufacturingChain(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.env.user.groups_id += env.ref("stock.group_production_lot") + env.ref("mrp.group_mrp_user")
        cls.company = env.company
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.supplier = env["res.partner"].create({"name": "Peanut Farm Co-op"})
        cls.customers = env["res.partner"].create([{"name": f"Grocer {n}"} for n in ("North", "South", "East")])
        cls.bystander = env["res.partner"].create({"name": "Grocer West"})
        cls.peanuts = env["product.product"].create({"name": "Roasted Peanuts", "is_storable": True,
                                                     "tracking": "lot"})
        cls.bar = env["product.product"].create({"name": "Peanut Bar", "is_storable": True, "tracking": "lot"})
        cls.bom = env["mrp.bom"].create({
            "product_tmpl_id": cls.bar.product_tmpl_id.id, "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": cls.peanuts.id, "product_qty": 1})],
        })
        cls.lot_bad = cls._receive_from_supplier(cls.peanuts, 10, "PEANUT-BAD")
        cls.lot_ok = cls._receive_from_supplier(cls.peanuts, 10, "PEANUT-OK")
        cls.bar_1 = cls._manufacture(4, "BAR-1", cls.lot_bad)
        cls.bar_2 = cls._manufacture(5, "BAR-2", cls.lot_bad)
        cls.bar_3 = cls._manufacture(6, "BAR-3", cls.lot_ok)
        north, south, east = cls.customers
        cls._deliver(north, cls.bar, [(cls.bar_1, 3)])
        cls.south_delivery = cls._deliver(south, cls.bar, [(cls.bar_1, 1), (cls.bar_2, 2)])
        cls._deliver(east, cls.bar, [(cls.bar_2, 3)])
        cls._deliver(cls.bystander, cls.bar, [(cls.bar_3, 6)])
        cls._return_with_odoo_wizard(cls.south_delivery, cls.bar_2, 1)

    @classmethod
    def _receive_from_supplier(cls, product, qty, lot_name):
        supplier_location = cls.env.ref("stock.stock_location_suppliers")
        receipt = cls.env["stock.picking"].create({
            "picking_type_id": cls.warehouse.in_type_id.id, "partner_id": cls.supplier.id,
            "location_id": supplier_location.id, "location_dest_id": cls.stock.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id, "product_uom_qty": qty,
                "product_uom": product.uom_id.id, "location_id": supplier_location.id,
                "location_dest_id": cls.stock.id,
            })],
        })
        receipt.action_confirm()
        receipt.move_ids.move_line_ids.lot_name = lot_name
        receipt.move_ids.picked = True
        receipt.button_validate()
        return receipt.move_line_ids.lot_id

    @classmethod
    def _manufacture(cls, qty, lot_name, component_lot, bom=None):
        bom = bom or cls.bom
        product = bom.product_tmpl_id.product_variant_id
        form = Form(cls.env["mrp.production"])
        form.product_id = product
        form.bom_id = bom
        form.product_qty = qty
        production = form.save()
        production.action_confirm()
        raw = production.move_raw_ids
        raw.move_line_ids.unlink()
        raw.write({"move_line_ids": [Command.create({
            "product_id": component_lot.product_id.id, "lot_id": component_lot.id, "quantity": qty,
            "location_id": cls.stock.id, "location_dest_id": raw.location_dest_id.id,
        })], "picked": True})
        lot = cls.env["stock.lot"].create({"name": lot_name, "product_id": product.id, "company_id": cls.company.id})
        production.lot_producing_id = lot
        production.qty_producing = qty
        production.button_mark_done()
        assert production.state == "done", production.state
        return lot

    @classmethod
    def _deliver(cls, partner, product, lots_qty):
        customer_location = cls.env.ref("stock.stock_location_customers")
        total = sum(qty for _lot, qty in lots_qty)
        picking = cls.env["stock.picking"].create({
            "picking_type_id": cls.warehouse.out_type_id.id, "partner_id": partner.id,
            "location_id": cls.stock.id, "location_dest_id": customer_location.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id, "product_uom_qty": total,
                "product_uom": product.uom_id.id, "location_id": cls.stock.id,
                "location_dest_id": customer_location.id,
            })],
        })
        picking.action_confirm()
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": product.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": cls.stock.id, "location_dest_id": customer_location.id,
        }) for lot, qty in lots_qty], "picked": True})
        picking.button_validate()
        assert picking.state == "done"
        return picking

    @classmethod
    def _return_with_odoo_wizard(cls, delivery, lot, qty):
        wizard = cls.env["stock.return.picking"].with_context(
            active_id=delivery.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = qty
        picking = cls.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": lot.product_id.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": picking.location_id.id, "location_dest_id": picking.location_dest_id.id,
        })], "picked": True})
        picking.button_validate()

    def test_trace_through_manufacturing(self):
        campaign = self.env["recall.campaign"].create({
            "title": "Aflatoxin in peanuts",
            "product_ids": [Command.set(self.peanuts.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)],
            "reason": "Aflatoxin above the limit in lot PEANUT-BAD.",
        })
        campaign.action_trace()
        exposure = {
            (r.partner_id.name, r.lot_id.name): (r.qty_shipped, r.qty_returned_before, r.qty_exposed, r.depth)
            for r in campaign.consignee_exposure_ids
        }
        self.assertEqual(exposure, {
            ("Grocer North", "BAR-1"): (3, 0, 3, 1),
            ("Grocer South", "BAR-1"): (1, 0, 1, 1),
            ("Grocer South", "BAR-2"): (2, 1, 1, 1),
            ("Grocer East", "BAR-2"): (3, 0, 3, 1),
        })
        self.assertNotIn(self.bystander, campaign.consignee_ids.partner_id, "made from the good lot")
        self.assertEqual(campaign.units_shipped, 8)
        on_hand = {(r.lot_id.name, r.location_id): r.qty_on_hand for r in campaign.stock_exposure_ids}
        self.assertEqual(on_hand, {("PEANUT-BAD", self.stock): 1, ("BAR-2", self.stock): 1})
        upstream = campaign.supplier_exposure_ids
        self.assertEqual(upstream.partner_id, self.supplier)
        self.assertEqual(upstream.lot_id, self.lot_bad)
        self.assertEqual(upstream.qty_received, 10)
        # The saved scope names the transfers that shipped (not the return) and the supplier receipt.
        south = campaign.consignee_exposure_ids.filtered(lambda r: r.partner_id == self.customers[1])
        self.assertEqual(set(south.mapped("references")), {self.south_delivery.name})
        self.assertTrue(all(r.date_first and r.date_last >= r.date_first for r in campaign.consignee_exposure_ids))
        receipt_line = self.env["stock.move.line"].search([("lot_id", "=", self.lot_bad.id),
                                                           ("location_id.usage", "=", "supplier")])
        self.assertEqual(upstream.references, receipt_line.picking_id.name)
        # The date of the movement itself: the picking's date_done is stamped a moment apart from it.
        self.assertEqual(upstream.date_first, receipt_line.date)

        # Tracing from a finished lot walks upstream to the peanut supplier too.
        from_bar = self.env["recall.campaign"].create({
            "title": "Wrapper defect", "product_ids": [Command.set(self.bar.ids)],
            "lot_ids": [Command.set(self.bar_3.ids)], "reason": "Torn wrappers.",
        })
        from_bar.action_trace()
        self.assertEqual(from_bar.consignee_ids.partner_id, self.bystander)
        self.assertEqual(from_bar.supplier_exposure_ids.lot_id, self.lot_ok)
        self.assertEqual(from_bar.supplier_exposure_ids.partner_id, self.supplier)

    def test_trace_two_levels_down(self):
        """The bar returned by Grocer South goes into a gift box sold to a fourth customer: the peanut
        recall reaches that customer at depth 2."""
        gift_box = self.env["product.product"].create({"name": "Gift Box", "is_storable": True, "tracking": "lot"})
        bom = self.env["mrp.bom"].create({
            "product_tmpl_id": gift_box.product_tmpl_id.id, "product_qty": 1,
            "bom_line_ids": [Command.create({"product_id": self.bar.id, "product_qty": 1})],
        })
        gift_lot = self._manufacture(1, "GIFT-1", self.bar_2, bom=bom)
        shop = self.env["res.partner"].create({"name": "Gift Shop"})
        self._deliver(shop, gift_box, [(gift_lot, 1)])
        campaign = self.env["recall.campaign"].create({
            "title": "Aflatoxin in peanuts", "product_ids": [Command.set(self.peanuts.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)], "reason": "Aflatoxin above the limit.",
        })
        campaign.action_trace()
        row = campaign.consignee_exposure_ids.filtered(lambda r: r.partner_id == shop)
        self.assertEqual((row.lot_id, row.depth, row.qty_exposed), (gift_lot, 2, 1))
        self.assertEqual(campaign.units_shipped, 9)
        self.assertNotIn(("BAR-2", self.stock), {(r.lot_id.name, r.location_id) for r in campaign.stock_exposure_ids},
                         "the returned bar went into the gift box")
        # Upstream from the gift box: the bar's lot and, through it, the peanut supplier.
        from_gift = self.env["recall.campaign"].create({
            "title": "Box glue", "product_ids": [Command.set(gift_box.ids)],
            "lot_ids": [Command.set(gift_lot.ids)], "reason": "Glue not food safe.",
        })
        from_gift.action_trace()
        self.assertEqual(from_gift.supplier_exposure_ids.lot_id, self.lot_bad)
        self.assertEqual(from_gift.supplier_exposure_ids.depth, -2)
        self.assertEqual(from_gift.consignee_ids.partner_id, shop)

    def test_anonymous_sale_is_exposed_without_consignee(self):
        """A bar sold without a customer (a counter sale) counts as exposed; there is nobody to notify."""
        self._deliver(self.env["res.partner"], self.bar, [(self.bar_2, 1)])
        campaign = self.env["recall.campaign"].create({
            "title": "Aflatoxin in peanuts", "product_ids": [Command.set(self.peanuts.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)], "reason": "Aflatoxin above the limit.",
        })
        campaign.action_trace()
        anonymous = campaign.consignee_exposure_ids.filtered(lambda r: not r.partner_id)
        self.assertEqual((anonymous.lot_id, anonymous.qty_exposed), (self.bar_2, 1))
        self.assertFalse(anonymous.consignee_id)
        self.assertEqual(len(campaign.consignee_ids), 3)
        self.assertEqual(campaign.units_shipped, 9)
        self.assertEqual(campaign._get_status_report_values()["units_anonymous"], 1)
        report = self.env["ir.actions.report"]._render_qweb_html(
            "reverse_logistics_recall.report_recall_closeout", campaign.ids)[0]
        self.assertIn(b"without a known consignee", report)

    def test_fsma_spreadsheet_lists_every_tracking_event(self):
        campaign = self.env["recall.campaign"].create({
            "title": "Aflatoxin in peanuts", "product_ids": [Command.set(self.peanuts.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)], "reason": "Aflatoxin above the limit.",
        })
        campaign.action_trace()
        rows = campaign._get_fsma_rows()
        events = sorted((row[0], row[4], row[5], row[9], row[12]) for row in rows)
        self.assertEqual(events, sorted([
            ("Receiving", "PEANUT-BAD", 10, "Peanut Farm Co-op", ""),
            ("Transformation", "BAR-1", 4, "", "PEANUT-BAD"),
            ("Transformation", "BAR-2", 5, "", "PEANUT-BAD"),
            ("Shipping", "BAR-1", 3, "Grocer North", ""),
            ("Shipping", "BAR-1", 1, "Grocer South", ""),
            ("Shipping", "BAR-2", 2, "Grocer South", ""),
            ("Shipping", "BAR-2", 3, "Grocer East", ""),
            ("Receiving (return)", "BAR-2", 1, "Grocer South", ""),
            ("On hand", "PEANUT-BAD", 1, "", ""),
            ("On hand", "BAR-2", 1, "", ""),
        ]))
        shipping = [row for row in rows if row[0] == "Shipping" and row[9] == "Grocer South"]
        self.assertEqual({row[11] for row in shipping}, {self.south_delivery.name})
        self.assertTrue(all(row[1] for row in rows if row[0] != "On hand"))
        action = campaign.action_export_fsma204()
        self.assertIn("/web/content/", action["url"])

    def test_fsma_lot_code_source_is_who_assigned_the_lot(self):
        """FSMA 204: the traceability lot code source is the supplier for a lot received from it, the company
        for the lots it made."""
        self.supplier.write({"street": "1 Orchard Road", "city": "Dothan", "zip": "36301"})
        manager = new_test_user(self.env, login="rl_fsma_recall_manager",
                                groups="stock.group_stock_user,reverse_logistics_recall.group_recall_manager")
        campaign = self.env["recall.campaign"].with_user(manager).create({
            "title": "Aflatoxin in peanuts", "product_ids": [Command.set(self.peanuts.ids)],
            "lot_ids": [Command.set(self.lot_bad.ids)], "reason": "Aflatoxin above the limit.",
        })
        campaign.action_trace()
        sources = {(row[0], row[4]): row[13] for row in campaign._get_fsma_rows()}
        for (event, lot), source in sources.items():
            if lot == "PEANUT-BAD":
                self.assertTrue(source.startswith("Peanut Farm Co-op, 1 Orchard Road"), (event, source))
                self.assertIn("Dothan", source)
            else:
                self.assertEqual(source, self.company.name, (event, lot))
        self.assertIn(("Transformation", "BAR-1"), sources)
        self.assertIn(("On hand", "PEANUT-BAD"), sources)
