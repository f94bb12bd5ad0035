"""The examples of docs/api.md run against the served test database, so the document cannot drift.

`docs/api_examples.py` is the document's Python, in order: a shop's API user (XML-RPC with an API key)
opens a return for an order reference, adds a line, meets the errors the document lists, submits, follows
the state and the credit, lists the returns changed since a date and downloads the slip; an administrator
creates the webhook automation rule (inactive; when Odoo's automation rules are installed), switches it on for
the run, and the warehouse receives the parcel. This test runs it over HTTP against the test server and checks
each answer the document quotes.
"""
import datetime
import importlib.util
import os
import types

from odoo.addons.reverse_logistics.tests.common import ReverseLogisticsCommon
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import float_compare

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "api_examples.py")


def _load_examples():
    spec = importlib.util.spec_from_file_location("rl_api_examples", EXAMPLES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestApiDoc(ReverseLogisticsCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The API user of docs/api.md, "The API user": Returns User, Sales / User: All Documents, an e-mail.
        cls.shop = new_test_user(
            cls.env, login="rl_api_shop", email="shop@example.com",
            groups="base.group_user,reverse_logistics.group_return_user,sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id, company_ids=cls.company.ids)
        cls.shop_key = cls.env["res.users.apikeys"].with_user(cls.shop)._generate(
            None, "web shop", datetime.datetime.now() + datetime.timedelta(days=30))
        # Creates the automation rule and receives the parcel, as the document's administrator does.
        cls.admin_user = new_test_user(
            cls.env, login="rl_api_admin", email="admin@example.com",
            groups="base.group_user,base.group_system,stock.group_stock_manager",
            company_id=cls.company.id, company_ids=cls.company.ids)
        cls._stock_in(cls.product, 10)
        cls.order, cls.delivery, cls.invoice = cls._sell([(cls.product, 5, 100.0, 0.0)])

    def test_the_documented_examples(self):
        results = _load_examples().run(types.SimpleNamespace(
            url=self.base_url(), db=get_db_name(), login=self.shop.login, key=self.shop_key,
            password=self.shop.login, order=self.order.name, admin_login=self.admin_user.login,
            admin_password=self.admin_user.login, webhook_port=0,
        ))
        ret = self.env["return.order"].browse(results["return id"])
        sale_line = self.order.order_line
        self.assertEqual(results["uid"], self.shop.id)
        self.assertEqual(ret.line_ids.sale_line_id, sale_line)
        self.assertEqual(sorted(ret.line_ids.mapped("product_uom_qty")), [1.0, 2.0])
        self.assertEqual(ret.partner_id, self.order.partner_id)
        self.assertEqual(ret.create_uid, self.shop)

        # Value of the lines: 3 units at the order's price; the errors, word for word as docs/api.md quotes.
        self.assertEqual(results["draft"][0]["state"], "draft")
        self.assertFalse(results["draft"][0]["access_token"])
        self.assertAlmostEqual(results["draft"][0]["amount_untaxed"], 3 * 100.0)
        self.assertEqual(
            results["error (too many)"],
            f"{self.product.display_name}: 10000.0 requested but only {5.0 - 3.0} can still be returned "
            "(delivered minus already returned).")
        self.assertEqual(
            results["error (state by hand)"],
            "Return Order: State cannot be set by hand here; the return flow sets them (or the record's state no "
            "longer allows the change).")
        self.assertEqual(results["error (not a number)"], "Quantity: inf is not a valid number.")
        self.assertIs(results["submit"], True)
        self.assertEqual(results["error (submit twice)"], f"Only draft returns can be submitted: {ret.name}.")

        # Approved by the policy at once; the slip on the portal link and on the report route.
        after_submit = results["after submit"]
        self.assertEqual((after_submit["state"], after_submit["amount_refunded"]), ("approved", 0.0))
        self.assertTrue(ret.access_token)
        self.assertEqual(results["slip link"], f"/my/returns/{ret.id}/slip?access_token={ret.access_token}")
        self.assertEqual(results["slip via portal link"][:2], (200, "application/pdf"))
        self.assertEqual(results["web session uid"], self.shop.id)
        self.assertEqual(results["slip via report route"][:2], (200, "application/pdf"))

        # Changed since the last change before the run: this return among them.
        self.assertIn(ret.id, [row["id"] for row in results["changed since"]])

        # Received and credited on receipt: the credit is the 3 units with their tax, as the order charged them.
        expected_credit = self.tax.compute_all(100.0, currency=self.order.currency_id, quantity=3.0,
                                               product=self.product, partner=self.order.partner_id)["total_included"]
        [after_receipt] = results["after receipt"]
        self.assertEqual(after_receipt["state"], "done")
        self.assertEqual(after_receipt["credit_note_count"], 1)
        self.assertEqual(float_compare(after_receipt["amount_refunded"], expected_credit, precision_digits=2), 0,
                         (after_receipt["amount_refunded"], expected_credit))
        self.assertEqual(float_compare(ret.sudo().credit_note_ids.amount_total, expected_credit, precision_digits=2), 0)
        self.assertEqual([row["qty_refunded"] for row in results["lines after receipt"]], [2.0, 1.0])

        # The webhook: one post per state, from the creation to the credit; the rule back to inactive. It needs
        # Odoo's automation rules (base_automation), which the addons do not depend on; bin/test installs them
        # in its database so that this part always runs.
        has_rules = bool(self.env["ir.module.module"].search_count(
            [("name", "=", "base_automation"), ("state", "=", "installed")]))
        self.assertTrue(has_rules, "the test database must have base_automation (bin/test installs it)")
        self.assertEqual(results["automation rules installed"], has_rules)
        posts = [post for post in results["webhook posts"] if post["_id"] == ret.id]
        self.assertEqual([post["state"] for post in posts], ["draft", "approved", "received", "done"])
        self.assertEqual(posts[-1]["_model"], "return.order")
        self.assertEqual(float_compare(posts[-1]["amount_refunded"], expected_credit, precision_digits=2), 0)
        self.assertEqual(posts[-1]["sale_order_id"], self.order.id)
        rule = self.env["base.automation"].with_context(active_test=False).browse(results["automation rule"])
        self.assertFalse(rule.active)
