from . import reverse_logistics_compliance_register_mixin
from . import return_product_rate_report
from . import return_metrics_dashboard
from . import return_analysis
from . import return_recovery_estimate_report
