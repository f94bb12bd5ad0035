from . import test_return_order
from . import test_return_order_queries
from . import test_grading_disposition
from . import test_grading_station_tour
from . import test_metrics
from . import test_return_portal
from . import test_weee_register
