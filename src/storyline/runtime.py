"""The long-lived parts a process needs (settings, database, online story engine), built once at start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storyline.config import Settings, get_settings
from storyline.store import make_engine, make_session_factory, migrate, reading


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _processor: object | None = field(default=None, repr=False)
    # One writer places articles into stories, so story ids stay consistent within the process.
    write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings | None = None, run_migrations: bool = True) -> "Runtime":
        settings = settings or get_settings()
        engine = make_engine(settings.database_url)
        if run_migrations:
            migrate(engine)
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine))

    @property
    def processor(self):  # -> storyline.pipeline.Processor, imported late: models load only when needed
        if self._processor is None:
            from storyline.pipeline import Processor, rebuild_engine

            with reading(self.sessions) as session:
                self._processor = Processor(rebuild_engine(session))
        return self._processor

    @contextmanager
    def writer(self) -> Iterator:  # -> Iterator[Processor]
        """The processor, for the one writer at a time. When what it writes fails, the processor is dropped,
        to be rebuilt from the database when next needed: its engine holds the placements (and the refinement
        passes not yet stored) that the failed transaction rolled back."""
        with self.write_lock:
            try:
                yield self.processor
            except BaseException:
                self._processor = None
                raise

    @property
    def loaded_processor(self):  # -> Processor | None, without loading the models when none was built yet
        return self._processor

    def close(self) -> None:
        self.engine.dispose()
