from . import return_announcement_import
