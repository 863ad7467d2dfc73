"""Domain records in, ranked proposals with evidence out: candidates, features, the learned
scorer, allocation search and the decision. Pure: no database.
"""
