import base64
import io
from datetime import timedelta

import openpyxl

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import Form, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPackagingRegister(ReverseLogisticsCommon):
    """Crates (pooled, untracked) and kegs (serial-tracked) travel, come back and get lost; the register
    is checked cell by cell against figures counted here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("reverse_logistics_assets.group_asset_manager")
        cls.crate = cls._create_rl_product("Crate", cost=3.0, price=0.0, taxes_id=False)
        cls.crate_type = cls.env["returnable.asset.type"].create({
            "name": "Crate", "product_id": cls.crate.id, "company_id": cls.company.id,
            "replacement_price": 3.0})
        cls.keg = cls._create_rl_product("Keg", cost=90.0, price=0.0, tracking="serial", taxes_id=False)
        cls.keg_type = cls.env["returnable.asset.type"].create({
            "name": "Keg", "product_id": cls.keg.id, "company_id": cls.company.id})
        cls.manager = new_test_user(
            cls.env, login="rl_packaging_manager",
            groups="base.group_user,reverse_logistics_assets.group_asset_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    def _ship(self, product, qty):
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner.id,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id, "product_uom_qty": qty,
                "product_uom": product.uom_id.id, "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id})],
        })
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def _bring_back(self, asset_type, qty, lots=None):
        form = Form(self.env["returnable.asset.return"].with_context(default_partner_id=self.partner.id))
        with form.line_ids.new() as line:
            line.asset_type_id = asset_type
            if lots:
                line.lot_ids.set(lots)
            line.quantity = qty
        form.save().action_confirm()

    def _declare_lost(self, asset_type, qty):
        self.env["returnable.asset.loss"].create({
            "partner_id": self.partner.id, "asset_type_id": asset_type.id, "quantity": qty, "mode": "invoice",
        }).action_confirm()

    def _build_period(self):
        last_year = fields.Datetime.now() - timedelta(days=400)
        # Crates: 2 bought in; out 2, back 2, out 2 again, 1 lost at the customer.
        self._stock_in(self.crate, 2)
        crate_trips = self._ship(self.crate, 2)
        self._bring_back(self.crate_type, 2)
        crate_trips |= self._ship(self.crate, 2)
        self._declare_lost(self.crate_type, 1)
        # Kegs: two serials, first shipped last year (out of the period), back, then one goes out again.
        lots = self.env["stock.lot"]
        for name in ("KEG-1", "KEG-2"):
            lots |= self._stock_in(self.keg, 1, name)
        first = self._ship(self.keg, 2)
        first.move_ids.write({"date": last_year})
        first.move_ids.move_line_ids.write({"date": last_year})
        self._bring_back(self.keg_type, 2, lots=lots)
        keg_trip = self._ship(self.keg, 1)
        return crate_trips.move_ids, keg_trip.move_ids

    def test_register_every_cell(self):
        crate_moves, keg_moves = self._build_period()
        today = fields.Date.today()
        register = self.env["packaging.reuse.register"].with_user(self.manager).create({
            "company_id": self.company.id, "date_from": today - timedelta(days=30), "date_to": today})
        register.action_compute()
        lines = {line.asset_type_id: line for line in register.line_ids}
        # Crates: 4 trips, 2 units ever brought in, so 2 first placements and 2 re-uses; 1 lost, so
        # 1 crate in circulation made the 4 trips.
        # Kegs: 1 trip in the period by a keg first placed last year: a re-use; 1 keg travelled.
        expected = {
            self.crate_type: {"tracked": False, "trips": 4, "first_placed": 2, "reused": 2, "losses": 1,
                              "reuse_rate": 50.0, "average_rotations": 4 / (2 - 1)},
            self.keg_type: {"tracked": True, "trips": 1, "first_placed": 0, "reused": 1, "losses": 0,
                            "reuse_rate": 100.0, "average_rotations": 1.0},
        }
        self.assertEqual(set(lines), set(expected), "every asset type of the company, and only those")
        for asset_type, figures in expected.items():
            for name, value in figures.items():
                self.assertAlmostEqual(lines[asset_type][name], value, msg=f"{asset_type.name}: {name}")
        self.assertEqual(lines[self.crate_type].move_ids, crate_moves)
        self.assertEqual(lines[self.keg_type].move_ids, keg_moves)
        self.assertEqual(lines[self.crate_type].action_view_trips()["domain"], [("id", "in", crate_moves.ids)])

        # The whole history: the kegs' first trips count as first placements then.
        history = self.env["packaging.reuse.register"].with_user(self.manager).create({
            "company_id": self.company.id, "date_from": today - timedelta(days=800), "date_to": today})
        history.action_compute()
        kegs = history.line_ids.filtered(lambda line: line.asset_type_id == self.keg_type)
        self.assertEqual((kegs.trips, kegs.first_placed, kegs.reused), (3, 2, 1))
        self.assertAlmostEqual(kegs.average_rotations, 1.5)

        # xlsx opened again, and the PDF.
        register.action_export_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(register.xlsx_file))).active
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        columns = [name for name, _header in register._get_register_columns()]
        self.assertEqual(list(rows[0]), [header for _name, header in register._get_register_columns()])
        self.assertEqual(len(rows), 3)
        for row in rows[1:]:
            cells = dict(zip(columns, row, strict=True))
            asset_type = self.crate_type if cells["asset_type_id"] == "Crate" else self.keg_type
            for name, value in expected[asset_type].items():
                if name == "tracked":
                    self.assertEqual(cells[name], "Yes" if value else "No")
                else:
                    self.assertAlmostEqual(cells[name], value, msg=f"xlsx {asset_type.name}: {name}")
        pdf, _format = self.env["ir.actions.report"].with_user(self.manager).with_context(
            force_report_rendering=True)._render_qweb_pdf(
            "reverse_logistics_assets.action_report_packaging_reuse_register", register.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))

    def _register(self, days_from, days_to=0):
        today = fields.Date.today()
        register = self.env["packaging.reuse.register"].with_user(self.manager).create({
            "company_id": self.company.id, "date_from": today - timedelta(days=days_from),
            "date_to": today - timedelta(days=days_to)})
        register.action_compute()
        return {line.asset_type_id: line for line in register.line_ids}

    def _figures(self, line):
        return (line.trips, line.first_placed, line.reused, line.reuse_rate)

    def test_register_from_frozen_facts(self):
        """Pooled crates: 1 bought and 2 trips before the period (a first placement and a re-use), 2 more
        bought and 1 trip in it: that trip takes a crate never placed yet, so 1 first placement, 0 re-used
        (not 2 first placements for 1 trip and -1 re-used). Archiving the type or pointing it at another
        product later changes nothing in that period."""
        before = fields.Datetime.now() - timedelta(days=40)
        self._stock_in(self.crate, 1)
        earlier = self.env["stock.move"]
        for _trip in range(2):
            earlier |= self._ship(self.crate, 1).move_ids
            self._bring_back(self.crate_type, 1)
        earlier |= self.env["stock.move"].search([("product_id", "=", self.crate.id)])
        earlier.write({"date": before})
        earlier.move_line_ids.write({"date": before})
        self._stock_in(self.crate, 2)
        trip = self._ship(self.crate, 1).move_ids
        expected = (1, 1, 0, 0.0)
        line = self._register(30)[self.crate_type]
        self.assertEqual(self._figures(line), expected)
        self.assertEqual(line.move_ids, trip)
        history = self._register(60)[self.crate_type]
        self.assertEqual(self._figures(history), (3, 2, 1, round(100.0 / 3, 2)))
        for lines in (self._register(30), self._register(60)):
            for line in lines.values():
                self.assertGreaterEqual(min(line.trips, line.first_placed, line.reused, line.losses), 0)

        # The crate type pointed at another product, then archived: its past periods stay as they were.
        other_crate = self._create_rl_product("Crate (new model)", cost=4.0, price=0.0, taxes_id=False)
        self.crate_type.product_id = other_crate
        self.assertEqual(self._figures(self._register(30)[self.crate_type]), expected)
        self.crate_type.active = False
        lines = self._register(30)
        self.assertIn(self.crate_type, lines, "an archived type keeps its past line")
        self.assertEqual(self._figures(lines[self.crate_type]), expected)
        self.assertEqual(lines[self.crate_type].move_ids, trip)
        # A period it did not move in has no line for it once archived.
        self.assertNotIn(self.crate_type, self._register(400, 200))

    def test_trips_counted_in_each_lines_own_unit(self):
        """A dozen crates ordered, the clerk records the 12 crates in units on the line: 12 trips (the
        register converted the line's quantity from the move's unit: 144)."""
        self._stock_in(self.crate, 12)
        dozen, unit = self.env.ref("uom.product_uom_dozen"), self.env.ref("uom.product_uom_unit")
        picking = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.out_type_id.id, "partner_id": self.partner.id,
            "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id,
            "move_ids": [Command.create({
                "name": "crates", "product_id": self.crate.id, "product_uom_qty": 1, "product_uom": dozen.id,
                "location_id": self.stock_location.id, "location_dest_id": self.customer_location.id})],
        })
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.move_line_ids.write({"product_uom_id": unit.id, "quantity": 12})
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        line = self._register(30)[self.crate_type]
        self.assertEqual((line.trips, line.first_placed, line.reused), (12, 12, 0))
