import re

from odoo import fields
from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.tests import new_test_user, tagged

from .common import ThirdPartyLogisticsCommon


@tagged("post_install", "-at_install")
class TestBrandReport(ReverseLogisticsHttpCase, ThirdPartyLogisticsCommon):
    """The brand's figures on its portal: its own goods per month, never the other brand's nor the 3PL's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shopper_user = new_test_user(
            cls.env, "tpl_rep_shopper", groups="base.group_portal", partner_id=cls.shopper_a.id,
            company_id=cls.company.id, company_ids=cls.company.ids)

    def setUp(self):
        super().setUp()
        # Brand A: two returns, 3 + 2 units received; 2 restocked, 1 disposed of; 2 units not graded yet.
        self.ret_a1 = self._client_return(self.brand_a, self.shopper_a, 3)
        self._receive(self.ret_a1.receipt_ids.with_user(self.clerk))
        self.ret_a2 = self._client_return(self.brand_a, self.shopper_a, 2)
        self._receive(self.ret_a2.receipt_ids.with_user(self.clerk))
        self._grade_as_clerk(self.ret_a1, self.grade_a, 2, self.restock).action_dispose()
        self._grade_as_clerk(self.ret_a1, self.grade_d, 1, self.dispose).action_dispose()
        # Brand B: one return of 4 units, all restocked.
        self.ret_b = self._client_return(self.brand_b, self.shopper_b, 4)
        self._receive(self.ret_b.receipt_ids.with_user(self.clerk))
        self._grade_as_clerk(self.ret_b, self.grade_a, 4, self.restock).action_dispose()
        self.env.flush_all()
        self.month = fields.Date.start_of(fields.Date.context_today(self.ret_a1), "month")

    def _row(self, html):
        match = re.search(rf'<tr data-month="{self.month.isoformat()}">(.*?)</tr>', html, re.S)
        self.assertTrue(match, "a row for this month")
        return {cls: float(value) for cls, value in re.findall(
            r'class="text-end o_rl_(\w+)">([\d.]+)<', match.group(1))}

    def test_brand_reads_its_own_figures(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        page = self.url_open("/my/returns")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_rl_brand_report", page.text)
        self.assertEqual(self._row(page.text), {
            "returns": 2, "received": 3 + 2, "graded": 2 + 1, "op_restock": 2, "op_dispose": 1})
        self.authenticate("tpl_portal_b", "tpl_portal_b")
        self.assertEqual(self._row(self.url_open("/my/returns").text), {
            "returns": 1, "received": 4, "graded": 4, "op_restock": 4})

    def test_no_figure_of_the_3pl_nor_a_report_for_a_customer(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        page = self.url_open("/my/returns").text
        report = re.search(r'o_rl_brand_report.*?</table>', page, re.S).group(0)
        for word in ("Fee", "Cost", "Recovery", "Value"):
            self.assertNotIn(word, report)
        self.authenticate("tpl_rep_shopper", "tpl_rep_shopper")
        page = self.url_open("/my/returns")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_rl_brand_report", page.text)
        self.assertIn(self.ret_a1.name, page.text, "the shopper still sees his returns")

    def test_report_is_read_through_the_brands_rules(self):
        """Called for another user than the brand's portal user, the method reads nothing."""
        orders = self.env["return.order"]
        self.assertEqual(orders._get_brand_portal_report(self.clerk), {"operations": [], "rows": []})
        figures = orders._get_brand_portal_report(self.portal_b)
        self.assertEqual([row["returns"] for row in figures["rows"]], [1])
