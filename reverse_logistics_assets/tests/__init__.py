from . import test_returnable_assets
