from . import test_kit_returns
