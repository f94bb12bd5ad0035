"""The saved scope of a recall against an independent computation.

The exposure rows and the consignees' and campaign's totals have one definition, the trace's SQL
(reverse_logistics_recall/trace_sql.py). This test computes them again without it: a recursive walk of
stock.move.line through the ORM (component lines to the finished lines that consumed them, Odoo's
`produce_line_ids` / `consume_line_ids`), the done moves to and from customers, the supplier receipts
upstream and the quants on hand, summed in Python. Histories are built through Odoo's flows: two
manufacturing levels (when mrp is installed), serials, two warehouses, returns with Odoo's Return wizard
before and after activation."""
from collections import defaultdict

from odoo import Command
from odoo.tests import Form, tagged

from .test_recall_flow import RecallCommon

QTY_FIELDS = ("depth", "qty_shipped", "qty_returned_before", "qty_exposed", "qty_received", "qty_on_hand",
              "qty_retrieved")


def walk_scope(env, seeds, company, lines_before=None):
    """{(kind, partner id, location id, product id, lot id): {field: value}} of a recall of `seeds`,
    computed from the move lines and quants with the ORM, nothing of the addon's SQL. `lines_before`:
    ids of the move lines done when the recall was activated (None: not active, every return was made
    before it); a return among them was made before the recall, any other is retrieved by it."""
    lines = env["stock.move.line"].sudo()

    def closure(direction):
        depth = {lot: 0 for lot in seeds}
        frontier = seeds
        while frontier:
            if direction == "down":
                moved = lines.search([("lot_id", "in", frontier.ids), ("state", "=", "done"),
                                      ("location_dest_id.usage", "=", "production")])
            else:
                moved = lines.search([("lot_id", "in", frontier.ids), ("state", "=", "done"),
                                      ("location_id.usage", "=", "production")])
            next_frontier = env["stock.lot"]
            for line in moved:
                targets = line.produce_line_ids if direction == "down" else line.consume_line_ids
                for target in targets.filtered(lambda t: t.state == "done" and t.lot_id):
                    if target.lot_id not in depth:
                        depth[target.lot_id] = depth[line.lot_id] + 1
                        next_frontier |= target.lot_id
            frontier = next_frontier
        return depth

    scope = {}
    down = closure("down")
    flows = defaultdict(lambda: {"shipped": 0.0, "returned": 0.0, "before": 0.0, "depth": None})
    for line in lines.search([("lot_id", "in", [lot.id for lot in down]), ("state", "=", "done"),
                              ("company_id", "=", company.id)]):
        to_customer = line.location_dest_id.usage == "customer"
        from_customer = line.location_id.usage == "customer"
        if not (to_customer or from_customer):
            continue
        partner = line.picking_id.partner_id or line.move_id.partner_id
        flow = flows[partner.id, line.product_id.id, line.lot_id.id]
        flow["depth"] = down[line.lot_id]
        if to_customer:
            flow["shipped"] += line.quantity_product_uom
        else:
            flow["returned"] += line.quantity_product_uom
            if lines_before is None or line.id in lines_before:
                flow["before"] += line.quantity_product_uom
    for (partner_id, product_id, lot_id), flow in flows.items():
        scope["consignee", partner_id or False, False, product_id, lot_id] = {
            "depth": flow["depth"], "qty_shipped": flow["shipped"], "qty_returned_before": flow["before"],
            "qty_exposed": max(flow["shipped"] - flow["before"], 0.0), "qty_received": 0.0, "qty_on_hand": 0.0,
            "qty_retrieved": max(flow["returned"] - flow["before"], 0.0),
        }
    up = closure("up")
    received = defaultdict(float)
    for line in lines.search([("lot_id", "in", [lot.id for lot in up]), ("state", "=", "done"),
                              ("company_id", "=", company.id), ("location_id.usage", "=", "supplier")]):
        partner = line.picking_id.partner_id or line.move_id.partner_id
        received[partner.id or False, line.product_id.id, line.lot_id.id, -up[line.lot_id]] += \
            line.quantity_product_uom
    for (partner_id, product_id, lot_id, depth), qty in received.items():
        scope["supplier", partner_id, False, product_id, lot_id] = {
            "depth": depth, "qty_shipped": qty, "qty_returned_before": 0.0, "qty_exposed": 0.0,
            "qty_received": qty, "qty_on_hand": 0.0, "qty_retrieved": 0.0,
        }
    on_hand = defaultdict(float)
    for quant in env["stock.quant"].sudo().search([("lot_id", "in", [lot.id for lot in down]),
                                                   ("company_id", "=", company.id),
                                                   ("location_id.usage", "=", "internal")]):
        on_hand[quant.location_id.id, quant.product_id.id, quant.lot_id.id] += quant.quantity
    for (location_id, product_id, lot_id), qty in on_hand.items():
        if qty > 0:
            scope["on_hand", False, location_id, product_id, lot_id] = {
                "depth": down[env["stock.lot"].browse(lot_id)], "qty_shipped": 0.0, "qty_returned_before": 0.0,
                "qty_exposed": 0.0, "qty_received": 0.0, "qty_on_hand": qty, "qty_retrieved": 0.0,
            }
    return scope


