from . import test_kit_returns
from . import test_kit_grading
from . import test_kit_credit_invariants
