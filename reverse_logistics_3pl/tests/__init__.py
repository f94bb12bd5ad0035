from . import test_client_rules
