from . import recall_analysis
