from datetime import timedelta

from odoo import Command, fields
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWeeeFactsFrozen(ReverseLogisticsCommon):
    """The WEEE side of the facts frozen when a disposition runs (the core's side: reverse_logistics'
    test_facts_frozen.py): editing the dispositions' treatments or the product's weight afterwards
    changes no past register; what comes next follows the new configuration."""

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
        cls.fridge = cls._create_rl_product("Frozen Fridge", cost=200.0, price=400.0, weee_category="1",
                                            weight=cls.FRIDGE_KG)
        cls.household = cls.env["res.partner"].create({"name": "Frozen Household", "is_company": False})
        cls.manager = new_test_user(
            cls.env, login="rl_frozen_weee_manager",
            groups="base.group_user,reverse_logistics.group_return_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.clerk = new_test_user(
            cls.env, login="rl_frozen_weee_clerk",
            groups="base.group_user,stock.group_stock_user,reverse_logistics.group_return_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    def _takeback(self, qty):
        ret = self.env["return.order"].create({
            "partner_id": self.household.id,
            "return_type_id": self.env.ref("reverse_logistics.return_type_takeback").id, "company_id": self.company.id,
            "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({"product_id": self.fridge.id, "product_uom_qty": qty,
                                         "reason_id": self.reason_defect.id})],
        })
        ret.action_submit()
        self._receive(ret.receipt_ids)
        return ret

    def _grade(self, ret, grade, qty, disposition):
        """Graded and dispositioned by the clerk, as at the station."""
        result = self.station.with_user(self.clerk).grade(ret.line_ids.id, grade.id, qty)
        grading = self.env["return.grading"].with_user(self.clerk).browse(result["grading_id"])
        grading.disposition_id = disposition
        grading.action_dispose()
        return grading.with_user(self.env.user)

    def _register(self):
        today = fields.Date.today()
        register = self.env["weee.register"].with_user(self.manager).create({
            "company_id": self.company.id, "date_from": today - timedelta(days=30), "date_to": today,
        })
        register.action_compute()
        line = register.line_ids.filtered(lambda ln: ln.weee_category == "1")
        return {name: line[name] for name in (
            "units_household", "kg_household", "kg_collected", "kg_reuse", "kg_recycling", "kg_recovery",
            "kg_disposal", "kg_treated", "recovery_rate", "recycling_rate")}

    def test_editing_treatments_and_weights_rewrites_no_register(self):
        ret = self._takeback(5)
        self.assertAlmostEqual(ret.receipt_ids.move_ids.return_weight, 5 * self.FRIDGE_KG)
        restocked = self._grade(ret, self.grade_a, 2, self.restock)
        recycled = self._grade(ret, self.grade_d, 2, self.recycle)
        disposed = self._grade(ret, self.grade_d, 1, self.dispose)
        self.assertEqual((restocked | recycled | disposed).mapped("weee_treatment"),
                         ["reuse", "recycling", "disposal"])
        self.assertEqual((recycled.operation, recycled.environmental_outcome, recycled.weee_treatment),
                         ("recycle", "recycled", "recycling"))

        # The figures as computed here: 5 fridges of 50 kg collected, 2 restocked (re-use), 2 recycled,
        # 1 disposed of.
        register = self._register()
        self.assertEqual(register["units_household"], 5)
        self.assertAlmostEqual(register["kg_collected"], 5 * self.FRIDGE_KG)
        self.assertAlmostEqual(register["kg_reuse"], 2 * self.FRIDGE_KG)
        self.assertAlmostEqual(register["kg_recycling"], 2 * self.FRIDGE_KG)
        self.assertAlmostEqual(register["kg_disposal"], 1 * self.FRIDGE_KG)
        self.assertAlmostEqual(register["kg_treated"], 5 * self.FRIDGE_KG)
        self.assertAlmostEqual(register["recycling_rate"], 80.0)

        # After the fact: the dispositions change what they do and how the register reports them, the
        # product its weight.
        self.recycle.write({"operation": "dispose", "environmental_outcome": "landfill", "weee_treatment": "disposal"})
        self.dispose.write({"environmental_outcome": "recycled", "weee_treatment": "recovery"})
        self.fridge.weight = 75.0
        self.assertEqual(self._register(), register, "the WEEE register of the period is what it was")

        # What comes next follows the new configuration.
        ret_next = self._takeback(1)
        self.assertAlmostEqual(ret_next.receipt_ids.move_ids.return_weight, 75.0)
        recycled_next = self._grade(ret_next, self.grade_d, 1, self.recycle)
        self.assertEqual((recycled_next.operation, recycled_next.weee_treatment, recycled_next.weight),
                         ("dispose", "disposal", 75.0))

    def test_unflagging_the_type_rewrites_no_register(self):
        """The take-back flag of a return is the type's when the return was made: a manager who later
        turns the type's flag off (or on for another type) changes no past register."""
        self._grade(self._takeback(3), self.grade_d, 3, self.recycle)
        register = self._register()
        self.assertEqual(register["units_household"], 3)
        takeback = self.env.ref("reverse_logistics.return_type_takeback").with_user(self.manager)
        takeback.weee_takeback = False
        self.assertEqual(self._register(), register, "the WEEE register of the period is what it was")
        # The next take-back of that type is no WEEE collection any more.
        ret_next = self._takeback(1)
        self.assertFalse(ret_next.is_weee_takeback)
        self.assertEqual(self._register(), register)

    def test_frozen_treatment_is_the_flows(self):
        """A clerk who may write gradings cannot rewrite the treatment they went through (over JSON-RPC
        as through the form), nor give one at creation, not even as a context default."""
        ret = self._takeback(2)
        recycled = self._grade(ret, self.grade_d, 1, self.recycle)
        with self.assertRaises(UserError) as refused:
            recycled.with_user(self.clerk).write({"weee_treatment": "reuse"})
        self.assertIn("WEEE Treatment", str(refused.exception))
        with self.assertRaises(UserError):
            self.env["return.grading"].with_user(self.clerk).create({
                "line_id": ret.line_ids.id, "grade_id": self.grade_a.id, "quantity": 1,
                "weee_treatment": "reuse",
            })
        forged = self.env["return.grading"].with_user(self.clerk).with_context(
            default_weee_treatment="reuse").create({
                "line_id": ret.line_ids.id, "grade_id": self.grade_a.id, "quantity": 1})
        self.assertFalse(forged.weee_treatment)
        self.assertEqual(recycled.weee_treatment, "recycling")
