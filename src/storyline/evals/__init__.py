"""Quality evaluations and speed benchmarks, run on demand (``storyline eval``, ``storyline bench``)."""
