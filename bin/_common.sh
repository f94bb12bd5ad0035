# Shared by bin/run and bin/test: locate the project, Odoo 18 and PostgreSQL. Sourced, not run.
RL_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
RL_MODULES=reverse_logistics,reverse_logistics_recall,reverse_logistics_assets,reverse_logistics_weee,reverse_logistics_3pl,reverse_logistics_delivery,reverse_logistics_spreadsheet_dashboard
# Test-only addons (Odoo's "Hidden/Tests" kind): bin/test installs them, bin/run and the wheels never do.
# test_reverse_logistics_delivery defines a carrier type for the return label tests.
RL_TEST_MODULES=test_reverse_logistics_delivery

rl_die() { echo "error: $*" >&2; exit 1; }

# Odoo comes from the user's installation: whatever `python3 -c 'import odoo'` finds (RL_PYTHON overrides).
rl_require_odoo() {
    RL_PYTHON=${RL_PYTHON:-python3}
    local info
    info=$("$RL_PYTHON" -c 'import os, odoo
print(odoo.release.version_info[0])
print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))' 2>/dev/null) \
        || rl_die "Odoo is not installed: '$RL_PYTHON -c \"import odoo\"' fails. Install Odoo 18.0 (see README)."
    local major; major=$(echo "$info" | sed -n 1p)
    ODOO_HOME=$(echo "$info" | sed -n 2p)
    [ "$major" = "18" ] || rl_die "Odoo 18.0 is required; '$RL_PYTHON' imports Odoo $major from $ODOO_HOME."
    ODOO_BIN="$ODOO_HOME/odoo-bin"
    [ -f "$ODOO_BIN" ] || rl_die "odoo-bin not found beside the odoo package in $ODOO_HOME."
    ADDONS_PATH="$ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$RL_ROOT"
    [ -d "$ODOO_HOME/addons/sale_stock" ] || rl_die "Odoo's addons are missing from $ODOO_HOME/addons."
}

# PostgreSQL must answer for the current user; start the local cluster when it is down.
rl_require_postgres() {
    command -v psql >/dev/null || rl_die "PostgreSQL is not installed (no psql). Install PostgreSQL 15."
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        if command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
            pg_ctlcluster 15 main start >/dev/null 2>&1 || true
            sleep 2
            # A fresh machine has no role for the user running Odoo yet.
            su postgres -c "psql -Atc \"select 1 from pg_roles where rolname='$(id -un)'\"" 2>/dev/null | grep -q 1 \
                || su postgres -c "createuser --superuser $(id -un)" >/dev/null 2>&1 || true
        fi
        psql -d postgres -Atc 'select 1' >/dev/null 2>&1 \
            || rl_die "PostgreSQL does not answer for user $(id -un): start it (pg_ctlcluster 15 main start) and create a role for this user."
    fi
}
