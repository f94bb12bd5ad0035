"""The Python examples of docs/api.md, in one script, run against a served Odoo with the addons.

    python3 docs/api_examples.py --url http://localhost:8069 --db DB --login shop-api --key API_KEY \
        --order S00025 [--password PASSWORD] [--admin-login admin --admin-password admin --webhook-port 0]

As the shop's API user it opens a return for the sale order (its first delivered untracked product), adds a
line, shows the errors the API answers with, submits the return, reads its state, lines and credit, and
downloads the slip (the portal link; with --password also the report route, which needs a web session).
With --admin-*, an administrator also receives the parcel (so that the credit appears) and, when Odoo's
automation rules (base_automation) are installed, creates the document's webhook rule (inactive), turns it
on for the run with a listener on --webhook-port (0: any free port) and prints what Odoo posted, then turns
it off again. Each run opens a new return. Every step prints what the server answered; docs/api.md quotes
those answers and tests/test_api_doc.py checks them. Standard library only (xmlrpc.client, urllib).
"""
import argparse
import datetime
import http.cookiejar
import http.server
import json
import threading
import urllib.request
import xmlrpc.client


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--key", required=True, help="the API user's API key (or password)")
    parser.add_argument("--order", required=True, help="reference of a delivered sale order")
    parser.add_argument("--password", help="the API user's password, for the report route (web session)")
    parser.add_argument("--admin-login")
    parser.add_argument("--admin-password")
    parser.add_argument("--webhook-port", type=int, default=8403)
    run(parser.parse_args())


