from . import test_returns_dashboard
from . import test_returns_dashboard_tour
