from . import portal
from . import guest_return
