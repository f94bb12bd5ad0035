from . import packaging_reuse_register
