"""Structured logs: one JSON object a line with fixed keys (ts, level, stage, event, plus context)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_FIXED = ("ts", "level", "stage", "event")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "stage": getattr(record, "stage", record.name.removeprefix("storyline.")),
            "event": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(payload, default=str)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("storyline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class StageLogger:
    """A logger bound to one pipeline stage: ``log.info("fetched", url=..., status=...)``."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._logger = logging.getLogger(f"storyline.{stage}")

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        self._logger.log(level, event, extra={"stage": self.stage, "fields": fields}, exc_info=exc_info)

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)


def get_logger(stage: str) -> StageLogger:
    return StageLogger(stage)
