from . import weee_register
