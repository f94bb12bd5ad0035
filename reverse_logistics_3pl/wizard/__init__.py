from . import return_announcement_import
from . import return_blind_parcel_receive
from . import return_blind_parcel_match
