from . import return_order
from . import return_policy
from . import stock_picking
