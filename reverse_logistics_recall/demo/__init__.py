from . import recall_demo