def run(args):
    """The examples in order; returns what the server answered at each step, by label (tests/test_api_doc.py
    checks them on a served test database)."""
    url, db, key = args.url, args.db, args.key
    results = {}

    def show(label, value):
        results[label] = value
        print(f"{label}:", value)

    # --- Connect (docs/api.md, "Connecting") ------------------------------------------------------
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    uid = common.authenticate(db, args.login, key, {})
    if not uid:
        raise SystemExit("authentication failed")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *margs, **kwargs):
        return models.execute_kw(db, uid, key, model, method, list(margs), kwargs)

    show("uid", uid)

    # --- Admin: the webhook rule, shipped inactive (docs/api.md, "Being told of changes") ----------
    received = []
    if args.admin_login:
        admin_uid = common.authenticate(db, args.admin_login, args.admin_password, {})

        def admin(model, method, *margs, **kwargs):
            return models.execute_kw(db, admin_uid, args.admin_password, model, method, list(margs), kwargs)

    # Automation rules are Odoo's base_automation app, which the addons do not depend on.
    hooks = bool(args.admin_login) and bool(admin("ir.module.module", "search_count", [
        ("name", "=", "base_automation"), ("state", "=", "installed")]))
    show("automation rules installed", hooks)
    if hooks:
        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args):
                pass

        server = http.server.HTTPServer(("localhost", args.webhook_port), Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        hook_url = f"http://localhost:{server.server_address[1]}/odoo/returns"

        model_id = admin("ir.model", "search", [("model", "=", "return.order")])[0]
        field_ids = admin("ir.model.fields", "search", [
            ("model", "=", "return.order"),
            ("name", "in", ["name", "state", "disposition_status", "amount_refunded", "sale_order_id",
                            "partner_id", "write_date"]),
        ])
        state_field = admin("ir.model.fields", "search", [("model", "=", "return.order"), ("name", "=", "state")])
        rule_name = "Returns: tell the shop when a return's state changes"
        existing = admin("base.automation", "search", [("name", "=", rule_name), ("active", "in", [True, False])])
        rule_id = existing[0] if existing else admin("base.automation", "create", {
            "name": rule_name,
            "model_id": model_id,
            "trigger": "on_create_or_write",
            "trigger_field_ids": [(6, 0, state_field)],
            "active": False,
            "action_server_ids": [(0, 0, {
                "name": "Post the return to the shop",
                "model_id": model_id,
                "state": "webhook",
                "webhook_url": hook_url,
                "webhook_field_ids": [(6, 0, field_ids)],
            })],
        })
        show("automation rule", rule_id)
        # The shop's URL on a real rule; the run points it at its own listener.
        admin("ir.actions.server", "write", admin("base.automation", "read", [rule_id], ["action_server_ids"])[0][
            "action_server_ids"], {"webhook_url": hook_url})
        admin("base.automation", "write", [rule_id], {"active": True})


    try:
        # --- Find the order and what was delivered ("Opening a return") -------------------------------
        [order] = call("sale.order", "search_read", [("name", "=", args.order), ("state", "=", "sale")],
                       fields=["partner_id", "warehouse_id"])
        lines = call("sale.order.line", "search_read", [("order_id", "=", order["id"]), ("qty_delivered", ">", 0)],
                     fields=["product_id", "qty_delivered", "price_unit"])
        show("order", order)
        show("delivered lines", lines)
        [reason] = call("return.reason", "search_read", [("name", "=", "Defective")], fields=["name"])
        # The type by its code (a technical name, the same in every language); its flags say what it allows.
        [return_type] = call("return.type", "search_read", [("code", "=", "customer")],
                             fields=["name", "refund_allowed", "auto_approvable"])
        show("return type", return_type)
        tracking = {p["id"]: p["tracking"] for p in call(
            "product.product", "read", [ln["product_id"][0] for ln in lines], ["tracking"])}
        # Lot- and serial-tracked products also take the delivered lot (lot_id, see docs/api.md); this run
        # returns an untracked one.
        lines = [ln for ln in lines if tracking[ln["product_id"][0]] == "none"]

        # --- Create the return with its first line ----------------------------------------------------
        since = call("return.order", "search_read", [], fields=["write_date"], order="write_date desc", limit=1)
        since = since[0]["write_date"] if since else "2000-01-01 00:00:00"
        first = lines[0]
        return_id = call("return.order", "create", {
            "partner_id": order["partner_id"][0],
            "sale_order_id": order["id"],
            "warehouse_id": order["warehouse_id"][0],
            "return_type_id": return_type["id"],
            "resolution": "refund",
            "customer_note": "The bag arrived torn.",
            "line_ids": [(0, 0, {
                "sale_line_id": first["id"],
                "product_id": first["product_id"][0],
                "product_uom_qty": 2,
                "reason_id": reason["id"],
            })],
        })
        show("return id", return_id)

        # --- Add a line while it is a draft -----------------------------------------------------------
        line_id = call("return.order.line", "create", {
            "order_id": return_id,
            "sale_line_id": first["id"],
            "product_id": first["product_id"][0],
            "product_uom_qty": 1,
            "reason_id": reason["id"],
            "note": "second bag",
        })
        show("line id", line_id)
        show("draft", call("return.order", "read", [return_id],
                             ["name", "state", "amount_untaxed", "amount_restocking_fee", "policy_problems",
                              "access_token"]))

        # --- Errors the API answers with ("Errors") ---------------------------------------------------
        for label, model, method, margs in [
            ("too many", "return.order.line", "create",
             [{"order_id": return_id, "sale_line_id": first["id"], "product_id": first["product_id"][0],
               "product_uom_qty": 10_000}]),
            ("state by hand", "return.order", "write", [[return_id], {"state": "done"}]),
            ("not a number", "return.order.line", "write", [[line_id], {"product_uom_qty": float("inf")}]),
        ]:
            try:
                models.execute_kw(db, uid, key, model, method, margs, {})
            except xmlrpc.client.Fault as fault:
                show(f"error ({label})", fault.faultString.strip().splitlines()[-1])

        # --- Submit -----------------------------------------------------------------------------------
        show("submit", call("return.order", "action_submit", [return_id]))
        try:
            call("return.order", "action_submit", [return_id])
        except xmlrpc.client.Fault as fault:
            show("error (submit twice)", fault.faultString.strip().splitlines()[-1])

        # --- Follow the state and the credit ("Following a return") -----------------------------------
        state_fields = ["name", "state", "disposition_status", "date_submitted", "date_approved", "date_received",
                        "date_resolved", "amount_untaxed", "amount_restocking_fee", "amount_refunded",
                        "credit_note_count", "access_url"]
        [ret] = call("return.order", "read", [return_id], state_fields)
        show("after submit", ret)
        show("lines", call("return.order.line", "search_read", [("order_id", "=", return_id)],
                             fields=["product_id", "product_uom_qty", "qty_received", "qty_refunded", "price_subtotal",
                                     "restocking_fee_amount", "grade_summary"]))

        # --- The slip (while the return is approved or receiving) ----------------------------------------
        # get_portal_url (Odoo's portal.mixin) gives the customer's link with its token, creating the token
        # when the return has none yet (no mail went to the customer).
        slip_link = call("return.order", "get_portal_url", [return_id], suffix="/slip")
        show("slip link", slip_link)
        with urllib.request.urlopen(url + slip_link) as resp:
            pdf = resp.read()
            show("slip via portal link", (resp.status, resp.headers["Content-Type"], pdf[:5], len(pdf)))
        if args.password:
            # The report route of the web client needs a web session: a password login (no API key).
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            req = urllib.request.Request(
                f"{url}/web/session/authenticate", method="POST", headers={"Content-Type": "application/json"},
                data=json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": args.login,
                                                              "password": args.password}}).encode())
            with opener.open(req) as resp:
                session = json.loads(resp.read())
                show("web session uid", session.get("result", {}).get("uid"))
            with opener.open(f"{url}/report/pdf/reverse_logistics.report_return_slip/{return_id}") as resp:
                pdf = resp.read()
                show("slip via report route", (resp.status, resp.headers["Content-Type"], pdf[:5]))

        # --- The warehouse receives the parcel (a clerk's job in Odoo; done here over RPC as the admin so that
        # the run shows the credit the policy makes on receipt) -------------------------------------------
        if args.admin_login and ret["state"] == "approved":
            for picking_id in admin("return.order", "read", [return_id], ["receipt_ids"])[0]["receipt_ids"]:
                for move in admin("stock.move", "search_read", [("picking_id", "=", picking_id)],
                                  fields=["product_uom_qty"]):
                    admin("stock.move", "write", [move["id"]], {"quantity": move["product_uom_qty"], "picked": True})
                admin("stock.picking", "button_validate", [picking_id])
            show("after receipt", call("return.order", "read", [return_id], state_fields))
            show("lines after receipt", call("return.order.line", "search_read", [("order_id", "=", return_id)],
                                 fields=["product_uom_qty", "qty_received", "qty_refunded", "price_subtotal"]))

        # --- Changed since a date ---------------------------------------------------------------------
        changed = call("return.order", "search_read", [("write_date", ">=", since)],
                       fields=["name", "state", "write_date"], order="write_date asc, id asc")
        show("since", since)
        show("changed since", changed)

    finally:
        if hooks:
            # Back to how the rule is shipped: inactive.
            admin("base.automation", "write", [rule_id], {"active": False})
            server.shutdown()
            show("webhook posts", received)
    show("done at", datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))
    return results


if __name__ == "__main__":
    main()
