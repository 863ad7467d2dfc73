"""Repositories: the queries the use cases need, one module per part of the schema.

Functions take the session first, flush but never commit (the edge owns the transaction),
and raise cashapp errors for the database's refusals (``storage.errors``).
"""
