from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_kit_returns import KitCommon


@tagged("post_install", "-at_install")
class TestKitGrading(KitCommon):
    """A returned kit is graded and dispositioned as the components triage holds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.station = cls.env["return.grading.station"]
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.grade_d = cls.env.ref("reverse_logistics.grade_d")

    def _returned_kit(self, kits=1):
        order = self._sell_kits(kits)
        self._invoice(order)
        ret = self._return_as(self.clerk, order)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk))
        return ret

    def test_station_grades_components(self):
        ret = self._returned_kit()
        line = ret.line_ids
        self.assertEqual((line.qty_received, line.qty_to_grade, line.qty_graded), (1, 1, 0))
        self.assertEqual(ret.disposition_status, "to_grade")
        station = self.station.with_user(self.clerk)
        seen = {}
        while True:
            unit = station.scan(ret.name)
            if "error" in unit:
                break
            self.assertEqual(unit["line_id"], line.id)
            seen[unit["product"]] = unit["qty_pending"]
            grade = self.grade_a if unit["product_id"] == self.cup.id else self.grade_d
            station.grade(line.id, grade.id, unit["qty_pending"], product_id=unit["product_id"])
        self.assertEqual(seen, {"Cup": 2.0, "Machine": 1.0})
        gradings = ret.grading_ids
        self.assertEqual(sorted((g.product_id.name, g.quantity) for g in gradings), [("Cup", 2.0), ("Machine", 1.0)])
        self.assertEqual((line.qty_graded, line.qty_to_grade, line.qty_dispositioned), (1, 0, 0))
        self.assertEqual(ret.disposition_status, "to_dispose")
        # The kit's untaxed price is shared by the components' costs (2 x 5.00 and 60.00).
        # Unit values are in the company currency, rounded per unit.
        cup_grading = gradings.filtered(lambda g: g.product_id == self.cup)
        machine_grading = gradings - cup_grading
        self.assertAlmostEqual(cup_grading.unit_value, round(200.0 * (2 * 5.0) / 70.0 / 2, 2))
        self.assertAlmostEqual(machine_grading.unit_value, round(200.0 * 60.0 / 70.0, 2))

        ret.with_user(self.clerk).action_dispose()
        self.assertEqual(line.qty_dispositioned, 1)
        self.assertEqual(ret.disposition_status, "processed")
        self.assertEqual(self._quant_qty(self.cup, self.triage_location), 0)
        self.assertEqual(self._quant_qty(self.machine, self.triage_location), 0)
        self.assertTrue(all(g.state == "done" for g in gradings))

    def test_components_graded_up_to_what_was_received(self):
        ret = self._returned_kit()
        line = ret.line_ids
        with self.assertRaisesRegex(ValidationError, "3.0 graded but only 2.0 received"):
            self.station.grade(line.id, self.grade_a.id, 3, product_id=self.cup.id)
        with self.assertRaisesRegex(ValidationError, "not what"):
            self.station.grade(line.id, self.grade_a.id, 1, product_id=self.product.id)
        # A partial grading leaves the kit to grade.
        self.station.grade(line.id, self.grade_a.id, 2, product_id=self.cup.id)
        self.assertEqual((line.qty_graded, line.qty_to_grade), (0, 1))

    def test_incomplete_kit_components_are_graded_too(self):
        order = self._sell_kits(2)
        self._invoice(order)
        ret = self._return_as(self.clerk, order)
        ret.action_submit()
        self._receive(ret.receipt_ids.with_user(self.clerk), {self.machine: 1})
        ret.with_user(self.returns_manager).action_close_receipt()
        line = ret.line_ids
        self.assertEqual(line._get_gradable_quantities(), {self.cup: 4.0, self.machine: 1.0})
        self.assertEqual(line.qty_to_grade, 2, "the cups of the incomplete kit wait too")
        self.station.grade(line.id, self.grade_a.id, 4, product_id=self.cup.id)
        self.station.grade(line.id, self.grade_a.id, 1, product_id=self.machine.id)
        self.assertEqual(line.qty_to_grade, 0)
        ret.action_dispose()
        self.assertEqual(ret.disposition_status, "processed")
        self.assertEqual(self._quant_qty(self.cup, self.triage_location), 0)
