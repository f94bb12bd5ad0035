"""Screenshots of the addons' screens in headless chromium at 1440 x 900 (see README.md here).

Usage: python3 shoot.py http://127.0.0.1:8071 DB out_dir name=/path[|javascript] ...
Logs in as admin/admin (or portal/portal, or $SHOT_PORTAL_LOGIN, for names starting with "portal"),
opens each path, waits for the page to settle, runs the optional javascript (e.g. to scan a code) and
writes out_dir/name.png.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


def session_id(base, db, login, password):
    req = urllib.request.Request(
        f"{base}/web/session/authenticate", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}}).encode(),
    )
    with urllib.request.urlopen(req) as resp:
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session_id="):
                return value.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit(f"login {login} failed")


class Browser:
    def __init__(self, port=None):
        # SHOT_DEVTOOLS_PORT: another port when a browser already listens on 9333.
        port = port or int(os.environ.get("SHOT_DEVTOOLS_PORT", 9333))
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen([
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            # Chromium refuses the devtools websocket from any origin it was not told of.
            f"--remote-debugging-port={port}", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
            "--window-size=1440,900",
            "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as resp:
                    tabs = [t for t in json.load(resp) if t["type"] == "page"]
                if tabs:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.ws = websocket.create_connection(tabs[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        height = int(os.environ.get("SHOT_HEIGHT", 900))  # taller only to review a long page, never committed
        self.call("Emulation.setDeviceMetricsOverride", width=1440, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                return msg.get("result", {})

    def shoot(self, url, path, settle=3.0, ready=".o_action, .o_portal_wrap, #wrap, .o_home_menu", script=None):
        self.call("Page.navigate", url=url)
        for _ in range(120):  # the first load builds the asset bundles
            time.sleep(0.5)
            found = self.call("Runtime.evaluate", expression=f"!!document.querySelector({json.dumps(ready)})")
            if found.get("result", {}).get("value"):
                break
        time.sleep(settle)
        if script:
            self.call("Runtime.evaluate", expression=script)
            time.sleep(settle)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait()


def main():
    base, db, out = sys.argv[1:4]
    browser = Browser()
    logged = None
    try:
        for arg in sys.argv[4:]:
            name, path = arg.split("=", 1)
            path, _, script = path.partition("|")
            # SHOT_PORTAL_LOGIN: another portal user (e.g. a 3PL brand's, alpine), password = login.
            login = os.environ.get("SHOT_PORTAL_LOGIN", "portal") if name.startswith("portal") else "admin"
            if login != logged:
                browser.call("Network.clearBrowserCookies")
                browser.call("Network.setCookie", name="session_id", value=session_id(base, db, login, login),
                             url=base)
                logged = login
            browser.shoot(base + path, f"{out}/{name}.png", script=script or None,
                          settle=6.0 if path == "/my" else 3.0)  # the portal home counts its documents late
            print(name)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
