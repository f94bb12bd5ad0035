from . import return_client_fee
from . import return_client_fee_event
from . import return_disposition_rule
from . import return_grading
from . import return_order
from . import return_order_line
from . import return_policy
from . import stock_move
