"""pytest plugin for bin/test's run of Odoo's own test suites on the project's test database.

Loaded with ``-p odoo_suites`` for that run only (the project's tests keep conftest.py's rules). Every
collected Odoo test runs; nothing is deselected. The known baseline in odoo_baseline.txt says which tests
fail, or skip themselves, on a database with only the addons' dependencies:

- a baseline failure is marked xfail with the exception it raises without the addons: it still runs, and
  failing in any other way (another exception) fails the run;
- a test that skips itself is accepted only if listed, with its reason printed in the summary; any other
  skip fails the run, as a skip does in the project's own tests.

Test ids are relative to Odoo's addons directory (bin/test passes it as --rootdir).
"""

import builtins
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

BASELINE_FILE = Path(__file__).with_name("odoo_baseline.txt")


def _read_baseline(path=BASELINE_FILE):
    """{test id: (kind, exception name or None, reason)} from the baseline file's entries."""
    entries, group, reading_reason = {}, [], False
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():  # an indented reason belongs to the entries listed just above it
            if not group:
                raise pytest.UsageError(f"{path.name}: a reason without an entry: {line}")
            for test_id in group:
                entries[test_id][2].append(line.strip())
            reading_reason = True
            continue
        if reading_reason:
            group, reading_reason = [], False
        kind, test_id, *exc = line.split()
        if kind not in ("fail", "skip") or len(exc) != (kind == "fail"):
            raise pytest.UsageError(f"{path.name}: expected 'fail <test id> <exception>' or 'skip <test id>': {line}")
        entries[test_id] = [kind, exc[0] if exc else None, []]
        group.append(test_id)
    if group and not reading_reason:
        raise pytest.UsageError(f"{path.name}: no reason given for {', '.join(group)}")
    return {test_id: (kind, exc, " ".join(reason)) for test_id, (kind, exc, reason) in entries.items()}


def _exception_class(name):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module) if module else builtins, attr)


class OdooSuites:
    def __init__(self):
        self.baseline = _read_baseline()
        self.suites = defaultdict(lambda: defaultdict(float))  # addon -> outcome counts and seconds
        self.outcome = {}  # test id -> passed / failed / xfailed / xpassed / skipped
        self.skip_messages = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            kind, exc, reason = self.baseline.get(item.nodeid, (None, None, None))
            if kind == "fail":
                item.add_marker(pytest.mark.xfail(raises=_exception_class(exc), strict=False,
                                                  reason=f"{exc}, as without the addons ({BASELINE_FILE.name})"))

    def pytest_runtest_logreport(self, report):
        suite = self.suites[report.nodeid.split("/", 1)[0]]
        suite["seconds"] += report.duration
        if hasattr(report, "wasxfail"):
            outcome = "xpassed" if report.passed else "xfailed"
        elif report.skipped:
            outcome = "skipped"
            self.skip_messages[report.nodeid] = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        elif report.failed:
            outcome = "failed"
        elif report.when == "call":
            outcome = "passed"
        else:
            return
        # A test counts once, by its worst phase (a teardown error after a pass is a failure).
        if self.outcome.get(report.nodeid) not in ("failed", "skipped", "xfailed"):
            self.outcome[report.nodeid] = outcome

    def _unexpected_skips(self):
        return [t for t, o in self.outcome.items() if o == "skipped" and self.baseline.get(t, ("",))[0] != "skip"]

    def pytest_sessionfinish(self, session):
        if self._unexpected_skips() and session.exitstatus == 0:
            session.exitstatus = 1

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        totals = defaultdict(lambda: defaultdict(float))
        for test_id, outcome in self.outcome.items():
            totals[test_id.split("/", 1)[0]][outcome] += 1
        terminalreporter.section("Odoo suites")
        for addon in sorted(totals):
            counts = ", ".join(f"{int(n)} {o}" for o, n in sorted(totals[addon].items()))
            write(f"{addon:<16} {int(sum(totals[addon].values())):>5} tests in "
                  f"{self.suites[addon]['seconds']:>6.0f}s: {counts}")
        for test_id, (kind, _exc, reason) in sorted(self.baseline.items()):
            outcome, expected = self.outcome.get(test_id), {"fail": "xfailed", "skip": "skipped"}[kind]
            if outcome == "skipped" == expected:  # pytest's summary shows Odoo's message; this is ours
                write(f"skipped by Odoo itself, as without the addons: {test_id}: {reason}")
            elif outcome not in (expected, "failed", None):
                # Not a failure of the project, but the baseline file is out of date.
                write(f"baseline entry '{kind}' did not happen ({outcome}): {test_id}", yellow=True)
        for test_id in self._unexpected_skips():
            write(f"FAILED: skipped, and not a known self-skip of Odoo's: {test_id}: "
                  f"{self.skip_messages.get(test_id, '')}", red=True)


def pytest_configure(config):
    config.pluginmanager.register(OdooSuites(), "odoo_suites_baseline")
