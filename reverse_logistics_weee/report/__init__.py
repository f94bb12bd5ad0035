from . import weee_register_line
