"""JSON Lines import: one article a line. Each line is judged on its own; a bad line is reported by number
and never stops the rest.

A line is a JSON object with ``url`` (required) and optional strings ``title``, ``text``, ``html``,
``source``, ``published`` (ISO 8601), ``language``, ``author``, ``image_url`` and ``id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from storyline.domain import ArticleInput
from storyline.errors import InputError
from storyline.fetch import FIELD_LIMITS
from storyline.fetch.urls import require_http_url
from storyline.moments import parse_moment

MAX_LINE_CHARS = 8 * 1024 * 1024
TEXT_FIELDS = ("title", "text", "html", "source", "language", "author")
KNOWN_FIELDS = frozenset({*TEXT_FIELDS, "url", "published", "image_url", "id"})


def read_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, ArticleInput | InputError]]:
    """Yields (1-based line number, article or the error that rejected the line); blank lines are skipped."""
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield line_number, parse_line(line)
        except InputError as exc:
            yield line_number, exc


def parse_line(line: str) -> ArticleInput:
    if len(line) > MAX_LINE_CHARS:
        raise InputError(f"line longer than {MAX_LINE_CHARS} characters")
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:  # ValueError covers bad JSON and numbers too long to convert
        raise InputError(f"not valid JSON: {_reason(exc)}") from exc
    if not isinstance(record, dict):
        raise InputError(f"a line must be a JSON object, not {_json_type(record)}")
    if "url" not in record:
        raise InputError("missing required field 'url'")
    url = require_http_url(_text("url", record["url"], limit=None) or "")
    values = {name: _text(name, record.get(name), FIELD_LIMITS[name]) for name in TEXT_FIELDS}
    published = _text("published", record.get("published"), limit=100)
    published_at = parse_moment(published) if published else None
    if published and published_at is None:
        raise InputError("field 'published' is not an ISO 8601 date", subject=published[:100])
    return ArticleInput(
        url=url,
        published=published_at,
        image_url=_image_url(record),
        external_id=_external_id(record),
        **values,
    )


def _text(name: str, value: object, limit: int | None) -> str | None:
    """A present field must be a string (or null); blank counts as absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"field '{name}' must be a string, not {_json_type(value)}")
    if limit is not None and len(value) > limit:
        raise InputError(f"field '{name}' is longer than {limit} characters")
    return value.strip() or None


def _image_url(record: dict[str, Any]) -> str | None:
    """An image is decoration: one that is not a plain http(s) URL is dropped, not a reason to reject."""
    value = record.get("image_url")
    try:
        return require_http_url(value) if isinstance(value, str) and value.strip() else None
    except InputError:
        return None


def _external_id(record: dict[str, Any]) -> str | None:
    """Numeric ids, common in exported data sets, are kept as their decimal string."""
    value = record.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text("id", value, FIELD_LIMITS["id"])


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _reason(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else exc.__class__.__name__
