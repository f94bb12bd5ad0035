from . import test_return_order
