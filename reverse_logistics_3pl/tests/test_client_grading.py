import psycopg2

from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import UserError, ValidationError
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestClientGrading(ReverseLogisticsHttpCase, ThirdPartyLogisticsCommon):
    """Brand A grades the same product with its own checklist and grade, and realizes its own value from
    restocking; brand B and the company's own units keep the general ones."""

    PRICE = 30.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        categ = cls.product.categ_id
        checklists = cls.env["return.grade.checklist"].with_user(cls.manager)
        cls.general_checklist = checklists.create({"name": "General checks", "categ_ids": [(4, categ.id)]})
        cls.general_question = cls.env["return.grade.question"].create({
            "checklist_id": cls.general_checklist.id, "name": "Powers on"})
        cls.brand_checklist = checklists.create({
            "name": "Alpine checks", "categ_ids": [(4, categ.id)], "client_id": cls.brand_a.id})
        cls.brand_question = cls.env["return.grade.question"].create({
            "checklist_id": cls.brand_checklist.id, "name": "Alpine seal intact"})
        # Brand A's own "A" beside the general A: same code, its own recovery rate.
        cls.brand_grade = cls.env["return.grade"].with_user(cls.manager).create({
            "name": "Alpine mint", "code": cls.grade_a.code, "client_id": cls.brand_a.id, "recovery_rate": 90.0})
        cls.terms = cls.env["return.client.disposition"].with_user(cls.manager).create({
            "client_id": cls.brand_a.id, "disposition_id": cls.restock.id, "recovery_share": 80.0,
            "processing_cost": 2.5})

    def setUp(self):
        super().setUp()
        self.ret_a = self._client_return(self.brand_a, self.shopper_a, 3, price=self.PRICE)
        self._receive(self.ret_a.receipt_ids.with_user(self.clerk))
        self.ret_b = self._client_return(self.brand_b, self.shopper_b, 3, price=self.PRICE)
        self._receive(self.ret_b.receipt_ids.with_user(self.clerk))

    def _payload(self, ret):
        return self.station.with_user(self.clerk).scan(ret.name)

    def _rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def test_each_brand_gets_its_checklist(self):
        payload_a, payload_b = self._payload(self.ret_a), self._payload(self.ret_b)
        self.assertEqual([q["id"] for q in payload_a["questions"]], self.brand_question.ids)
        self.assertEqual([q["id"] for q in payload_b["questions"]], self.general_question.ids,
                         "never another brand's checklist")
        result = self.station.with_user(self.clerk).grade(
            self.ret_a.line_ids.id, self.brand_grade.id, 1, passed_question_ids=self.brand_question.ids)
        grading = self.env["return.grading"].browse(result["grading_id"])
        self.assertEqual(grading.checklist_id, self.brand_checklist)
        self.assertEqual(grading.answer_ids.question_id, self.brand_question)
        self.assertEqual(grading.score, 100.0)
        # The company's own goods: the general checklist, never a brand's.
        own = self._client_return(self.env["res.partner"], self.shopper_a, 1, price=self.PRICE)
        self._receive(own.receipt_ids)
        self.assertEqual([q["id"] for q in self._payload(own)["questions"]], self.general_question.ids)

    def test_brand_grades_only_for_its_goods(self):
        self.assertIn(self.brand_grade.id, self._payload(self.ret_a)["grade_ids"])
        self.assertIn(self.grade_a.id, self._payload(self.ret_a)["grade_ids"], "general grades stay")
        self.assertNotIn(self.brand_grade.id, self._payload(self.ret_b)["grade_ids"])
        with self.assertRaisesRegex(ValidationError, "grades that brand's goods only"):
            self.station.with_user(self.clerk).grade(self.ret_b.line_ids.id, self.brand_grade.id, 1)
        grading_b = self._grade_as_clerk(self.ret_b, self.grade_a, 1, self.restock)
        with self.assertRaisesRegex(ValidationError, "grades that brand's goods only"):
            grading_b.grade_id = self.brand_grade
        self.authenticate("tpl_clerk", "tpl_clerk")
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "write", grading_b.ids, {"grade_id": self.brand_grade.id})
        self.assertEqual(grading_b.grade_id, self.grade_a)
        # Two grades of one brand (or two general ones) still never share a code.
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["return.grade"].create({"name": "Dup", "code": self.grade_a.code, "client_id": self.brand_a.id})
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["return.grade"].create({"name": "Dup", "code": self.grade_a.code})

    def test_recovery_from_the_brands_terms_frozen(self):
        grading_a = self._grade_as_clerk(self.ret_a, self.brand_grade, 2, self.restock)
        grading_b = self._grade_as_clerk(self.ret_b, self.grade_a, 2, self.restock)
        (grading_a | grading_b).action_dispose()
        expected_a = 2 * self.PRICE * 90.0 / 100 * 80.0 / 100
        self.assertAlmostEqual(grading_a.recovery_value, expected_a)
        self.assertAlmostEqual(grading_a.processing_cost, 2 * 2.5)
        expected_b = 2 * self.PRICE * self.grade_a.recovery_rate / 100 * self.restock.recovery_share / 100
        self.assertAlmostEqual(grading_b.recovery_value, expected_b)
        self.assertAlmostEqual(grading_b.processing_cost, 2 * self.restock.processing_cost)
        # Terms changed afterwards rewrite no history.
        self.terms.with_user(self.manager).write({"recovery_share": 10.0, "processing_cost": 9.0})
        self.env.invalidate_all()
        self.assertAlmostEqual(grading_a.recovery_value, expected_a)
        self.assertAlmostEqual(grading_a.processing_cost, 2 * 2.5)

    def test_terms_are_the_managers(self):
        with self.assertRaises(UserError):  # AccessError
            self.terms.with_user(self.clerk).write({"recovery_share": 100.0})
        # As a client sends them (write, as JSON-RPC does).
        for bad in (-1.0, 101.0, float("nan"), 1e308, "nan"):
            with self.assertRaises(UserError, msg=bad):
                self.terms.with_user(self.manager).write({"recovery_share": bad})
        with self.assertRaises(UserError):
            self.terms.with_user(self.manager).write({"processing_cost": -1.0})
        self.assertEqual(self.terms.recovery_share, 80.0)
