from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReturnCarrierPolicy(ReverseLogisticsCommon):
    """With Odoo's own carriers only (none makes return labels): nothing changes for returns.
    The label flow itself is tested with the carrier type of test_reverse_logistics_delivery."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(cls.env, "rl_lblp_clerk",
                                  groups="stock.group_stock_user,reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(cls.env, "rl_lblp_manager",
                                    groups="stock.group_stock_user,reverse_logistics.group_return_manager",
                                    **company)
        shipping = cls.env["product.product"].create({"name": "Flat shipping", "type": "service", "taxes_id": []})
        cls.fixed = cls.env["delivery.carrier"].create({
            "name": "Flat Rate", "delivery_type": "fixed", "fixed_price": 9.0, "product_id": shipping.id})
        cls._stock_in(cls.product, 5)
        cls.sale, cls.delivery, cls.invoice = cls._sell([(cls.product, 2, 100.0, 0.0)])

    def test_policy_carrier_must_make_return_labels(self):
        self.assertFalse(self.fixed.can_generate_return)
        with self.assertRaisesRegex(ValidationError, "cannot make return labels"):
            self.policy.with_user(self.manager).return_carrier_id = self.fixed
        self.assertFalse(self.policy.return_carrier_id)

    def test_no_carrier_no_label_no_cost(self):
        ret = self._new_return(self.sale, qty=1).with_user(self.clerk)
        self.assertEqual(ret._get_return_shipping_cost(), 0.0)
        ret.action_submit()
        self.assertEqual(ret.state, "approved")
        self.assertFalse(ret.return_carrier_id)
        self.assertFalse(ret.sudo().receipt_ids.carrier_id)
        self.assertFalse(ret.return_label_ids)
        self.assertFalse(ret.return_label_error)
