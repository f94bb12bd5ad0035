import re
import threading
import time

import requests

from odoo import Command, sql_db
from odoo.tests import JsonRpcException, tagged
from odoo.tools.misc import hmac

from .http_common import ReverseLogisticsHttpCase


@tagged("post_install", "-at_install")
class TestReturnGuest(ReverseLogisticsHttpCase):
    """Guests find their order by reference and e-mail or postal code, and nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.ref("base.main_company")
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.kettle = env["product.product"].create({
            "name": "Guest Tour Kettle", "is_storable": True, "list_price": 30, "invoice_policy": "delivery"})
        cls.mug = env["product.product"].create({
            "name": "Guest Tour Mug", "is_storable": True, "list_price": 5, "invoice_policy": "delivery"})
        for product in (cls.kettle, cls.mug):
            env["stock.quant"]._update_available_quantity(product, cls.warehouse.lot_stock_id, 10)
        cls.guest = env["res.partner"].create({
            "name": "Guest Tour", "email": "guest.tour@example.com", "zip": "1000 AB", "lang": "en_US"})
        cls.stranger = env["res.partner"].create({
            "name": "Stranger Danger", "email": "stranger@example.com", "zip": "9999"})
        cls.order = cls._sell(cls.guest, "RLGUEST-TOUR")
        cls.other_order = cls._sell(cls.stranger, "RLGUEST-OTHER")
        cls.reason = env.ref("reverse_logistics.return_reason_not_needed")

    @classmethod
    def _sell(cls, partner, name):
        order = cls.env["sale.order"].create({
            "name": name, "partner_id": partner.id, "warehouse_id": cls.warehouse.id,
            "order_line": [Command.create({"product_id": p.id, "product_uom_qty": 2}) for p in (cls.kettle, cls.mug)],
        })
        order.action_confirm()
        order.picking_ids.move_ids.picked = True
        order.picking_ids.button_validate()
        return order

    def _csrf(self, url="/returns/guest"):
        return re.search(r'name="csrf_token" value="([^"]+)"', self.url_open(url).text).group(1)

    def _look_up(self, reference, contact, csrf=None):
        return self.url_open("/returns/guest", data={
            "csrf_token": csrf or self._csrf(), "reference": reference, "contact": contact})

    def _alert(self, response):
        match = re.search(r'<div class="alert alert-danger" role="alert">([^<]*)</div>', response.text)
        return match and match.group(1)

    def test_guest_tour(self):
        self.start_tour("/returns/guest", "reverse_logistics_guest_return")
        ret = self.env["return.order"].search([("sale_order_id", "=", self.order.id)])
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.partner_id, self.guest)
        self.assertEqual(ret.state, "approved")
        self.assertEqual([(line.product_id, line.product_uom_qty) for line in ret.line_ids], [(self.kettle, 1)])
        # The slip the page links to, opened as the guest (no session: the return's access token).
        slip = self.url_open(ret.get_portal_url(suffix="/slip"))
        self.assertEqual(slip.status_code, 200)
        self.assertIn(ret.name, slip.text)
        self.assertIn("Guest Tour Kettle", slip.text)

    def test_guest_look_up(self):
        page = self.url_open("/returns/guest")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Order reference", page.text)
        csrf = self._csrf()
        # By e-mail (any case) and by postal code (spaces and case do not matter).
        order_token = self.order.access_token
        for contact in ("Guest.Tour@Example.com", "1000ab"):
            found = self._look_up("rlguest-tour", contact, csrf)
            # The guest's own capability, never the order's access token.
            self.assertIn(f"/returns/guest/{self.order.id}?token=", found.url)
            self.assertNotIn("access_token", found.url)
            self.assertIn("Guest Tour Kettle", found.text)
            self.assertNotIn("RLGUEST-OTHER", found.text)
        self.assertEqual(self.order.access_token, order_token, "no order token was made for the guest")
        # Any mismatch says the same, and shows nothing of any order.
        answers = {
            self._alert(response)
            for response in (
                self._look_up("RLGUEST-TOUR", "stranger@example.com", csrf),  # another customer's e-mail
                self._look_up("RLGUEST-OTHER", "guest.tour@example.com", csrf),  # another customer's order
                self._look_up("RLGUEST-NONE", "guest.tour@example.com", csrf),  # no such order
                self._look_up("RLGUEST-%", "guest.tour@example.com", csrf),  # a wildcard
                self._look_up("RLGUEST-TOUR", "", csrf),
                self._look_up("RLGUEST-TOUR\\", "guest.tour@example.com", csrf),  # the LIKE escape character
                self._look_up("RLGUEST-TOUR" * 1000, "x" * 100000, csrf),
                # A NUL (round 6b: a server error, PostgreSQL refuses it in a query).
                self._look_up("RLGUEST-TOUR\x00", "guest.tour@example.com", csrf),
                self._look_up("RLGUEST-TOUR", "guest.tour@example.com\x00", csrf),
            )
        }
        self.assertEqual(len(answers), 1)
        self.assertIn("could not find an order", answers.pop())
        # Without a valid CSRF token the post is refused outright.
        forged = self.url_open("/returns/guest", data={
            "csrf_token": "forged", "reference": "RLGUEST-TOUR", "contact": "1000AB"})
        self.assertEqual(forged.status_code, 400)
        self.assertNotIn("Guest Tour Kettle", forged.text)
        # The token of one order opens no other.
        wrong_token = self.url_open(
            f"/my/orders/{self.other_order.id}/return?access_token={self.order._portal_ensure_token()}")
        self.assertNotIn("Return items from", wrong_token.text)
        self.assertNotIn("RLGUEST-OTHER", wrong_token.text)

    def test_guest_forged_request(self):
        token = self.order._portal_ensure_token()
        url = f"/my/orders/{self.order.id}/return?access_token={token}"
        form = self.url_open(url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        other_key = f"{self.other_order.picking_ids.move_ids[0].id}-0"
        kettle_key = f"{self.order.picking_ids.move_ids.filtered(lambda m: m.product_id == self.kettle).id}-0"
        for data in (
            {f"qty_{other_key}": "1"},  # a product line of another order
            {f"qty_{kettle_key}": "3"},  # more than delivered
            {f"qty_{kettle_key}": "-1"},
            {f"qty_{kettle_key}": "nan"},
        ):
            response = self.url_open(url, data={"csrf_token": csrf, "reason_id": self.reason.id, **data})
            self.assertIn("alert-danger", response.text)
        orders = self.order | self.other_order
        self.assertFalse(self.env["return.order"].search([("sale_order_id", "in", orders.ids)]))
        refused = self.url_open(url, data={
            "csrf_token": "forged", "reason_id": self.reason.id, f"qty_{kettle_key}": "1"})
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(self.env["return.order"].search([("sale_order_id", "=", self.order.id)]))

    def test_guest_rate_limit(self):
        csrf = self._csrf()
        limit = self.env["return.guest.attempt"]._MAX_FAILURES
        # A successful look-up is no guess: it does not count.
        self.assertIn("/returns/guest/", self._look_up("RLGUEST-TOUR", "1000AB", csrf).url)
        for _i in range(limit):
            self.assertIn("could not find", self._alert(self._look_up("RLGUEST-TOUR", "wrong@example.com", csrf)))
        blocked = self._look_up("RLGUEST-TOUR", "guest.tour@example.com", csrf)
        self.assertIn("Too many attempts", self._alert(blocked))
        self.assertNotIn("Guest Tour Kettle", blocked.text)
        # One counter for the IP and the hour: the 10 failures and the refused look-up.
        counter = self.env["return.guest.attempt"].search([])
        self.assertEqual((len(counter), counter.ip_address, counter.count), (1, "127.0.0.1", limit + 1))

    # ------------------------------------------------------------------
    # The guest's capability opens the request form of that order, and nothing else
    # ------------------------------------------------------------------
    def _capability_url(self):
        found = self._look_up("RLGUEST-TOUR", "1000AB")
        self.assertIn(f"/returns/guest/{self.order.id}?token=", found.url)
        return found.url, found.url.split("token=")[1]

    def test_guest_capability_opens_only_the_request_form(self):
        invoice = self.order._create_invoices()
        invoice.action_post()
        self.guest.write({"street": "12 Secret Lane", "phone": "+32 470 00 00 01"})
        url, token = self._capability_url()
        secrets = ("12 Secret Lane", "+32 470 00 00 01", "guest.tour@example.com")
        form = self.url_open(url)
        self.assertIn("Return items from RLGUEST-TOUR", form.text)
        for secret in secrets:
            self.assertNotIn(secret, form.text)
        messages = self.order.message_ids
        # The token is no access token of the order, its invoice or its chatter.
        for path in (f"/my/orders/{self.order.id}", f"/my/orders/{self.order.id}?report_type=pdf",
                     f"/my/invoices/{invoice.id}", f"/my/invoices/{invoice.id}?report_type=pdf",
                     f"/my/orders/{self.order.id}/return"):
            response = self.url_open(f"{path}{'&' if '?' in path else '?'}access_token={token}")
            self.assertNotIn("Return items from", response.text, path)
            for secret in secrets:
                self.assertNotIn(secret, response.text, path)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/mail/message/post", {
                "thread_model": "sale.order", "thread_id": self.order.id, "token": token,
                "post_data": {"body": "Cancel my order", "message_type": "comment"}})
        self.assertEqual(self.order.message_ids, messages)
        # Nor a capability for another order, nor a forged, expired or other-purpose one.
        attempts = self.env["return.guest.attempt"]
        expiry = int(time.time()) - 60
        later = expiry + 7200
        forged = {
            "other order": (self.other_order, token),
            "tampered expiry": (self.order, f"{int(token.split('.')[0]) + 3600}.{token.split('.')[1]}"),
            "expired": (self.order, f"{expiry}.{attempts._sign_guest_token(self.order, expiry)}"),
            "other purpose": (self.order, f"{later}.{hmac(self.env(su=True), 'portal', (self.order.id, later))}"),
            "garbage": (self.order, "9" * 5000),
        }
        for label, (order, bad_token) in forged.items():
            response = self.url_open(f"/returns/guest/{order.id}?token={bad_token}")
            self.assertEqual(response.status_code, 200, label)
            self.assertIn("no longer valid", response.text, label)
            self.assertNotIn("Return items from", response.text, label)
        self.assertIn("no longer valid", self.url_open(f"/returns/guest/{10**20}?token={token}").text)

        # With the capability the guest asks for a return, then follows it with the return's token.
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        kettle_key = f"{self.order.picking_ids.move_ids.filtered(lambda m: m.product_id == self.kettle).id}-0"
        done = self.url_open(url, data={"csrf_token": csrf, "reason_id": self.reason.id, f"qty_{kettle_key}": "1"})
        ret = self.env["return.order"].search([("sale_order_id", "=", self.order.id)])
        self.assertEqual(len(ret), 1)
        self.assertIn(f"/my/returns/{ret.id}?access_token={ret.access_token}", done.url)
        self.assertIn(ret.name, done.text)
        # A forged request through the capability: refused, nothing created.
        for data in ({f"qty_{kettle_key}": "1e308"}, {f"qty_{kettle_key}": "nan"}, {f"qty_{kettle_key}": "-1"},
                     {f"qty_{self.other_order.picking_ids.move_ids[0].id}-0": "1"}, {"reason_id": "9" * 30}):
            response = self.url_open(url, data={"csrf_token": csrf, "reason_id": self.reason.id,
                                                f"qty_{kettle_key}": "0", **data})
            self.assertEqual(response.status_code, 200, data)
            self.assertIn("alert-danger", response.text, data)
        orders = self.order | self.other_order
        self.assertEqual(self.env["return.order"].search([("sale_order_id", "in", orders.ids)]), ret)

    # ------------------------------------------------------------------
    # The rate limit holds under parallel look-ups
    # ------------------------------------------------------------------
    def test_guest_rate_limit_parallel(self):
        """30 wrong look-ups sent at once from one IP (half of them with a forged X-Forwarded-For):
        10 are evaluated, 20 refused."""
        sessions = []
        for _i in range(30):
            session = requests.Session()
            page = session.get(f"http://127.0.0.1:{self.http_port()}/returns/guest", timeout=60)
            sessions.append((session, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)))
        barrier = threading.Barrier(len(sessions))
        answers = []

        def look_up(index, session, csrf):
            barrier.wait()
            headers = {"X-Forwarded-For": f"10.0.{index}.1"} if index % 2 else {}
            response = session.post(f"http://127.0.0.1:{self.http_port()}/returns/guest", data={
                "csrf_token": csrf, "reference": "RLGUEST-TOUR", "contact": f"wrong{index}@example.com"},
                headers=headers, timeout=120)
            answers.append(self._alert(response))

        threads = [threading.Thread(target=look_up, args=(i, *s)) for i, s in enumerate(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(answers), 30)
        self.assertEqual(sum("could not find" in (a or "") for a in answers), 10, answers)
        self.assertEqual(sum("Too many attempts" in (a or "") for a in answers), 20, answers)
        counter = self.env["return.guest.attempt"].search([])
        self.assertEqual((counter.ip_address, counter.count), ("127.0.0.1", 30))

    def test_guest_counter_is_atomic_across_transactions(self):
        """The counter's upsert, run as production runs it (its own read-committed transaction), on
        real connections outside the test's transaction: a concurrent one waits and counts on top."""
        attempts = self.env["return.guest.attempt"]
        ip, hour = "198.51.100.7", attempts._get_current_hour()
        db = sql_db.db_connect(self.env.cr.dbname)
        try:
            with db.cursor() as first:
                self.assertEqual(attempts._update_count(first, ip, hour), 1)
                result = {}

                def second_look_up():
                    with db.cursor() as second:
                        result["count"] = attempts._update_count(second, ip, hour)

                thread = threading.Thread(target=second_look_up)
                thread.start()
                thread.join(timeout=1.0)
                self.assertTrue(thread.is_alive(), "the second look-up waits for the first one's commit")
                first.commit()
            thread.join(timeout=30)
            self.assertEqual(result, {"count": 2})
            # 30 at once, each in its own transaction: every count from 3 to 32 once, so 10 at most pass.
            counts = []

            def look_up():
                with db.cursor() as cr:
                    counts.append(attempts._update_count(cr, ip, hour))

            threads = [threading.Thread(target=look_up) for _i in range(30)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            self.assertEqual(sorted(counts), list(range(3, 33)))
        finally:
            with db.cursor() as cr:
                cr.execute("DELETE FROM return_guest_attempt WHERE ip_address = %s", [ip])
