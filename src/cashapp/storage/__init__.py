"""The only place SQL lives: the engine and sessions, the tables (``*Row``), repositories and
the Alembic migrations. The database itself guards the money invariants.
"""
