from . import returnable_asset_return
from . import returnable_asset_loss
