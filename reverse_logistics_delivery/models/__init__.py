from . import return_order
from . import return_policy
from . import stock_move
from . import stock_picking
