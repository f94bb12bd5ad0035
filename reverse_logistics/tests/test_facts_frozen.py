from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestFactsFrozen(ReverseLogisticsCommon):
    """What a disposition was is stored when it runs: editing the disposition, the grade or the product's
    weight afterwards changes no past dashboard figure or ledger amount (the WEEE register's side:
    reverse_logistics_weee/tests/test_weee_facts_frozen.py)."""

    FRIDGE_KG = 50.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.station = cls.env["return.grading.station"]
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.grade_d = cls.env.ref("reverse_logistics.grade_d")
        cls.restock = cls.env.ref("reverse_logistics.disposition_restock")
        cls.recycle = cls.env.ref("reverse_logistics.disposition_recycle")
        cls.dispose = cls.env.ref("reverse_logistics.disposition_dispose")
        cls.fridge = cls._create_rl_product("Frozen Fridge", cost=200.0, price=400.0, weight=cls.FRIDGE_KG)
        cls.household = cls.env["res.partner"].create({"name": "Frozen Household", "is_company": False})
        cls.manager = new_test_user(
            cls.env, login="rl_frozen_manager", groups="base.group_user,reverse_logistics.group_return_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    def _takeback(self, qty):
        ret = self.env["return.order"].create({
            "partner_id": self.household.id, "company_id": self.company.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_takeback").id,
            "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"product_id": self.fridge.id, "product_uom_qty": qty,
                                         "reason_id": self.reason_defect.id})],
        })
        ret.action_submit()
        self._receive(ret.receipt_ids)
        return ret

    def _grade(self, ret, grade, qty, disposition):
        result = self.station.grade(ret.line_ids.id, grade.id, qty)
        grading = self.env["return.grading"].browse(result["grading_id"])
        grading.disposition_id = disposition
        grading.action_dispose()
        return grading

    def _dashboard(self):
        today = fields.Date.today()
        dash = self.env["return.metrics.dashboard"].create({
            "date_from": today - timedelta(days=30), "date_to": today, "company_id": self.company.id})
        return {name: dash[name] for name in (
            "return_to_stock_rate", "recovery_value", "recovery_rate", "disposal_cost_per_unit",
            "landfill_diversion_rate", "co2_avoided_kg")}

    def _ledger(self, ret, gradings):
        self.env.invalidate_all()
        return {
            "gradings": [(g.operation, g.environmental_outcome, g.weight, g.processing_cost,
                          g.recovery_value, g.net_recovery, g.co2_kg, g.landfill_weight) for g in gradings],
            "line": (ret.line_ids.processing_cost, ret.line_ids.recovery_value, ret.line_ids.net_recovery),
            "order": (ret.processing_cost, ret.recovery_value, ret.net_recovery),
        }

    def test_editing_dispositions_grades_and_weights_rewrites_no_history(self):
        self.recycle.write({"processing_cost": 4.0, "co2_factor": -1.5})
        self.dispose.write({"processing_cost": 10.0, "co2_factor": 0.5})
        ret = self._takeback(5)
        restocked = self._grade(ret, self.grade_a, 2, self.restock)
        recycled = self._grade(ret, self.grade_d, 2, self.recycle)
        disposed = self._grade(ret, self.grade_d, 1, self.dispose)
        gradings = restocked | recycled | disposed

        # The figures as computed here: 5 fridges of 50 kg collected, 2 restocked, 2 recycled, 1 disposed
        # of; CO2e: 2 x 50 x -1.5 recycled, 1 x 50 x 0.5 disposed (restock as its data says).
        self.assertAlmostEqual(recycled.co2_kg, 2 * self.FRIDGE_KG * -1.5)
        self.assertAlmostEqual(disposed.co2_kg, 1 * self.FRIDGE_KG * 0.5)
        self.assertAlmostEqual(recycled.processing_cost, 2 * 4.0)
        self.assertAlmostEqual(disposed.landfill_weight, self.FRIDGE_KG)
        self.assertEqual((recycled.operation, recycled.environmental_outcome), ("recycle", "recycled"))
        self.assertAlmostEqual(recycled.weight, 2 * self.FRIDGE_KG)
        dashboard = self._dashboard()
        ledger = self._ledger(ret, gradings)

        # After the fact: the dispositions change what they do and cost, the grades what they recover,
        # the product its weight.
        self.recycle.write({"operation": "dispose", "environmental_outcome": "landfill",
                            "processing_cost": 40.0, "co2_factor": 9.0, "recovery_share": 50.0})
        self.dispose.write({"environmental_outcome": "recycled", "processing_cost": 1.0, "co2_factor": -9.0})
        self.restock.write({"environmental_outcome": "landfill", "co2_factor": 3.0})
        self.grade_a.write({"recovery_rate": 10.0})
        self.grade_d.write({"sequence": 1, "code": "Z"})
        self.fridge.weight = 75.0

        self.assertEqual(self._dashboard(), dashboard, "the dashboard's figures are what they were")
        self.assertEqual(self._ledger(ret, gradings), ledger, "the ledger amounts are what they were")
        # The grade summary is a label, not a fact: it reads the grades' codes and order of today.
        self.assertEqual(ret.line_ids.grade_summary, f"3 Z, 2 {self.grade_a.code}")

        # What comes next follows the new configuration.
        ret_next = self._takeback(1)
        recycled_next = self._grade(ret_next, self.grade_d, 1, self.recycle)
        self.assertEqual((recycled_next.operation, recycled_next.environmental_outcome, recycled_next.weight),
                         ("dispose", "landfill", 75.0))
        self.assertAlmostEqual(recycled_next.co2_kg, 75.0 * 9.0)
