from . import test_weee_register
from . import test_weee_facts_frozen
