from . import test_recall_flow
from . import test_recall_trace_save
from . import test_recall_scale
