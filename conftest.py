"""Project-wide pytest hooks: a skipped test counts as a failure here.

pytest-odoo and Odoo skip HttpCase and tour tests silently when the browser, websocket-client or
--odoo-http is missing; this project treats that as a failing run.
"""


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"FAILED: {skipped} test(s) were skipped; skipped tests count as failures.", red=True)
        session.exitstatus = 1
