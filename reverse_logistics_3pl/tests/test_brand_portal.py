import base64

from odoo.addons.reverse_logistics.tests.http_common import ReverseLogisticsHttpCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import JsonRpcException, new_test_user, tagged

from .common import ThirdPartyLogisticsCommon

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@tagged("post_install", "-at_install")
class TestBrandPortal(ReverseLogisticsHttpCase, ThirdPartyLogisticsCommon):
    """A brand's portal user follows the returns of its goods, grades and photos included, and reads
    nothing of another brand's nor the 3PL's own figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        checklist = cls.env["return.grade.checklist"].create({"name": "Brand checks"})
        cls.question = cls.env["return.grade.question"].create({
            "checklist_id": checklist.id, "name": "Seal intact"})
        # The shopper of brand A also has a portal account: a customer, not the brand.
        cls.shopper_user = new_test_user(
            cls.env, "tpl_shopper_a", groups="base.group_portal", partner_id=cls.shopper_a.id,
            company_id=cls.company.id, company_ids=cls.company.ids)

    def setUp(self):
        super().setUp()
        self.ret_a = self._client_return(self.brand_a, self.shopper_a, 3)
        self._receive(self.ret_a.receipt_ids.with_user(self.clerk))
        self.grading_a = self._grade_as_clerk(self.ret_a, self.grade_a, 2, self.restock)
        self.grading_a.action_dispose()
        self.photo_a = self._photo(self.grading_a, "seal_a.png")
        self.env["return.grading.answer"].create({
            "grading_id": self.grading_a.id, "question_id": self.question.id, "passed": True})
        self.ret_b = self._client_return(self.brand_b, self.shopper_b, 2)
        self._receive(self.ret_b.receipt_ids.with_user(self.clerk))
        self.grading_b = self._grade_as_clerk(self.ret_b, self.grade_d, 1, self.dispose)
        self.photo_b = self._photo(self.grading_b, "secret_b.png")
        self.env.flush_all()

    def _photo(self, grading, name):
        photo = self.env["ir.attachment"].create({
            "name": name, "datas": base64.b64encode(PNG), "res_model": "return.grading", "res_id": grading.id})
        grading.sudo().attachment_ids = [(4, photo.id)]
        return photo

    def _rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------
    def test_brand_sees_its_returns_grades_and_photos(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        listing = self.url_open("/my/returns")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.ret_a.name, listing.text)
        self.assertNotIn(self.ret_b.name, listing.text, "never another brand's return")
        page = self.url_open(f"/my/returns/{self.ret_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_rl_brand_gradings", page.text)
        self.assertIn(f'data-grading-id="{self.grading_a.id}"', page.text)
        self.assertIn(self.grade_a.name, page.text)
        self.assertIn("Seal intact", page.text)
        self.assertIn(self.restock.name, page.text)
        self.assertIn("(restocked)", page.text)
        photo_url = f"/my/returns/{self.ret_a.id}/grading-photo/{self.photo_a.id}"
        self.assertIn(photo_url, page.text)
        self.assertNotIn("secret_b.png", page.text)
        photo = self.url_open(photo_url)
        self.assertEqual(photo.status_code, 200)
        self.assertEqual(photo.content, PNG)

    def test_brand_gets_nothing_of_another_brands_return(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        page = self.url_open(f"/my/returns/{self.ret_b.id}", allow_redirects=False)
        self.assertIn(page.status_code, (302, 303, 403, 404))
        self.assertNotIn(self.ret_b.name, page.text)
        followed = self.url_open(f"/my/returns/{self.ret_b.id}")
        self.assertNotIn(self.ret_b.name, followed.text)
        self.assertNotIn("o_rl_brand_gradings", followed.text)
        for url in (f"/web/content/{self.photo_b.id}",
                    f"/my/returns/{self.ret_b.id}/grading-photo/{self.photo_b.id}",
                    # Its own return's id with the other brand's photo swapped in.
                    f"/my/returns/{self.ret_a.id}/grading-photo/{self.photo_b.id}"):
            photo = self.url_open(url)
            self.assertIn(photo.status_code, (403, 404), url)
            self.assertNotEqual(photo.content, PNG, url)
        slip = self.url_open(f"/my/returns/{self.ret_b.id}/slip", allow_redirects=False)
        self.assertNotIn(self.ret_b.name, slip.text)

    def test_customer_sees_the_return_but_not_the_gradings(self):
        """The core's portal rule for the customer is unchanged: its own return, no grading."""
        self.authenticate("tpl_shopper_a", "tpl_shopper_a")
        page = self.url_open(f"/my/returns/{self.ret_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ret_a.name, page.text)
        self.assertNotIn("o_rl_brand_gradings", page.text)
        self.assertNotIn("Seal intact", page.text)
        photo = self.url_open(f"/my/returns/{self.ret_a.id}/grading-photo/{self.photo_a.id}")
        self.assertEqual(photo.status_code, 404, "the customer sees no grading photo")
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "read", self.grading_a.ids, ["grade_id"])
        # A customer has no access to gradings at all (only the Brand Portal User group has).
        for model in ("return.grading", "return.grading.answer"):
            with self.assertRaises(JsonRpcException, msg=model):
                self._rpc(model, "search_read", [], ["id"])

    # ------------------------------------------------------------------
    # JSON-RPC
    # ------------------------------------------------------------------
    def test_brand_rpc_reads_its_own_only(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        orders = self._rpc("return.order", "search_read", [], ["name", "state", "client_ref"])
        self.assertEqual([o["id"] for o in orders], self.ret_a.ids)
        gradings = self._rpc("return.grading", "search_read", [], ["grade_id", "quantity", "state", "operation"])
        self.assertEqual([g["id"] for g in gradings], self.grading_a.ids)
        self.assertEqual(gradings[0]["quantity"], 2)
        self.assertEqual(gradings[0]["operation"], "restock")
        answers = self._rpc("return.grading.answer", "search_read", [], ["passed"])
        self.assertEqual(len(answers), 1)
        self.assertTrue(answers[0]["passed"])
        lines = self._rpc("return.order.line", "search_read", [], ["product_uom_qty"])
        self.assertEqual([line["id"] for line in lines], self.ret_a.line_ids.ids)
        # Another brand's ids, swapped in.
        for model, ids in (("return.order", self.ret_b.ids), ("return.order.line", self.ret_b.line_ids.ids),
                           ("return.grading", self.grading_b.ids)):
            with self.assertRaises(JsonRpcException, msg=model):
                self._rpc(model, "read", ids, ["display_name"])
            with self.assertRaises(JsonRpcException, msg=model):
                self._rpc(model, "web_read", ids, specification={"display_name": {}})
            self.assertFalse(self._rpc(model, "search_read", [("id", "in", ids)], ["id"]), model)
        with self.assertRaises(JsonRpcException):
            self._rpc("ir.attachment", "read", self.photo_b.ids, ["datas"])

    def test_brand_rpc_reads_no_figure_of_the_3pl(self):
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        for field in ("processing_cost", "recovery_value", "net_recovery", "note", "disposition_note",
                      "vendor_credit_note_id", "liquidation_line_id", "disposition_error"):
            with self.assertRaises(JsonRpcException, msg=field):
                self._rpc("return.grading", "read", self.grading_a.ids, [field])
        for field in ("note", "processing_cost", "recovery_value", "net_recovery", "return_cost"):
            with self.assertRaises(JsonRpcException, msg=field):
                self._rpc("return.order", "read", self.ret_a.ids, [field])
        with self.assertRaises(JsonRpcException):
            self._rpc("return.client.fee.event", "search_read", [], ["amount"])
        with self.assertRaises(JsonRpcException):
            self._rpc("return.order", "write", self.ret_a.ids, {"client_ref": "forged"})
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "write", self.grading_a.ids, {"quantity": 3})

    def test_clerk_still_reads_the_figures(self):
        grading = self.grading_a.with_user(self.clerk)
        self.assertEqual(grading.read(["recovery_value"])[0]["recovery_value"], self.grading_a.recovery_value)
        self.assertEqual(self.env["return.order"].with_user(self.clerk).search_count(
            [("id", "in", (self.ret_a | self.ret_b).ids)]), 2)

    # ------------------------------------------------------------------
    # Found by the sixth attack round
    # ------------------------------------------------------------------
    def test_only_the_gradings_own_photos_are_served(self):
        """A clerk links another document's file to a grading: refused when he may not read it, never served
        to the brand when he may."""
        invoice_file = self.env["ir.attachment"].create({
            "name": "payroll.txt", "raw": b"TOP SECRET", "res_model": "res.company", "res_id": self.company.id})
        grading = self.grading_a.with_user(self.clerk)
        readable = self.env["ir.attachment"].create({
            "name": "notes.txt", "raw": b"a partner's file", "res_model": "res.partner", "res_id": self.brand_b.id})
        if not invoice_file.with_user(self.clerk).has_access("read"):
            with self.assertRaises(AccessError):
                grading.write({"attachment_ids": [(4, invoice_file.id)]})
        with self.assertRaises(UserError):
            grading.write({"attachment_ids": [(4, 99999999)]})
        # Round 6b: check_access('read') of an attachment did not read the document it belongs to.
        cron = self.env["ir.cron"].search([], limit=1)
        cron_file = self.env["ir.attachment"].create({
            "name": "cron.txt", "raw": b"SYSTEM", "res_model": "ir.cron", "res_id": cron.id})
        with self.assertRaises(AccessError):
            grading.write({"attachment_ids": [(4, cron_file.id)]})
        with self.assertRaises(AccessError):
            grading.write({"attachment_ids": [(6, 0, [cron_file.id])]})
        # A URL attachment of the grading itself would redirect the brand anywhere.
        link = self.env["ir.attachment"].create({
            "name": "phish.png", "type": "url", "url": "https://evil.example.com/phish",
            "res_model": "return.grading", "res_id": self.grading_a.id})
        self.grading_a.sudo().attachment_ids = [(4, invoice_file.id), (4, readable.id), (4, link.id)]
        self.authenticate("tpl_portal_a", "tpl_portal_a")
        redirected = self.url_open(f"/my/returns/{self.ret_a.id}/grading-photo/{link.id}", allow_redirects=False)
        self.assertEqual(redirected.status_code, 404)
        page = self.url_open(f"/my/returns/{self.ret_a.id}").text
        self.assertNotIn("payroll.txt", page)
        self.assertNotIn("notes.txt", page)
        for attachment in (invoice_file, readable):
            response = self.url_open(f"/my/returns/{self.ret_a.id}/grading-photo/{attachment.id}")
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(b"TOP SECRET", response.content)
        self.assertEqual(self.url_open(f"/my/returns/{self.ret_a.id}/grading-photo/{self.photo_a.id}").content, PNG)

    def test_a_shopper_with_portal_access_is_not_the_brand(self):
        """The brand's shoppers are partners of their own: one given portal access reads his own return only,
        no brand figure, and decides nothing for the brand."""
        announce = self.env["return.order"].with_user(self.clerk).action_announce_client_return
        mine = self.env["return.order"].browse(announce({
            "client_id": self.brand_a.id, "client_ref": "SHOP-1",
            "customer": {"name": "Nils", "email": "nils@example.com"},
            "lines": [{"product": "ESP-100", "qty": 1}],
        })["id"])
        theirs = self.env["return.order"].browse(announce({
            "client_id": self.brand_a.id, "client_ref": "SHOP-2",
            "customer": {"name": "Olga", "email": "olga@example.com"},
            "lines": [{"product": "ESP-100", "qty": 1}],
        })["id"])
        self.assertFalse(mine.partner_id.parent_id)
        self.assertEqual(mine.partner_id.shopper_of_client_id, self.brand_a)
        nils = new_test_user(self.env, "tpl_nils", groups="base.group_portal", partner_id=mine.partner_id.id,
                             company_id=self.company.id, company_ids=self.company.ids)
        self.assertFalse(self.ret_a._is_brand_portal_viewer(nils))
        self.assertNotIn(nils, self.ret_a._get_brand_portal_users())
        self.authenticate("tpl_nils", "tpl_nils")
        self.assertEqual([o["id"] for o in self._rpc("return.order", "search_read", [], ["name"])], mine.ids)
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "search_read", [], ["id"])
        listing = self.url_open("/my/returns").text
        self.assertNotIn(theirs.name, listing)
        self.assertNotIn(self.ret_a.name, listing)
        self.assertNotIn("o_rl_brand_report", listing)
        with self.assertRaises(JsonRpcException):
            self._rpc("res.partner", "read", theirs.partner_id.ids, ["email"])

    def test_a_brand_contact_without_brand_portal_is_a_customer(self):
        """Portal access alone (the brand's accountant, given it for his invoices) is not the brand's portal:
        the 3PL grants Brand Portal User to the brand's staff who follow its returns."""
        accountant = new_test_user(self.env, "tpl_brand_accountant", groups="base.group_portal",
                                   company_id=self.company.id, company_ids=self.company.ids)
        accountant.partner_id.parent_id = self.brand_a
        self.assertFalse(self.ret_a._is_brand_portal_viewer(accountant))
        self.assertNotIn(accountant, self.ret_a._get_brand_portal_users())
        self.assertIn(self.portal_a, self.ret_a._get_brand_portal_users())
        self.authenticate("tpl_brand_accountant", "tpl_brand_accountant")
        self.assertNotIn("o_rl_brand_report", self.url_open("/my/returns").text)
        with self.assertRaises(JsonRpcException):
            self._rpc("return.grading", "search_read", [], ["id"])
        self.assertNotIn("o_rl_brand_gradings", self.url_open(f"/my/returns/{self.ret_a.id}").text)
