from . import returnable_asset_return
from . import returnable_asset_loss
from . import packaging_reuse_register
