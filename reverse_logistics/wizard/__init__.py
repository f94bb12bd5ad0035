from . import return_policy_override
from . import return_order_reject
