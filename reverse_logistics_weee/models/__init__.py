from . import product_template
from . import return_disposition
from . import return_grading
from . import return_order
from . import return_type
from . import stock_move
