import base64
import io
from datetime import timedelta

import openpyxl

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models.product_template import WEEE_CATEGORIES


@tagged("post_install", "-at_install")
class TestWeeeRegister(ReverseLogisticsCommon):
    """A period of take-backs from a household and a business, graded and treated (with a regrade and a
    cancelled refurbishment), and the register checked cell by cell against figures computed here."""

    FRIDGE_KG = 50.0
    PHONE_KG = 0.2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.station = cls.env["return.grading.station"]
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.grade_b = cls.env.ref("reverse_logistics.grade_b")
        cls.grade_d = cls.env.ref("reverse_logistics.grade_d")
        cls.restock = cls.env.ref("reverse_logistics.disposition_restock")
        cls.refurbish = cls.env.ref("reverse_logistics.disposition_refurbish")
        cls.recycle = cls.env.ref("reverse_logistics.disposition_recycle")
        cls.dispose = cls.env.ref("reverse_logistics.disposition_dispose")
        cls.fridge = cls._create_rl_product("Fridge", cost=200.0, price=400.0, weee_category="1",
                                            weight=cls.FRIDGE_KG)
        cls.phone = cls._create_rl_product("Phone", cost=50.0, price=120.0, weee_category="6",
                                           weight=cls.PHONE_KG)
        # Energy recovery: scrapped, yet recovered (Annex V's "otherwise recovered").
        cls.energy_recovery = cls.env["return.disposition"].create({
            "name": "Energy recovery", "operation": "dispose", "weee_treatment": "recovery",
            "environmental_outcome": "recycled",
        })
        cls.household = cls.env["res.partner"].create({"name": "Jane Doe", "is_company": False})
        cls.business = cls.env["res.partner"].create({"name": "Acme Offices", "is_company": True})
        cls.manager = new_test_user(
            cls.env, login="rl_weee_manager", groups="base.group_user,reverse_logistics.group_return_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    # ------------------------------------------------------------------
    # Helpers: the work as the warehouse does it (setup runs as the superuser)
    # ------------------------------------------------------------------
    def _takeback(self, partner, qty_by_product):
        ret = self.env["return.order"].create({
            "partner_id": partner.id,

            "return_type_id": self.env.ref("reverse_logistics.return_type_takeback").id,
            "company_id": self.company.id,
            "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"product_id": product.id, "product_uom_qty": qty,
                                         "reason_id": self.reason_defect.id})
                         for product, qty in qty_by_product.items()],
        })
        ret.action_submit()
        self.assertEqual(ret.state, "approved", "a take-back carries no money: the policy approves it")
        self._receive(ret.receipt_ids)
        return ret

    def _grade(self, ret, product, grade, qty, disposition):
        line = ret.line_ids.filtered(lambda line: line.product_id == product)
        result = self.station.grade(line.id, grade.id, qty)
        grading = self.env["return.grading"].browse(result["grading_id"])
        grading.disposition_id = disposition
        grading.action_dispose()
        return grading

    def _build_period(self):
        ret_home = self._takeback(self.household, {self.fridge: 3, self.phone: 10})
        ret_office = self._takeback(self.business, {self.fridge: 2, self.phone: 5})
        # Collected last year: out of the period.
        ret_old = self._takeback(self.business, {self.fridge: 1})
        ret_old.receipt_ids.move_ids.write({"date": fields.Datetime.now() - timedelta(days=400)})
        # A customer return of a fridge is no take-back: never in the register.
        self._stock_in(self.fridge, 1)
        sale, _delivery, _invoice = self._sell([(self.fridge, 1, 400.0, 0.0)])
        customer_return = self._new_return(sale, qty=1)
        customer_return.action_submit()
        self._receive(customer_return.receipt_ids)
        line = customer_return.line_ids
        grading = self.env["return.grading"].browse(self.station.grade(line.id, self.grade_d.id, 1)["grading_id"])
        grading.disposition_id = self.recycle
        grading.action_dispose()

        # Household fridges: 2 restocked then regraded (counted once), 1 recycled.
        restocked = self._grade(ret_home, self.fridge, self.grade_a, 2, self.restock)
        self.assertEqual(restocked.state, "done")
        regrade = restocked.action_regrade(self.grade_b)
        self.assertEqual(regrade.previous_grading_id, restocked)
        recycled_fridge = self._grade(ret_home, self.fridge, self.grade_d, 1, self.recycle)
        # Household phones: 6 recycled; 4 sent to refurbishment, then the repair is cancelled.
        recycled_phones = self._grade(ret_home, self.phone, self.grade_d, 6, self.recycle)
        refurbishing = self._grade(ret_home, self.phone, self.grade_b, 4, self.refurbish)
        refurbishing.repair_id.action_repair_cancel()
        self.assertEqual(refurbishing.state, "graded")
        # Business: 2 fridges disposed of, 4 phones restocked, 1 sent to energy recovery.
        disposed = self._grade(ret_office, self.fridge, self.grade_d, 2, self.dispose)
        restocked_phones = self._grade(ret_office, self.phone, self.grade_a, 4, self.restock)
        recovered_phone = self._grade(ret_office, self.phone, self.grade_d, 1, self.energy_recovery)
        # The old take-back is treated now: treated in the period, though collected before it.
        old_recycled = self._grade(ret_old, self.fridge, self.grade_d, 1, self.recycle)
        return {
            "returns": ret_home | ret_office,
            "fridge_gradings": restocked | recycled_fridge | disposed | old_recycled,
            "phone_gradings": recycled_phones | restocked_phones | recovered_phone,
        }

    def _register(self):
        today = fields.Date.today()
        register = self.env["weee.register"].with_user(self.manager).create({
            "company_id": self.company.id, "date_from": today - timedelta(days=30), "date_to": today,
        })
        register.action_compute()
        return register

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_takeback_has_no_refund_fee_or_window(self):
        ret = self._takeback(self.household, {self.fridge: 1})
        self.assertEqual(ret.resolution, "none")
        self.assertEqual(ret.weee_source, "household")
        self.assertFalse(ret.line_ids.restocking_fee_percent)
        self.assertFalse(ret.credit_note_ids)
        self.assertEqual(self._takeback(self.business, {self.phone: 1}).weee_source, "business")
        # A take-back is never a refund, whatever the guard lets a clerk write on it.
        clerk = new_test_user(
            self.env, login="rl_weee_clerk", groups="base.group_user,stock.group_stock_user,"
            "reverse_logistics.group_return_user",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)],
        )
        draft = self.env["return.order"].with_user(clerk).create({
            "partner_id": self.household.id, "resolution": "refund",

            "return_type_id": self.env.ref("reverse_logistics.return_type_takeback").id,
            "warehouse_id": self.warehouse.id, "weee_source": "business",
            "line_ids": [Command.create({"product_id": self.phone.id, "product_uom_qty": 1})],
        })
        self.assertEqual((draft.resolution, draft.weee_source), ("none", "business"))
        with self.assertRaises(ValidationError):
            draft.resolution = "refund"

    def test_source_fixed_once_submitted(self):
        """The register counts a take-back by its source: a clerk sets it on the draft, nobody changes it
        once the return is submitted (refused by name, not dropped), not even the manager."""
        clerk = new_test_user(
            self.env, login="rl_weee_source_clerk", groups="base.group_user,stock.group_stock_user,"
            "reverse_logistics.group_return_user",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)],
        )
        draft = self.env["return.order"].with_user(clerk).create({
            "partner_id": self.business.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_takeback").id,
            "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"product_id": self.phone.id, "product_uom_qty": 1})],
        })
        self.assertEqual(draft.weee_source, "business")
        draft.weee_source = "household"
        draft.action_submit()
        self.assertEqual(draft.state, "approved")
        for user in (clerk, self.manager):
            with self.assertRaises(UserError) as refused:
                draft.with_user(user).write({"weee_source": "business"})
            self.assertIn("WEEE Source", str(refused.exception))
        self.assertEqual(draft.weee_source, "household")

    def test_register_every_cell(self):
        records = self._build_period()
        register = self._register()
        fridge, phone = self.FRIDGE_KG, self.PHONE_KG
        # Figures computed by hand from the period built above.
        fridge_treated = {"reuse": 2 * fridge, "recycling": 1 * fridge + 1 * fridge, "recovery": 0.0,
                          "disposal": 2 * fridge}
        phone_treated = {"reuse": 4 * phone, "recycling": 6 * phone, "recovery": 1 * phone, "disposal": 0.0}
        expected = {code: {
            "units_household": 0.0, "units_business": 0.0, "kg_household": 0.0, "kg_business": 0.0,
            "kg_collected": 0.0, "kg_reuse": 0.0, "kg_recycling": 0.0, "kg_recovery": 0.0, "kg_disposal": 0.0,
            "kg_treated": 0.0, "recovery_rate": 0.0, "recycling_rate": 0.0, "targets_met": False,
        } for code, _label in WEEE_CATEGORIES}
        for code, (units_home, units_office, kg, treated) in {
            "1": (3, 2, fridge, fridge_treated), "6": (10, 5, phone, phone_treated),
        }.items():
            total = sum(treated.values())
            recovered = treated["reuse"] + treated["recycling"] + treated["recovery"]
            recycled = treated["reuse"] + treated["recycling"]
            expected[code].update({
                "units_household": units_home, "units_business": units_office,
                "kg_household": units_home * kg, "kg_business": units_office * kg,
                "kg_collected": (units_home + units_office) * kg,
                **{f"kg_{name}": value for name, value in treated.items()},
                "kg_treated": total,
                # Rates are kept to two decimals, as shown.
                "recovery_rate": round(100.0 * recovered / total, 2),
                "recycling_rate": round(100.0 * recycled / total, 2),
            })
        # Fridges: 200 of 300 kg treated were re-used or recycled (66.7 %, under both targets).
        self.assertEqual(expected["1"]["recovery_rate"], 66.67)
        # Phones: all 2.2 kg recovered, 2.0 kg of them re-used or recycled (90.91 %): both targets met.
        self.assertEqual((expected["6"]["recovery_rate"], expected["6"]["recycling_rate"]), (100.0, 90.91))
        expected["6"]["targets_met"] = True
        targets = {"1": (85, 80), "2": (80, 70), "3": (0, 80), "4": (85, 80), "5": (75, 55), "6": (75, 55)}
        self.assertEqual(register.line_ids.mapped("weee_category"), [code for code, _label in WEEE_CATEGORIES])
        for line in register.line_ids:
            code = line.weee_category
            for name, value in expected[code].items():
                if isinstance(value, bool):
                    self.assertEqual(line[name], value, f"category {code}: {name}")
                else:
                    self.assertAlmostEqual(line[name], value, places=4, msg=f"category {code}: {name}")
            self.assertEqual((line.recovery_target, line.recycling_target), targets[code])

        # Drill-down: the returns and the treated units behind the figures.
        fridges = register.line_ids.filtered(lambda line: line.weee_category == "1")
        action = fridges.action_view_returns()
        self.assertEqual(self.env["return.order"].with_user(self.manager).search(action["domain"]),
                         records["returns"])
        action = fridges.action_view_gradings()
        self.assertEqual(set(action["domain"][0][2]), set(records["fridge_gradings"].ids))
        self.assertEqual(self.env["return.grading"].with_user(self.manager).search(action["domain"]),
                         records["fridge_gradings"])
        phones = register.line_ids.filtered(lambda line: line.weee_category == "6")
        self.assertEqual(set(phones.action_view_gradings()["domain"][0][2]), set(records["phone_gradings"].ids))

        # Recomputed from the records: a second computation gives the same figures, never more.
        register.action_compute()
        self.assertAlmostEqual(sum(register.line_ids.mapped("kg_treated")), 300.0 + 2.2, places=4)
        self.assertEqual(len(register.line_ids), 6)

        # The xlsx, opened again: a header row, then the six categories with the same figures.
        action = register.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(register.xlsx_file)))
        sheet = workbook.active
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        columns = register._get_register_columns()
        self.assertEqual(list(rows[0]), [header for _name, header in columns])
        self.assertEqual(len(rows), 7)
        labels = dict(WEEE_CATEGORIES)
        for row, (code, _label) in zip(rows[1:], WEEE_CATEGORIES, strict=True):
            cells = dict(zip([name for name, _header in columns], row, strict=True))
            self.assertEqual(cells["weee_category"], labels[code])
            for name, value in expected[code].items():
                if isinstance(value, bool):
                    self.assertEqual(cells[name], "Yes" if value else "No")
                else:
                    self.assertAlmostEqual(cells[name], value, places=4, msg=f"xlsx {code}: {name}")
        self.assertTrue(sheet.auto_filter.ref, "sortable: the rows sit under an autofilter")

        # The PDF.
        pdf, _format = self.env["ir.actions.report"].with_user(self.manager).with_context(
            force_report_rendering=True)._render_qweb_pdf("reverse_logistics_weee.action_report_weee_register",
                                                          register.ids)
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_register_of_another_company_is_refused(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        register = self.env["weee.register"].with_user(self.manager).create({"company_id": self.company.id})
        register.sudo().company_id = other
        with self.assertRaises(AccessError):
            register.action_compute()
