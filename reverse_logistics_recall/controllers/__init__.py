from . import portal
from . import fsma
