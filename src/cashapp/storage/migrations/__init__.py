"""Alembic migrations of the cashapp schema (run by ``storage.migrate.upgrade_to_head``)."""
