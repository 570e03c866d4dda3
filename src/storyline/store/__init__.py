"""Storage: every SQL statement of the project lives in this package (``queries`` holds one short function a query)."""

from storyline.store.db import make_engine, make_session_factory, migrate, reading, transaction, writing

__all__ = ["make_engine", "make_session_factory", "migrate", "reading", "transaction", "writing"]
