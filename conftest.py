"""Project-wide pytest hooks: a skipped test counts as a failure here.

pytest-odoo and Odoo skip HttpCase and tour tests silently when the browser, websocket-client or
--odoo-http is missing; this project treats that as a failing run.
"""


def _skipped(session_or_config):
    reporter = session_or_config.pluginmanager.get_plugin("terminalreporter")
    return len(reporter.stats.get("skipped", [])) if reporter else 0


def pytest_sessionfinish(session, exitstatus):
    if _skipped(session.config) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = _skipped(config)
    if skipped:
        terminalreporter.write_line(
            f"FAILED: {skipped} test(s) skipped; a skipped test counts as a failure in this project.", red=True)
