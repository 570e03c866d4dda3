"""Reader apps' view of a reader (the Google Reader and Fever APIs): which stream an id names, what an item id
is, where a page continues, and which follow an article reaches the reader through. Plain values, no queries."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from storyline.errors import InputError

STATE = "user/-/state/com.google/"
LABEL = "user/-/label/"
READING_LIST = STATE + "reading-list"
READ = STATE + "read"
STARRED = STATE + "starred"
KEPT_UNREAD = STATE + "kept-unread"
ITEM_PREFIX = "tag:google.com,2005:reader/item/"
# The label that holds one item a story, and the one each article carries for its story.
STORIES_LABEL = "Stories"
STORY_LABEL_PREFIX = "Story: "
STORIES_FEED = "feed/stories"
# Story items are numbered above every article id; below 2**53, so JavaScript clients keep them exact.
STORY_ITEM_BASE = 2**52
# What a follow of each kind is filed under (the apps' folders).
FOLDERS = {
    "hashtag": "Hashtags",
    "outlet": "Outlets",
    "section": "Sections",
    "story": "Followed stories",
    "search": "Saved searches",
}
KINDS_OF_FOLDER = {folder: kind for kind, folder in FOLDERS.items()}
DEFAULT_ITEMS = 20
MAX_ITEMS = 1000


@dataclass(frozen=True)
class Stream:
    """What a stream id names: ``kind`` is reading-list, read, starred, follow (``follow_id``), folder (``folder``
    kind of follow), stories (the Stories label), story (``story_title``: every article of the story so called),
    or empty (a state Storyline does not keep: broadcast, like, ...)."""

    kind: str
    follow_id: int | None = None
    folder: str | None = None
    story_title: str | None = None


def parse_stream(stream_id: str) -> Stream:
    """A stream id as clients send it ("user/1234/..." is the same as "user/-/..."), or InputError."""
    stream_id = stream_id.strip()
    if stream_id.startswith("user/"):
        _, _, rest = stream_id.partition("/")
        stream_id = "user/-/" + rest.partition("/")[2]
    if stream_id == READING_LIST:
        return Stream("reading-list")
    if stream_id == READ:
        return Stream("read")
    if stream_id == STARRED:
        return Stream("starred")
    if stream_id.startswith(STATE):
        return Stream("empty")
    if stream_id == STORIES_FEED:
        return Stream("stories")
    if stream_id.startswith("feed/"):
        number = stream_id.removeprefix("feed/")
        if number.isascii() and number.isdigit() and 0 < int(number) < 2**63:
            return Stream("follow", follow_id=int(number))
    if stream_id.startswith(LABEL):
        name = stream_id.removeprefix(LABEL)
        if name == STORIES_LABEL:
            return Stream("stories")
        if name in KINDS_OF_FOLDER:
            return Stream("folder", folder=KINDS_OF_FOLDER[name])
        if name.startswith(STORY_LABEL_PREFIX) and len(name) > len(STORY_LABEL_PREFIX):
            return Stream("story", story_title=name.removeprefix(STORY_LABEL_PREFIX))
    raise InputError("not a stream Storyline serves", subject=stream_id[:200])


def follow_stream(follow_id: int) -> str:
    return f"feed/{follow_id}"


def label_stream(name: str) -> str:
    return LABEL + name


def story_label(title: str) -> str:
    return label_stream(STORY_LABEL_PREFIX + " ".join(title.split()))


def long_item_id(item: int) -> str:
    return f"{ITEM_PREFIX}{item:016x}"


def parse_item_id(text: str) -> int:
    """An item id in any form clients send: long form (16 hex digits), decimal, or negative decimal (the
    original API's signed 64-bit form)."""
    text = text.strip()
    try:
        if text.startswith(ITEM_PREFIX):
            value = int(text.removeprefix(ITEM_PREFIX), 16)
        else:
            value = int(text, 10)
    except ValueError as exc:
        raise InputError("not an item id", subject=text[:100]) from exc
    if value < 0:
        value += 2**64
    if not 0 < value < 2**63:
        raise InputError("not an item id", subject=text[:100])
    return value


def is_story_item(item: int) -> bool:
    return item > STORY_ITEM_BASE


def story_item(story_id: int) -> int:
    return STORY_ITEM_BASE + story_id


def story_of_item(item: int) -> int:
    return item - STORY_ITEM_BASE


@dataclass(frozen=True)
class Cursor:
    """Where a page continues: after the item published at ``when`` with id ``item`` in the page's order."""

    when: datetime
    item: int


def encode_cursor(cursor: Cursor) -> str:
    usec = int(cursor.when.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{usec}:{cursor.item}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        usec, item = (int(part) for part in raw.split(":"))
        return Cursor(datetime.fromtimestamp(usec / 1_000_000, timezone.utc), item)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError, OSError) as exc:
        raise InputError("not a continuation this server gave", subject=text[:100]) from exc


@dataclass(frozen=True)
class Query:
    """A stream request's options: ``n`` items, oldest first (``r=o``), published after ``since`` (``ot``) and
    before ``until`` (``nt``), unread only (``xt`` read) or read only (``it`` read), starred only or not starred
    (``it``/``xt`` starred), continuing after ``after`` (``c``)."""

    n: int = DEFAULT_ITEMS
    oldest_first: bool = False
    since: datetime | None = None
    until: datetime | None = None
    read: bool | None = None
    starred: bool | None = None
    after: Cursor | None = None


def epoch(value: str | None) -> datetime | None:
    """``ot``/``nt``/``ts``: seconds since the epoch (some clients send milliseconds or microseconds: all read)."""
    if not value:
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise InputError("a time is seconds since the epoch", subject=value[:40]) from exc
    if number > 10**14:
        number //= 1_000_000
    elif number > 10**11:
        number //= 1_000
    return datetime.fromtimestamp(max(0, min(number, 2**33)), timezone.utc)


def parse_query(
    n: str | None = None,
    r: str | None = None,
    ot: str | None = None,
    nt: str | None = None,
    xt: Sequence[str] = (),
    it: Sequence[str] = (),
    c: str | None = None,
) -> Query:
    try:
        count = int(n) if n else DEFAULT_ITEMS
    except ValueError as exc:
        raise InputError("n is a number of items", subject=str(n)[:40]) from exc
    read = starred = None
    for value, wanted in [*((x, False) for x in xt), *((i, True) for i in it)]:
        state = parse_stream(value)
        if state.kind == "read":
            read = wanted
        elif state.kind == "starred":
            starred = wanted
    return Query(
        n=max(1, min(count, MAX_ITEMS)),
        oldest_first=r == "o",
        since=epoch(ot),
        until=epoch(nt),
        read=read,
        starred=starred,
        after=decode_cursor(c) if c else None,
    )


@dataclass(frozen=True)
class Reach:
    """What the reader's follows reach, resolved to ids: an article is in the reading list when it is in one of
    these. ``by_follow`` keeps, for each follow id, the kind and the resolved value it matches on."""

    entity_ids: frozenset[int] = frozenset()
    outlet_ids: frozenset[int] = frozenset()
    sections: frozenset[str] = frozenset()
    story_ids: frozenset[int] = frozenset()
    article_ids: frozenset[int] = frozenset()
    by_follow: tuple[tuple[int, str, frozenset], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entity_ids or self.outlet_ids or self.sections or self.story_ids or self.article_ids)


def make_reach(resolved: Iterable[tuple[int, str, Iterable]]) -> Reach:
    """From (follow id, kind, values it matches: entity ids, outlet ids, section names, story ids or article
    ids), in the order the follows should be credited."""
    by_follow = tuple((follow_id, kind, frozenset(values)) for follow_id, kind, values in resolved)

    def union(kind: str) -> frozenset:
        return frozenset().union(*(values for _, k, values in by_follow if k == kind))

    return Reach(union("hashtag"), union("outlet"), union("section"), union("story"), union("search"), by_follow)


def follows_of(
    reach: Reach, article_id: int, outlet_id: int, section: str | None, story_id: int | None, entity_ids: frozenset[int]
) -> list[int]:
    """Every follow the article reaches the reader through, in the reach's order: the first is its "feed" in an
    app, and each counts it as unread."""
    facts = {
        "hashtag": entity_ids,
        "outlet": {outlet_id},
        "section": {section},
        "story": {story_id},
        "search": {article_id},
    }
    return [follow_id for follow_id, kind, values in reach.by_follow if values & facts[kind]]
