from . import packaging_reuse_register_line
from . import returnable_asset_analysis
from . import returnable_asset_statement
