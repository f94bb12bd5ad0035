from . import test_recall_flow
from . import test_recall_trace_save
from . import test_recall_scale
from . import test_recall_block
from . import test_recall_rpc
from . import test_recall_effectiveness
from . import test_recall_returns
from . import test_recall_coordinator
