"""Open an Odoo environment on a benchmark database, creating it with the addons when missing."""

import os
import subprocess
import sys
from contextlib import contextmanager

import odoo
from odoo import SUPERUSER_ID, api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODOO_HOME = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
ADDONS_PATH = ",".join([os.path.join(ODOO_HOME, "addons"), os.path.join(ODOO_HOME, "odoo", "addons"), ROOT])


def ensure_database(name, modules):
    """Install `modules` (no demo data) into database `name` unless they already are."""
    installed = subprocess.run(
        ["psql", "-d", name, "-Atc",
         "select count(*) from ir_module_module where state = 'installed' and name = any(%s)"
         % ("array[" + ",".join(f"'{m}'" for m in modules) + "]")],
        capture_output=True, text=True,
    )
    if installed.returncode == 0 and installed.stdout.strip() == str(len(modules)):
        return
    print(f"Creating database {name} with {', '.join(modules)} (a few minutes)...", file=sys.stderr)
    subprocess.run(
        [sys.executable, os.path.join(ODOO_HOME, "odoo-bin"), f"--addons-path={ADDONS_PATH}", "-d", name,
         "-i", ",".join(modules), "--without-demo=all", "--stop-after-init", "--log-level=warn", "--no-http"],
        check=True,
    )


_PARSED = []


@contextmanager
def odoo_env(database):
    # Odoo's configuration can be parsed once per process; later environments reuse it.
    if not _PARSED:
        odoo.tools.config.parse_config([f"--addons-path={ADDONS_PATH}", "-d", database, "--log-level=warn"])
        _PARSED.append(database)
    registry = odoo.modules.registry.Registry(database)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})
