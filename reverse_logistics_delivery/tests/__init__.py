from . import test_return_carrier_policy
