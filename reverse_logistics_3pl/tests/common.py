from odoo import Command
from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import new_test_user


class ThirdPartyLogisticsCommon(ReverseLogisticsCommon):
    """One 3PL company (the test company, FIFO automated valuation) holding the stock of two client brands
    in its warehouse beside its own, the same product in every ownership."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.clerk = new_test_user(
            cls.env, "tpl_clerk", groups="stock.group_stock_user,stock.group_tracking_owner,"
            "reverse_logistics.group_return_user", **company)
        cls.manager = new_test_user(
            cls.env, "tpl_manager", groups="stock.group_stock_user,stock.group_tracking_owner,"
            "reverse_logistics.group_return_manager", **company)
        cls.brand_a = cls.env["res.partner"].create({"name": "Alpine Brews (brand)", "is_company": True})
        cls.brand_b = cls.env["res.partner"].create({"name": "Bold Roasters (brand)", "is_company": True})
        cls.shopper_a = cls.env["res.partner"].create({"name": "Ann Shopper"})
        cls.shopper_b = cls.env["res.partner"].create({"name": "Bob Shopper"})
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.grade_d = cls.env.ref("reverse_logistics.grade_d")
        cls.restock = cls.env.ref("reverse_logistics.disposition_restock")
        cls.dispose = cls.env.ref("reverse_logistics.disposition_dispose")
        cls.repackage = cls.env.ref("reverse_logistics.disposition_repackage")
        cls.rtv = cls.env.ref("reverse_logistics.disposition_return_to_vendor")
        cls.station = cls.env["return.grading.station"]
        cls.product.default_code = "ESP-100"
        cls.product_serial.barcode = "4006381333931"
        # Each brand's own portal user (a contact of the brand).
        brand_portal = "base.group_portal,reverse_logistics_3pl.group_brand_portal"
        cls.portal_a = new_test_user(cls.env, "tpl_portal_a", groups=brand_portal, **company)
        cls.portal_a.partner_id.parent_id = cls.brand_a
        cls.portal_b = new_test_user(cls.env, "tpl_portal_b", groups=brand_portal, **company)
        cls.portal_b.partner_id.parent_id = cls.brand_b
        # The company's own units and each brand's, in the same stock location.
        cls._stock_in(cls.product, 10)
        cls._stock_in_owned(cls.product, 6, cls.brand_a)
        cls._stock_in_owned(cls.product, 4, cls.brand_b)

    @classmethod
    def _stock_in_owned(cls, product, qty, owner, location=None):
        location = location or cls.stock_location
        cls.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": product.id, "location_id": location.id, "owner_id": owner.id,
            "inventory_quantity": qty,
        }).action_apply_inventory()

    def _owned_qty(self, product, location, owner=None):
        """Units of `owner` (None: the company's own, quants without owner) in exactly `location`."""
        quants = self.env["stock.quant"].search([
            ("product_id", "=", product.id), ("location_id", "=", location.id),
            ("owner_id", "=", owner.id if owner else False)])
        return sum(quants.mapped("quantity"))

    def _client_return(self, client, customer, qty, price=30.0, user=None, product=None):
        """A client's return typed by the 3PL's clerk (no sale in this company), approved by the manager."""
        ret = self.env["return.order"].with_user(user or self.clerk).create({
            "partner_id": customer.id, "client_id": client.id, "warehouse_id": self.warehouse.id,
            "line_ids": [Command.create({
                "product_id": (product or self.product).id, "product_uom_qty": qty, "price_unit": price,
                "reason_id": self.reason_unwanted.id})],
        })
        ret.action_submit()
        if ret.state == "draft":
            ret.with_user(self.manager).action_approve()
        return ret.with_user(user or self.clerk)

    def _grade_as_clerk(self, ret, grade, qty, disposition):
        line = ret.line_ids[0]
        result = self.station.with_user(self.clerk).grade(line.id, grade.id, qty)
        grading = self.env["return.grading"].with_user(self.clerk).browse(result["grading_id"])
        grading.disposition_id = disposition
        return grading
