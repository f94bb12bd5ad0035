from . import test_return_labels
