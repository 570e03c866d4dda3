"""Rate limits from the ``limits`` library: a moving window, in memory, or in Redis where every server process
counts together."""

from __future__ import annotations

import uuid

import pytest

from storyline.web.security import Limit, RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to answer means: no Redis here
        return f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}"
    return None


@pytest.mark.parametrize("storage", [None, "amqp://guest@127.0.0.1//"], ids=["no broker", "a RabbitMQ broker"])
def test_in_memory_a_limit_allows_its_count_then_says_when_to_retry(storage):
    limiter, key, limit = RateLimiter(storage), f"login:{uuid.uuid4()}", Limit(3, 60)
    assert [limiter.allow(key, limit) for _ in range(4)] == [True, True, True, False]
    assert 1 <= limiter.retry_after(key, limit) <= 61
    assert RateLimiter(storage).allow(key, limit)  # another process's memory: its own count


@pytest.mark.broker
def test_with_redis_every_process_counts_together():
    reason = redis_reason()
    if reason:
        pytest.skip(reason)
    first, second = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)
    key, limit = f"login:{uuid.uuid4()}", Limit(4, 60)
    assert [first.allow(key, limit), second.allow(key, limit), first.allow(key, limit)] == [True] * 3
    assert second.allow(key, limit) and not first.allow(key, limit) and not second.allow(key, limit)
