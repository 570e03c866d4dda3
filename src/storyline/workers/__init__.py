"""Scale-out: Celery workers on Redis.

Work splits along the pipeline's one seam. Collection and analysis (fetch, extract, spaCy, MiniLM) are
stateless and run on any number of workers (queue ``storyline``). Placing an article into a story is not: the
online story engine keeps every open story's centroid in memory and hands out story ids, so placement runs on
the queue ``stories``, consumed by exactly one worker process with concurrency 1 — the single writer.

Why one consumer rather than many writers behind an advisory lock: a lock would serialise the writes, but
every writer would still hold its own in-memory engine that goes stale the moment another writer commits, so
each task would have to rebuild the engine from the database (a replay of a week of articles) before it could
place anything. The single consumer keeps one warm engine, places articles in arrival order, and costs
nothing in lock waits while the analysis workers scale freely. The advisory lock is still taken on
PostgreSQL, only as a guard: a misconfigured second consumer is serialised, detected and resynchronised.
"""
