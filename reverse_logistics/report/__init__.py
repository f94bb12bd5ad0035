from . import return_product_rate_report
from . import return_metrics_dashboard
