from . import return_order_demo
