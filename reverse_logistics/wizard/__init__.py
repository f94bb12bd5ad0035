from . import return_policy_override
from . import return_order_reject
from . import return_liquidation_sale
from . import return_order_create