@tagged("post_install", "-at_install")
class TestRecallScopeIndependent(RecallCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse_2 = cls.env["stock.warehouse"].create({
            "name": "Second Warehouse", "code": "WH2", "company_id": cls.company.id})
        cls.serial_product = cls.env["product.product"].create({
            "name": "Espresso Machine", "is_storable": True, "tracking": "serial"})
        cls.supplier = cls.env["res.partner"].create({"name": "Bean Growers Ltd", "is_company": True})

    def _receive(self, product, lots_qty, warehouse=None):
        """A supplier receipt of [(lot name, qty)] into a warehouse's stock; returns the lots."""
        warehouse = warehouse or self.warehouse
        supplier_location = self.env.ref("stock.stock_location_suppliers")
        receipt = self.env["stock.picking"].create({
            "picking_type_id": warehouse.in_type_id.id, "partner_id": self.supplier.id,
            "location_id": supplier_location.id, "location_dest_id": warehouse.lot_stock_id.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id, "product_uom": product.uom_id.id,
                "product_uom_qty": sum(qty for _name, qty in lots_qty), "location_id": supplier_location.id,
                "location_dest_id": warehouse.lot_stock_id.id,
            })],
        })
        receipt.action_confirm()
        receipt.move_ids.move_line_ids.unlink()
        receipt.move_ids.write({"move_line_ids": [Command.create({
            "product_id": product.id, "lot_name": name, "quantity": qty, "picking_id": receipt.id,
            "location_id": supplier_location.id, "location_dest_id": warehouse.lot_stock_id.id,
        }) for name, qty in lots_qty], "picked": True})
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        return receipt.move_line_ids.lot_id

    def _deliver(self, partner, product, lots_qty, warehouse=None):
        warehouse = warehouse or self.warehouse
        picking = self.env["stock.picking"].create({
            "picking_type_id": warehouse.out_type_id.id, "partner_id": partner.id,
            "location_id": warehouse.lot_stock_id.id, "location_dest_id": self.customer_location.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id, "product_uom": product.uom_id.id,
                "product_uom_qty": sum(qty for _lot, qty in lots_qty), "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": self.customer_location.id,
            })],
        })
        picking.action_confirm()
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": product.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": warehouse.lot_stock_id.id, "location_dest_id": self.customer_location.id,
        }) for lot, qty in lots_qty], "picked": True})
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _return(self, delivery, lots_qty, destination=None):
        """Odoo's own Return wizard on a delivery, [(lot, qty)] sent back (into `destination`)."""
        wizard = self.env["stock.return.picking"].with_context(
            active_id=delivery.id, active_model="stock.picking").create({})
        wizard.product_return_moves.quantity = sum(qty for _lot, qty in lots_qty)
        picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        if destination:
            picking.location_dest_id = destination
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.write({"move_line_ids": [Command.create({
            "product_id": lot.product_id.id, "lot_id": lot.id, "quantity": qty, "picking_id": picking.id,
            "location_id": picking.location_id.id, "location_dest_id": picking.location_dest_id.id,
        }) for lot, qty in lots_qty], "picked": True})
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _manufacture(self, product, qty, lot_name, components, warehouse=None):
        """A manufacturing order of `qty` `product` (lot `lot_name`) consuming [(lot, qty)] components."""
        warehouse = warehouse or self.warehouse
        bom = self.env["mrp.bom"].create({
            "product_tmpl_id": product.product_tmpl_id.id, "product_qty": qty,
            "bom_line_ids": [Command.create({"product_id": lot.product_id.id, "product_qty": used})
                             for lot, used in components],
        })
        form = Form(self.env["mrp.production"])
        form.product_id = product
        form.bom_id = bom
        form.product_qty = qty
        form.picking_type_id = warehouse.manu_type_id
        production = form.save()
        production.action_confirm()
        for raw in production.move_raw_ids:
            lot, used = next((lot, used) for lot, used in components if lot.product_id == raw.product_id)
            raw.move_line_ids.unlink()
            raw.write({"move_line_ids": [Command.create({
                "product_id": lot.product_id.id, "lot_id": lot.id, "quantity": used,
                "location_id": raw.location_id.id, "location_dest_id": raw.location_dest_id.id,
            })], "picked": True})
        lot = self.env["stock.lot"].create({"name": lot_name, "product_id": product.id, "company_id": self.company.id})
        production.lot_producing_id = lot
        production.qty_producing = qty
        production.button_mark_done()
        self.assertEqual(production.state, "done")
        return lot

    def _assert_scope(self, campaign):
        """The campaign's saved rows and totals are what the independent walk computes."""
        expected = walk_scope(self.env, campaign.lot_ids, campaign.company_id,
                              self.lines_before if campaign.date_activated else None)
        self.env.invalidate_all()
        saved = {
            (row.kind, row.partner_id.id, row.location_id.id, row.product_id.id, row.lot_id.id):
                {fname: row[fname] for fname in QTY_FIELDS}
            for row in campaign.exposure_ids
        }
        self.assertEqual(set(saved), set(expected), "the same rows")
        for key, values in expected.items():
            for fname in QTY_FIELDS:
                self.assertAlmostEqual(saved[key][fname], values[fname], 4, f"{key} {fname}")
        consignee_rows = {key: values for key, values in expected.items() if key[0] == "consignee"}
        for consignee in campaign.consignee_ids:
            rows = [values for key, values in consignee_rows.items() if key[1] == consignee.partner_id.id]
            exposed = sum(row["qty_exposed"] for row in rows)
            retrieved = sum(row["qty_retrieved"] for row in rows)
            self.assertAlmostEqual(consignee.units_exposed, exposed, 4)
            self.assertAlmostEqual(consignee.units_retrieved, retrieved, 4)
            self.assertAlmostEqual(consignee.effectiveness,
                                   100.0 * (retrieved + consignee.units_destroyed) / exposed if exposed else 0.0, 4)
        shipped = sum(values["qty_exposed"] for values in consignee_rows.values())
        retrieved = sum(values["qty_retrieved"] for values in consignee_rows.values())
        self.assertAlmostEqual(campaign.units_shipped, shipped, 4)
        self.assertAlmostEqual(campaign.units_retrieved, retrieved, 4)
        self.assertAlmostEqual(campaign.effectiveness, 100.0 * retrieved / shipped if shipped else 0.0, 4)
        # The preview reads the same definition without saving.
        preview = campaign.action_preview_trace()[0]["rows"]
        self.assertEqual(
            {(r["kind"], r["partner_id"] or False, r["location_id"] or False, r["product_id"], r["lot_id"])
             for r in preview}, set(expected))
        return expected

    def test_serials_two_warehouses_returns_before_and_after_activation(self):
        serials = self._receive(self.serial_product, [(f"SN-{n}", 1) for n in range(1, 5)])
        serials_2 = self._receive(self.serial_product, [("SN-5", 1), ("SN-6", 1)], self.warehouse_2)
        alpha, beta, gamma = self.customers
        first = self._deliver(alpha, self.serial_product, [(serials[0], 1), (serials[1], 1)])
        self._deliver(beta, self.serial_product, [(serials_2[0], 1)], self.warehouse_2)
        # Beans from the second warehouse too, one lot over both.
        bad_2 = self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": self.product_lot.id, "location_id": self.warehouse_2.lot_stock_id.id,
            "lot_id": self.lot_bad.id, "inventory_quantity": 6,
        })
        bad_2.action_apply_inventory()
        beans_2 = self._deliver(gamma, self.product_lot, [(self.lot_bad, 2)], self.warehouse_2)
        self._return(first, [(serials[1], 1)])
        campaign = self._campaign(product_ids=[Command.set((self.product_lot | self.serial_product).ids)],
                                  lot_ids=[Command.set((self.lot_bad | serials[:2] | serials_2[:1]).ids)])
        campaign.action_trace()
        expected = self._assert_scope(campaign)
        # Alpha got two serials and sent one back before the recall: 1 exposed of that serial, 0 of the other.
        self.assertEqual(expected["consignee", alpha.id, False, self.serial_product.id, serials[1].id]["qty_exposed"],
                         0.0)
        self.assertEqual(campaign.consignee_ids.filtered(lambda c: c.partner_id == gamma).units_exposed, 4 + 2)

        self.lines_before = set(self.env["stock.move.line"].search([("state", "=", "done")]).ids)
        campaign.action_activate()
        # The stock on hand rows are what the trace found (before activation moved it into quarantine):
        # a re-trace finds it in the quarantine locations of both warehouses.
        campaign.action_trace()
        expected = self._assert_scope(campaign)
        self.assertTrue(all(self.env["stock.location"].browse(key[2]).warehouse_id.quarantine_location_id.id == key[2]
                            for key in expected if key[0] == "on_hand"))
        # After activation: a return is retrieved by the recall, and a re-trace keeps it so.
        # (into quarantine: the recall refuses recalled units anywhere else while it is active).
        self._return(beans_2, [(self.lot_bad, 2)], self.warehouse_2.quarantine_location_id)
        campaign.action_trace()
        expected = self._assert_scope(campaign)
        self.assertEqual(expected["consignee", gamma.id, False, self.product_lot.id, self.lot_bad.id]["qty_retrieved"],
                         2.0)

    def test_two_manufacturing_levels(self):
        if "mrp.production" not in self.env:
            self.skipTest("mrp is not installed")
        self.env.user.groups_id += self.env.ref("mrp.group_mrp_user")
        cocoa = self.env["product.product"].create({"name": "Cocoa Mass", "is_storable": True, "tracking": "lot"})
        bar = self.env["product.product"].create({"name": "Chocolate Bar", "is_storable": True, "tracking": "lot"})
        box = self.env["product.product"].create({"name": "Gift Box", "is_storable": True, "tracking": "serial"})
        cocoa_bad, cocoa_ok = self._receive(cocoa, [("COCOA-BAD", 10), ("COCOA-OK", 10)])
        bar_1 = self._manufacture(bar, 8, "BAR-1", [(cocoa_bad, 4)])
        bar_2 = self._manufacture(bar, 5, "BAR-2", [(cocoa_ok, 5)])
        boxes = [self._manufacture(box, 1, f"BOX-{n}", [(bar_1, 2)]) for n in range(1, 3)]
        alpha, beta, gamma = self.customers
        self._deliver(alpha, bar, [(bar_1, 2), (bar_2, 3)])
        box_delivery = self._deliver(beta, box, [(boxes[0], 1), (boxes[1], 1)])
        self._deliver(gamma, bar, [(bar_2, 2)])
        self._return(box_delivery, [(boxes[1], 1)])
        campaign = self._campaign(product_ids=[Command.set(cocoa.ids)], lot_ids=[Command.set(cocoa_bad.ids)])
        campaign.action_trace()
        expected = self._assert_scope(campaign)
        # Two levels down: the boxes (depth 2) made of bars (depth 1) made of the bad cocoa; bar 2 is not in.
        self.assertEqual(expected["consignee", beta.id, False, box.id, boxes[0].id]["depth"], 2)
        self.assertFalse([key for key in expected if key[4] == bar_2.id])
        self.assertEqual(expected["supplier", self.supplier.id, False, cocoa.id, cocoa_bad.id]["qty_received"], 10)
        self.assertEqual(campaign.units_shipped, 2 + 1)
