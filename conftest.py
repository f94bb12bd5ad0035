"""Project-wide pytest hooks: a skipped test counts as a failure here.

pytest-odoo and Odoo skip HttpCase and tour tests silently when the browser, websocket-client or
--odoo-http is missing; this project treats that as a failing run.
"""
import pytest


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


@pytest.fixture(scope="session", autouse=True)
def _odoo_static_paths_once(load_http):
    """Odoo builds its table of static folders (`Application.statics`, a lazy property without a lock) on its
    first request; when a browser test opens its page, several first requests build it at once, and their
    parallel parsing of every manifest trips a CPython 3.11.7 bug (`SystemError: AST constructor recursion
    depth mismatch`, fixed in 3.11.8): one request fails, and the tour with it, at random. Built once here,
    after pytest-odoo has loaded the registry and started the server (`load_http`)."""
    import odoo.http

    odoo.http.root.statics  # noqa: B018 (the property computes and caches it)
    yield
