from . import test_returnable_assets
from . import test_packaging_register
from . import test_deposit_ledger
from . import test_asset_return_paths
from . import test_asset_rental_losses
from . import test_asset_roles
from . import test_asset_rpc
from . import test_asset_invariants
