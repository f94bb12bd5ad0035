from . import test_kit_returns
from . import test_kit_grading
