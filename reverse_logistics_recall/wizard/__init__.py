from . import recall_consignee_answer
from . import recall_consignee_destruction
