from . import test_numbers_everywhere
