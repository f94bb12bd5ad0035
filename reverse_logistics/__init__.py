from . import controllers
from . import models
from . import report
from . import wizard


def _create_warehouse_return_data(env):
    """Give warehouses that existed before the install their triage location and Returns type."""
    env["stock.warehouse"].search([("return_type_id", "=", False)])._ensure_return_setup()
    policy = env["return.policy"]
    for company in env["res.company"].search([]):
        if not policy._get_default_policy(company):
            policy.create(company._prepare_default_return_policy_vals())
