"""The Celery application, configured from ``Settings`` (``STORYLINE_BROKER_URL``, a Redis URL).

Delivery is at least once: a task is acknowledged only after it finished (``task_acks_late``) and is handed
back to the queue when its worker process dies (``task_reject_on_worker_lost``); every task is idempotent, so
a redelivery duplicates nothing. Any Celery setting can be overridden from a Python module named in
``STORYLINE_CELERY_CONFIG`` (for example a shorter ``broker_transport_options`` visibility timeout).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from celery import Celery

from storyline.config import Settings, get_settings
from storyline.errors import ConfigError

ANALYSIS_QUEUE = "storyline"
STORIES_QUEUE = "stories"
POLL_EVERY_S = 60.0
OVERRIDES_ENV = "STORYLINE_CELERY_CONFIG"
# How long an unacknowledged message stays invisible before Redis hands it to another worker: longer than
# any task runs, so a slow task is not delivered twice while it is still running.
VISIBILITY_TIMEOUT_S = 3600


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ConfigError("workers need a broker: set STORYLINE_BROKER_URL, e.g. redis://127.0.0.1:6379/0")
    celery = Celery("storyline", broker=settings.broker_url, include=["storyline.workers.tasks"])
    celery.conf.update(
        dict(
            task_serializer="json",
            accept_content=["json"],
            task_ignore_result=True,
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            task_default_queue=ANALYSIS_QUEUE,
            task_routes={
                "storyline.place_and_store": {"queue": STORIES_QUEUE},
                "storyline.learn_entities": {"queue": STORIES_QUEUE},
            },
            broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
            broker_connection_retry_on_startup=True,
            beat_schedule={
                "dispatch-due-feeds": {"task": "storyline.dispatch_due", "schedule": POLL_EVERY_S},
                "refresh-stale-stories": {"task": "storyline.refresh_stories", "schedule": POLL_EVERY_S},
                "send-alerts": {"task": "storyline.send_alerts", "schedule": POLL_EVERY_S},
                "sweep-backlog": {"task": "storyline.sweep_backlog", "schedule": POLL_EVERY_S},
                "refetch-excerpts": {"task": "storyline.refetch_excerpts", "schedule": POLL_EVERY_S},
            },
        )
    )
    celery.conf.update(_overrides(os.environ.get(OVERRIDES_ENV)))
    return celery


def _overrides(module_name: str | None) -> dict[str, Any]:
    """The public names of the module named in ``STORYLINE_CELERY_CONFIG``: operators' overrides."""
    if not module_name:
        return {}
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import Celery overrides module {module_name!r}") from exc
    return {name: value for name, value in vars(module).items() if not name.startswith("_")}


def _app_for_import() -> Celery:
    settings = get_settings()
    if settings.broker_url:
        return make_celery(settings)
    # Importing the task module must not need a broker (the CLI and the tests import it everywhere); the entry
    # points that send or consume messages, ``enqueue_jsonl`` and ``run_worker``, refuse to run without one.
    return make_celery(settings.model_copy(update={"broker_url": "memory://"}))


app = _app_for_import()
