"""The Fever API (version 3, as its published document defines it) at ``/fever/``: every request carries
``api_key`` = md5("username:API password"); ``?api`` with ``groups``, ``feeds``, ``favicons``, ``items``
(``since_id``, ``max_id``, ``with_ids``), ``links`` (always empty), ``unread_item_ids``, ``saved_item_ids`` and
``mark``. Follows are feeds, grouped by kind; stories are the items of a Stories feed in a Stories group."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MultiDict

from storyline.readers import streams as s
from storyline.store import apps as store
from storyline.store import writing
from storyline.store.models import User
from storyline.web.apps import keys
from storyline.web.apps.greader import Params
from storyline.web.apps.view import AppReader, Item, ids_of
from storyline.web.deps import Db

router = APIRouter(include_in_schema=False)
API_VERSION = 3
ITEMS_A_PAGE = 50
# The Stories feed and group (ids no follow or kind takes: feed ids are follow ids, within 32 bits).
STORIES_FEED_ID = 2**31 - 1
GROUPS = {kind: number for number, kind in enumerate(s.FOLDERS, 1)}
STORIES_GROUP = len(GROUPS) + 1
FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"


def favicon() -> dict:
    data = base64.b64encode(FAVICON.read_bytes()).decode("ascii")
    return {"id": 1, "data": f"image/svg+xml;base64,{data}"}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def feed_id(item: Item) -> int:
    """The follow the item came through (0 for a saved article no follow reaches)."""
    if item.story_id is not None:
        return STORIES_FEED_ID
    number = item.origin.removeprefix("feed/")
    return int(number) if number.isdigit() else 0


def item_json(item: Item) -> dict:
    return {
        "id": item.id,
        "feed_id": feed_id(item),
        "title": item.title,
        "author": item.author or "",
        "html": item.html,
        "url": item.url,
        "is_saved": int(item.starred),
        "is_read": int(item.read),
        "created_on_time": epoch(item.published),
    }


def feeds_groups(reader: AppReader) -> list[dict]:
    groups = [
        {"group_id": number, "feed_ids": ",".join(str(f.id) for f in reader.follows if f.kind == kind)}
        for kind, number in GROUPS.items()
        if any(f.kind == kind for f in reader.follows)
    ]
    return groups + [{"group_id": STORIES_GROUP, "feed_ids": str(STORIES_FEED_ID)}]


def groups(reader: AppReader) -> dict:
    listed = [
        {"id": GROUPS[kind], "title": s.FOLDERS[kind]} for kind in GROUPS if any(f.kind == kind for f in reader.follows)
    ]
    return {"groups": listed + [{"id": STORIES_GROUP, "title": s.STORIES_LABEL}], "feeds_groups": feeds_groups(reader)}


def feeds(reader: AppReader) -> dict:
    now = epoch(datetime.now(timezone.utc))
    listed = [
        {
            "id": f.id,
            "favicon_id": 1,
            "title": reader.follow_title(f),
            "url": f"{reader.base}/reader/atom/{s.follow_stream(f.id)}",
            "site_url": reader.follow_url(f),
            "is_spark": 0,
            "last_updated_on_time": now,
        }
        for f in reader.follows
    ]
    stories = {
        "id": STORIES_FEED_ID,
        "favicon_id": 1,
        "title": s.STORIES_LABEL,
        "url": f"{reader.base}/reader/atom/{s.STORIES_FEED}",
        "site_url": reader.base + "/en/",
        "is_spark": 0,
        "last_updated_on_time": now,
    }
    return {"feeds": listed + [stories], "feeds_groups": feeds_groups(reader)}


def number(values: MultiDict, name: str) -> int | None:
    value = values.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else None


def items(reader: AppReader, values: MultiDict) -> dict:
    """Fifty items: those of ``with_ids``, or after ``since_id`` (ascending), or before ``max_id`` (descending),
    or the first fifty; ``total_items`` counts the reading list."""
    where = [reader.reach_clause, *reader.mute]
    if "with_ids" in values:
        found = reader.by_item_ids(ids_of(values.get("with_ids", ""))[:ITEMS_A_PAGE])
    else:
        rows = store.id_page(
            reader.db,
            where,
            reader.read_row,
            reader.starred,
            number(values, "since_id"),
            number(values, "max_id"),
            ITEMS_A_PAGE,
        )
        found = reader.article_items(rows)
    return {"items": [item_json(item) for item in found], "total_items": store.count_articles(reader.db, where)}


def unread_item_ids(reader: AppReader) -> str:
    ids = [article_id for article_id, _, _ in reader.unread()] + [item.id for item in reader.unread_stories()]
    return ",".join(str(i) for i in sorted(ids))


def saved_item_ids(reader: AppReader) -> str:
    return ",".join(str(i) for i in store.saved_ids(reader.db, reader.user.id))


def mark(reader: AppReader, values: MultiDict) -> dict:
    """``mark=item`` with ``as=read|unread|saved|unsaved``; ``mark=feed|group`` with ``as=read`` and ``before``
    (seconds: what was published up to then). Answers with the unread and saved ids as they now are."""
    kind, action, target = values.get("mark"), values.get("as"), number(values, "id")
    before = values.get("before")
    until = datetime.fromtimestamp(int(before), timezone.utc) if before and before.isdigit() else None
    if kind == "item" and target is not None:
        if action in ("read", "unread"):
            reader.set_read([target], action == "read")
        elif action in ("saved", "unsaved"):
            reader.set_starred([target], action == "saved")
    elif kind in ("feed", "group") and action == "read" and target is not None:
        reader.mark_all_read(stream_of(kind, target), until)
    reader.db.commit()
    return {"unread_item_ids": unread_item_ids(reader), "saved_item_ids": saved_item_ids(reader)}


def stream_of(kind: str, target: int) -> s.Stream:
    if (kind == "feed" and target == STORIES_FEED_ID) or (kind == "group" and target == STORIES_GROUP):
        return s.Stream("stories")
    if kind == "feed":
        return s.Stream("follow", follow_id=target)
    folder = next((k for k, n in GROUPS.items() if n == target), None)
    return s.Stream("folder", folder=folder) if folder else s.Stream("reading-list")


def fever_user(request: Request, db: Db, values: Params) -> User:
    return keys.fever_reader(request, db, values.get("api_key"))


@router.api_route("/fever/", methods=["GET", "POST"])
@router.api_route("/fever", methods=["GET", "POST"])
def fever(request: Request, db: Db, values: Params) -> Response:
    try:
        user = fever_user(request, db, values)
    except keys.ApiUnauthorized:
        return JSONResponse({"api_version": API_VERSION, "auth": 0})
    if "mark" in values:
        writing(db)  # what the reader's view loads is then read under the write lock the marks need
    reader = AppReader(db, user, str(request.base_url))
    body: dict = {"api_version": API_VERSION, "auth": 1, "last_refreshed_on_time": epoch(datetime.now(timezone.utc))}
    if "mark" in values:
        body |= mark(reader, values)
    if "groups" in values:
        body |= groups(reader)
    if "feeds" in values:
        body |= feeds(reader)
    if "favicons" in values:
        body["favicons"] = [favicon()]
    if "items" in values:
        body |= items(reader, values)
    if "links" in values:
        body["links"] = []
    if "unread_item_ids" in values:
        body["unread_item_ids"] = unread_item_ids(reader)
    if "saved_item_ids" in values:
        body["saved_item_ids"] = saved_item_ids(reader)
    return JSONResponse(body)
