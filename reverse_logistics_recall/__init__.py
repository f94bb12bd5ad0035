from . import controllers
from . import models
from . import wizard
from . import demo
from . import report


def _create_quarantine_locations(env):
    """Warehouses that predate the addon get their quarantine location."""
    env["stock.warehouse"].search([("quarantine_location_id", "=", False)])._create_missing_locations({})
