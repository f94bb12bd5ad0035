import base64

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ThirdPartyLogisticsCommon

HEADER = "order_ref,customer_name,customer_email,product,qty,lot,price\n"


@tagged("post_install", "-at_install")
class TestAnnouncementImport(ThirdPartyLogisticsCommon):

    def _import(self, user, text, client=None, context=None):
        """The wizard as the web client runs it: create, then the button, over RPC with the client's context."""
        env = api.Environment(self.env.cr, user.id, context or {})
        wizard_id = api.call_kw(env["return.announcement.import"], "create", [{
            "client_id": (client or self.brand_a).id, "filename": "returns.csv",
            "file": base64.b64encode(text.encode()).decode()}], {})
        return api.call_kw(env["return.announcement.import"], "action_import", [[wizard_id]], {})

    def _returns(self):
        return self.env["return.order"].search([("client_id", "!=", False)])

    def test_import_one_return_per_order_ref(self):
        csv_text = HEADER + (
            "SHOP-7001,Eve Shopper,eve@example.com,ESP-100,2,,80\n"
            "SHOP-7001,Eve Shopper,eve@example.com,4006381333931,1,SN-I-1,\n"
            "\n"
            "SHOP-7002,Finn Shopper,,ESP-100,1,,\n"
        )
        before = self._returns()
        action = self._import(self.clerk, csv_text)
        created = self._returns() - before
        self.assertEqual(sorted(created.mapped("client_ref")), ["SHOP-7001", "SHOP-7002"])
        self.assertEqual(created, self.env["return.order"].search(action["domain"]))
        first = created.filtered(lambda r: r.client_ref == "SHOP-7001")
        self.assertEqual(first.client_id, self.brand_a)
        self.assertEqual((first.partner_id.name, first.partner_id.email), ("Eve Shopper", "eve@example.com"))
        self.assertEqual(sorted(first.line_ids.mapped("product_uom_qty")), [1.0, 2.0])
        self.assertEqual(first.line_ids.lot_id.name, "SN-I-1")
        self.assertEqual(first.line_ids.filtered(lambda line: line.product_id == self.product).price_unit, 80.0)
        self.assertTrue(all(created.mapped("date_submitted")))
        # Semicolons (a spreadsheet's export in many locales) are read the same.
        self._import(self.clerk, HEADER.replace(",", ";") + "SHOP-7003;Gil;;ESP-100;1;;\n")
        self.assertTrue(self.env["return.order"].search([("client_ref", "=", "SHOP-7003")]))

    def test_bad_rows_refuse_the_whole_file_with_line_numbers(self):
        csv_text = HEADER + (
            "SHOP-8001,Hana Shopper,hana@example.com,ESP-100,2,,\n"   # line 2: good
            "SHOP-8002,Ivo Shopper,,NOPE-1,1,,\n"                     # line 3: no such product
            "SHOP-8003,Jo Shopper,,ESP-100,nan,,\n"                   # line 4: NaN
            "SHOP-8004,Kim Shopper,,ESP-100,many,,\n"                 # line 5: no number
            "SHOP-8005,Lea,,ESP-100,1e400,,\n"                        # line 6: huge
        )
        before = self._returns()
        lots = self.env["stock.lot"].search_count([])
        with self.assertRaises(UserError) as caught:
            self._import(self.clerk, csv_text)
        message = caught.exception.args[0]
        self.assertIn("Nothing was imported", message)
        self.assertIn("Lines 3 (order SHOP-8002)", message)
        self.assertIn("NOPE-1", message)
        self.assertIn("Lines 4 (order SHOP-8003)", message)
        self.assertIn("Line 5: qty many is not a number", message)
        self.assertIn("Lines 6 (order SHOP-8005)", message)
        self.assertNotIn("SHOP-8001", message)
        self.assertEqual(self._returns(), before, "all or nothing: the good order is not imported either")
        self.assertEqual(self.env["stock.lot"].search_count([]), lots)
        with self.assertRaisesRegex(UserError, "misses the columns order_ref"):
            self._import(self.clerk, "ref,customer_name,product,qty\nX,Y,ESP-100,1\n")
        with self.assertRaisesRegex(UserError, "holds no announcement"):
            self._import(self.clerk, HEADER)
        with self.assertRaisesRegex(UserError, "names another customer than line 2"):
            self._import(self.clerk, HEADER + "S-1,Ann,,ESP-100,1,,\nS-1,Bob,,ESP-100,1,,\n")
        self.assertEqual(self._returns(), before)

    def test_attackers_refused(self):
        before = self._returns()
        csv_text = HEADER + "SHOP-9001,Mo Shopper,,ESP-100,1,,\n"
        # A brand's portal user has no import (it announces over RPC, for its own goods only).
        with self.assertRaises(AccessError):
            self._import(self.portal_a, csv_text)
        # A partner of another company is no client of this one, whatever the context says.
        other_company = self.env["res.company"].create({"name": "Another 3PL B"})
        stranger = self.env["res.partner"].create({"name": "Stranger Brand", "is_company": True,
                                                   "company_id": other_company.id})
        with self.assertRaisesRegex(UserError, "is no partner of"):
            self._import(self.clerk, csv_text, client=stranger,
                         context={"default_client_id": self.brand_a.id, "default_company_id": other_company.id})
        self.assertEqual(self._returns(), before)
        # A forged context changes nothing of what is made.
        self._import(self.clerk, csv_text, context={"default_resolution": "refund", "default_state": "done",
                                                    "default_client_id": self.brand_b.id})
        ret = self._returns() - before
        self.assertEqual((ret.client_id, ret.resolution, ret.client_ref), (self.brand_a, "none", "SHOP-9001"))
        self.assertNotEqual(ret.state, "done")

    def test_nul_long_names_and_too_many_orders_refused(self):
        """Found by the sixth attack round: a NUL gave a ValueError, 5000 orders one five-minute request
        (round 6b: 500 orders of 10 lines, two minutes)."""
        before = self._returns()
        with self.assertRaisesRegex(UserError, "NUL"):
            self._import(self.clerk, HEADER + "SHOP-1,Eve\x00,,ESP-100,1,,\n")
        with self.assertRaisesRegex(UserError, "256 characters"):
            self._import(self.clerk, HEADER + "SHOP-1," + "E" * 300 + ",,ESP-100,1,,\n")
        many = "".join(f"SHOP-{i},Eve,,ESP-100,1,,\n" for i in range(201))
        with self.assertRaisesRegex(UserError, "at most 200 orders"):
            self._import(self.clerk, HEADER + many)
        rows = "".join(f"SHOP-{i // 10},Eve,,ESP-100,1,,\n" for i in range(2001))
        with self.assertRaisesRegex(UserError, "at most 2000 lines"):
            self._import(self.clerk, HEADER + rows)
        self.assertEqual(self._returns(), before)
