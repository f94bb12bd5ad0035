from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestClientRules(ThirdPartyLogisticsCommon):
    """Each brand's policy and disposition rules decide its own returns; the company's own returns keep
    the company's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_policy = cls.env["return.policy"]._get_default_policy(cls.company)
        cls.company_policy.window_days = 30
        policies = cls.env["return.policy"].with_user(cls.manager)
        cls.policy_a = policies.create({
            "name": "Alpine Brews terms", "client_id": cls.brand_a.id, "is_default": True, "window_days": 14,
            "auto_approve": True,
        })
        cls.policy_b = policies.create({
            "name": "Bold Roasters terms", "client_id": cls.brand_b.id, "is_default": True, "window_days": 60,
            "auto_approve": True, "non_returnable_product_ids": [(4, cls.product_serial.product_tmpl_id.id)],
        })
        rules = cls.env["return.disposition.rule"].with_user(cls.manager)
        # The company's rule comes first by sequence: the brands' own rules are still tried before it.
        cls.rule_company = rules.create({
            "name": "Company: repackage espresso", "sequence": 1, "company_id": cls.company.id,
            "product_ids": [(4, cls.product.id)], "mode": "fixed", "disposition_id": cls.repackage.id,
        })
        cls.rule_a = rules.create({
            "name": "Alpine: restock espresso worth 20 or more", "sequence": 5, "company_id": cls.company.id,
            "client_id": cls.brand_a.id, "product_ids": [(4, cls.product.id)], "min_unit_value": 20.0,
            "mode": "fixed", "disposition_id": cls.restock.id,
        })
        cls.rule_b = rules.create({
            "name": "Bold: send espresso back", "sequence": 5, "company_id": cls.company.id,
            "client_id": cls.brand_b.id, "product_ids": [(4, cls.product.id)], "mode": "fixed",
            "disposition_id": cls.rtv.id,
        })

    def _decide(self, ret, qty):
        line = ret.line_ids[0]
        result = self.station.with_user(self.clerk).grade(line.id, self.grade_a.id, qty)
        grading = self.env["return.grading"].with_user(self.clerk).browse(result["grading_id"])
        grading.disposition_id = False
        grading.action_decide()
        return grading

    def test_each_return_takes_its_brands_policy(self):
        ret_a = self._client_return(self.brand_a, self.shopper_a, 1)
        ret_b = self._client_return(self.brand_b, self.shopper_b, 1)
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        own = self._new_return(sale, qty=1)
        self.assertEqual(ret_a.policy_id, self.policy_a)
        self.assertEqual(ret_a.policy_id.window_days, 14)
        self.assertEqual(ret_b.policy_id, self.policy_b)
        self.assertEqual(ret_b.policy_id.window_days, 60)
        self.assertEqual(own.policy_id, self.company_policy, "the company's own return keeps the company's")
        self.assertEqual(self.env["return.policy"]._get_default_policy(self.company), self.company_policy,
                         "a brand's default is never the company's default")

    def test_brand_without_policy_takes_the_company_policy(self):
        self.policy_b.client_id = False
        self.policy_b.is_default = False
        ret_b = self._client_return(self.brand_b, self.shopper_b, 1)
        self.assertEqual(ret_b.policy_id, self.company_policy)

    def test_what_is_returnable_is_the_brands(self):
        """The serial product is non-returnable for Bold Roasters only."""
        self._stock_in_owned(self.product_serial, 1, self.brand_b)
        ret_b = self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.shopper_b.id, "client_id": self.brand_b.id, "warehouse_id": self.warehouse.id,
            "line_ids": [(0, 0, {"product_id": self.product_serial.id, "product_uom_qty": 1,
                                 "reason_id": self.reason_unwanted.id})],
        })
        self.assertIn(self.product_serial.display_name, ret_b.policy_problems or "")
        ret_a = self.env["return.order"].with_user(self.clerk).create({
            "partner_id": self.shopper_a.id, "client_id": self.brand_a.id, "warehouse_id": self.warehouse.id,
            "line_ids": [(0, 0, {"product_id": self.product_serial.id, "product_uom_qty": 1,
                                 "reason_id": self.reason_unwanted.id})],
        })
        self.assertNotIn(self.product_serial.display_name, ret_a.policy_problems or "")

    def test_one_default_per_brand(self):
        with self.assertRaises(ValidationError):
            self.env["return.policy"].with_user(self.manager).create({
                "name": "Alpine again", "client_id": self.brand_a.id, "is_default": True})

    def test_never_another_brands_policy(self):
        ret_a = self._client_return(self.brand_a, self.shopper_a, 1)
        with self.assertRaises(UserError):
            ret_a.sudo().policy_id = self.policy_b
        sale, _delivery, _invoice = self._sell([(self.product, 1, 100.0, 0.0)])
        own = self._new_return(sale, qty=1)
        with self.assertRaises(UserError):
            own.sudo().policy_id = self.policy_a

    def test_each_return_gets_its_brands_rule(self):
        ret_a = self._client_return(self.brand_a, self.shopper_a, 2, price=30.0)
        ret_b = self._client_return(self.brand_b, self.shopper_b, 2, price=30.0)
        self._receive(ret_a.receipt_ids.with_user(self.clerk))
        self._receive(ret_b.receipt_ids.with_user(self.clerk))
        grading_a = self._decide(ret_a, 2)
        grading_b = self._decide(ret_b, 2)
        self.assertEqual(grading_a.disposition_rule_id, self.rule_a)
        self.assertEqual(grading_a.disposition_id, self.restock)
        self.assertEqual(grading_b.disposition_rule_id, self.rule_b)
        self.assertEqual(grading_b.disposition_id, self.rtv)
        (grading_a | grading_b).action_dispose()
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_a), 6 + 2)
        self.assertEqual(self._owned_qty(self.product, self.stock_location, self.brand_b), 4)
        self.assertEqual(grading_b.move_ids.picking_id.partner_id, self.brand_b)

    def test_brand_rule_recovery_value_band(self):
        """Below the value Alpine Brews restocks from, its units fall through to the general rule."""
        ret_a = self._client_return(self.brand_a, self.shopper_a, 1, price=10.0)
        self._receive(ret_a.receipt_ids.with_user(self.clerk))
        grading = self._decide(ret_a, 1)
        self.assertEqual(grading.unit_value, 10.0)
        self.assertEqual(grading.disposition_rule_id, self.rule_company)
        self.assertEqual(grading.disposition_id, self.repackage)

    def test_company_return_keeps_the_company_rule(self):
        sale, _delivery, _invoice = self._sell([(self.product, 2, 100.0, 0.0)])
        own = self._new_return(sale, qty=2)
        own.action_submit()
        if own.state == "draft":
            own.with_user(self.manager).action_approve()
        self._receive(own.receipt_ids)
        grading = self._decide(own, 2)
        self.assertEqual(grading.disposition_rule_id, self.rule_company)
        self.assertEqual(grading.disposition_id, self.repackage)

    def test_clerk_cannot_write_the_brands_rules(self):
        with self.assertRaises(AccessError):
            self.rule_a.with_user(self.clerk).min_unit_value = 0.0
        with self.assertRaises(AccessError):
            self.policy_a.with_user(self.clerk).window_days = 365
        with self.assertRaises(AccessError):
            self.env["return.disposition.rule"].with_user(self.clerk).create({
                "name": "Sneaky", "company_id": self.company.id, "client_id": self.brand_a.id,
                "mode": "fixed", "disposition_id": self.dispose.id})

    def test_another_companys_client(self):
        other = self.env["res.company"].create({"name": "Other 3PL"})
        foreign = self.env["res.partner"].create({"name": "Foreign brand", "company_id": other.id})
        with self.assertRaises(UserError):
            self.env["return.policy"].with_user(self.manager).create({
                "name": "Foreign terms", "client_id": foreign.id})
        with self.assertRaises(UserError):
            self.env["return.disposition.rule"].with_user(self.manager).create({
                "name": "Foreign rule", "company_id": self.company.id, "client_id": foreign.id,
                "mode": "fixed", "disposition_id": self.dispose.id})
        with self.assertRaises(ValidationError):
            self.env["return.disposition.rule"].with_user(self.manager).create({
                "name": "Any company", "client_id": self.brand_a.id, "mode": "fixed",
                "disposition_id": self.dispose.id})
