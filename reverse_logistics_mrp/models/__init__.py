from . import return_order
from . import return_order_line
from . import return_grading
from . import stock_move
from . import stock_rule
