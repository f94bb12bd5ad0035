from . import test_client_rules
from . import test_client_service_levels
