"""The Google Reader API, as FreshRSS and Miniflux serve it to reader apps, at the site root:
``/accounts/ClientLogin``, ``/reader/api/0/...`` and ``/reader/atom/<stream>`` (the Atom form FeedHQ clients,
newsboat's among them, read). JSON output only; parameters are read from the query and from form-encoded
bodies alike, as clients send either."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timezone
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import MultiDict

from storyline.errors import InputError
from storyline.fetch.urls import canonical_url
from storyline.readers import streams as s
from storyline.readers.follows import follow_of_page, new_feed_token
from storyline.store import apps as store
from storyline.store import readers as reader_store
from storyline.store.models import User
from storyline.web.apps import keys
from storyline.web.apps.view import AppReader, Item
from storyline.web.deps import Db, WriterDb
from storyline.web.security import secret_key

router = APIRouter(include_in_schema=False)
API = "/reader/api/0"
ATOM_NS = "http://www.w3.org/2005/Atom"
GR_NS = "http://www.google.com/schemas/reader/atom/"
MAX_UNREAD = 1000


class BadRequest(Exception):
    """A request the API cannot serve: answered 400 with the reason as plain text."""


async def params(request: Request) -> MultiDict:
    """Query and form parameters together (a POST's form-encoded body, or none)."""
    items = list(request.query_params.multi_items())
    if request.method == "POST":
        items += [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    return MultiDict(items)


Params = Annotated[MultiDict, Depends(params)]


def tokens(request: Request) -> keys.Tokens:
    if not hasattr(request.app.state, "greader_tokens"):
        request.app.state.greader_tokens = keys.Tokens(secret_key(request.app.state.runtime.settings))
    return request.app.state.greader_tokens


def api_user(request: Request, db: Db) -> User:
    """The reader named by ``Authorization: GoogleLogin auth=<token>``."""
    header = request.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    token = rest.strip().removeprefix("auth=") if scheme.lower() == "googlelogin" else ""
    if not token:
        raise keys.ApiUnauthorized
    return tokens(request).reader(db, token)


Reader = Annotated[User, Depends(api_user)]


def edit_user(request: Request, user: Reader, values: Params) -> User:
    """A write: a ``T`` token, when sent, must be one this server gave the reader (a stale one is answered
    401 with ``X-Reader-Google-Bad-Token: true``, so the client fetches a new one)."""
    token = values.get("T")
    if token is not None and not tokens(request).edit_valid(user, token):
        raise keys.ApiUnauthorized("bad token")
    return user


Editor = Annotated[User, Depends(edit_user)]


def view(request: Request, db: Session, user: User) -> AppReader:
    return AppReader(db, user, str(request.base_url))


def checked(call, *args):
    try:
        return call(*args)
    except InputError as exc:
        raise BadRequest(str(exc).removeprefix("input: ")) from exc


def usec(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


# Logging in ------------------------------------------------------------------------------------------


@router.api_route("/accounts/ClientLogin", methods=["GET", "POST"])
@router.api_route(f"{API}/accounts/ClientLogin", methods=["GET", "POST"])
def client_login(request: Request, db: Db, values: Params) -> Response:
    """``Email`` (the username) and ``Passwd`` (an API password) -> ``Auth``, as lines or, with ``output=json``,
    an object; a wrong pair is answered 401 ``Error=BadAuthentication``."""
    try:
        password = keys.login(request, db, values.get("Email", ""), values.get("Passwd", ""))
    except keys.ApiUnauthorized:
        return PlainTextResponse("Error=BadAuthentication\n", status_code=401)
    db.commit()
    auth = tokens(request).auth(password)
    if values.get("output") == "json":
        return JSONResponse({"SID": auth, "LSID": auth, "Auth": auth})
    return PlainTextResponse(f"SID={auth}\nLSID={auth}\nAuth={auth}\n")


@router.get(f"{API}/token")
def edit_token(request: Request, user: Reader) -> Response:
    return PlainTextResponse(tokens(request).edit(user))


@router.get(f"{API}/user-info")
def user_info(user: Reader) -> Response:
    return JSONResponse(
        {"userId": str(user.id), "userName": user.username, "userProfileId": str(user.id), "userEmail": ""}
    )


# Subscriptions and labels ----------------------------------------------------------------------------


def subscription(reader: AppReader, follow) -> dict:
    folder = s.FOLDERS[follow.kind]
    return {
        "id": s.follow_stream(follow.id),
        "title": reader.follow_title(follow),
        "categories": [{"id": s.label_stream(folder), "label": folder}],
        "url": f"{reader.base}/reader/atom/{s.follow_stream(follow.id)}",
        "htmlUrl": reader.follow_url(follow),
        "iconUrl": f"{reader.base}/static/favicon.svg",
        "firstitemmsec": str(int(follow.created_at.timestamp() * 1000)),
    }


@router.get(f"{API}/subscription/list")
def subscription_list(request: Request, db: Db, user: Reader) -> Response:
    reader = view(request, db, user)
    stories = {
        "id": s.STORIES_FEED,
        "title": s.STORIES_LABEL,
        "categories": [{"id": s.label_stream(s.STORIES_LABEL), "label": s.STORIES_LABEL}],
        "url": f"{reader.base}/reader/atom/{s.STORIES_FEED}",
        "htmlUrl": reader.base + "/en/",
        "iconUrl": f"{reader.base}/static/favicon.svg",
        "firstitemmsec": "0",
    }
    return JSONResponse({"subscriptions": [subscription(reader, f) for f in reader.follows] + [stories]})


def follow_of_address(request: Request, db: Session, address: str) -> tuple[str, str]:
    """What an address asks to follow: a Storyline page (a hashtag, outlet, section or story page, or a search),
    or the feed of an outlet Storyline polls."""
    address = address.strip().removeprefix("feed/")
    parts = urlsplit(address)
    if not parts.netloc or parts.netloc == request.url.netloc:
        try:
            return follow_of_page(parts.path + (f"?{parts.query}" if parts.query else ""))
        except InputError:
            if not parts.netloc:
                raise
    forms = list(dict.fromkeys([address, checked(canonical_url, address)]))
    slug = store.outlet_of_feed_url(db, forms)
    if slug is None:
        raise InputError("neither a Storyline page nor the feed of an outlet it polls", subject=address[:200])
    return "outlet", slug


def follow_address(request: Request, db: Session, user: User, address: str) -> int:
    kind, target = checked(follow_of_address, request, db, address)
    reader_store.add_follow(db, user.id, kind, target, new_feed_token())
    follow = reader_store.find_follow(db, user.id, kind, target)
    assert follow is not None
    return follow.id


@router.post(f"{API}/subscription/quickadd")
def quickadd(request: Request, db: WriterDb, user: Editor, values: Params) -> Response:
    address = values.get("quickadd", "")
    follow_id = follow_address(request, db, user, address)
    db.commit()
    follow = reader_store.get_follow(db, follow_id)
    title = view(request, db, user).follow_title(follow)
    return JSONResponse(
        {"numResults": 1, "query": address, "streamId": s.follow_stream(follow_id), "streamName": title}
    )


@router.post(f"{API}/subscription/edit")
def subscription_edit(request: Request, db: WriterDb, user: Editor, values: Params) -> Response:
    """``ac=subscribe`` follows each ``s`` (a page or feed address), ``unsubscribe`` unfollows each ``feed/<id>``;
    ``edit`` (renaming, moving between labels) changes nothing: a follow's folder is its kind."""
    action = values.get("ac", "edit")
    for stream_id in values.getlist("s"):
        if action == "subscribe":
            follow_address(request, db, user, stream_id)
        elif action == "unsubscribe":
            stream = checked(s.parse_stream, stream_id)
            if stream.kind == "follow" and stream.follow_id is not None:
                reader_store.delete_follow(db, user.id, stream.follow_id)
        elif action != "edit":
            raise BadRequest("ac is subscribe, unsubscribe or edit")
    db.commit()
    return PlainTextResponse("OK")


@router.get(f"{API}/tag/list")
def tag_list(request: Request, db: Db, user: Reader) -> Response:
    reader = view(request, db, user)
    folders = sorted({s.FOLDERS[f.kind] for f in reader.follows}) + [s.STORIES_LABEL]
    tags = [{"id": s.STARRED}] + [{"id": s.label_stream(name), "type": "folder"} for name in folders]
    return JSONResponse({"tags": tags})


@router.get(f"{API}/unread-count")
def unread_count(request: Request, db: Db, user: Reader) -> Response:
    """Unread items a follow, a label and the reading list (unread reaches back a week, as on the site)."""
    reader = view(request, db, user)
    unread = reader.unread()
    counts: Counter[str] = Counter()
    newest: dict[str, datetime] = {}
    for _, follow_ids, published in unread:
        follows = [reader.by_id[follow_id] for follow_id in follow_ids]
        streams = [s.READING_LIST, *(s.follow_stream(f.id) for f in follows)]
        for stream_id in dict.fromkeys(streams + [s.label_stream(s.FOLDERS[f.kind]) for f in follows]):
            counts[stream_id] += 1
            newest[stream_id] = max(newest.get(stream_id, published), published)
    for item in reader.unread_stories():
        for stream_id in (s.STORIES_FEED, s.label_stream(s.STORIES_LABEL)):
            counts[stream_id] += 1
            newest[stream_id] = max(newest.get(stream_id, item.published), item.published)
    return JSONResponse(
        {
            "max": MAX_UNREAD,
            "unreadcounts": [
                {"id": stream_id, "count": count, "newestItemTimestampUsec": str(usec(newest[stream_id]))}
                for stream_id, count in counts.items()
            ],
        }
    )


# Streams ---------------------------------------------------------------------------------------------


def stream_query(values: MultiDict) -> s.Query:
    return checked(
        s.parse_query,
        values.get("n"),
        values.get("r"),
        values.get("ot"),
        values.get("nt"),
        values.getlist("xt"),
        values.getlist("it"),
        values.get("c"),
    )


def categories(item: Item) -> list[str]:
    found = [s.READING_LIST]
    found += [s.READ] if item.read else []
    found += [s.STARRED] if item.starred else []
    found += [s.label_stream(item.folder)] if item.folder else []
    if item.story_title:
        found.append(s.story_label(item.story_title))
    return found


def item_json(item: Item) -> dict:
    published = int(item.published.timestamp())
    return {
        "id": s.long_item_id(item.id),
        "crawlTimeMsec": str(published * 1000),
        "timestampUsec": str(usec(item.published)),
        "published": published,
        "updated": int(item.updated.timestamp()),
        "title": item.title,
        "canonical": [{"href": item.url}],
        "alternate": [{"href": item.url, "type": "text/html"}],
        "summary": {"direction": "ltr", "content": item.html},
        "author": item.author or "",
        "origin": {"streamId": item.origin, "title": item.origin_title, "htmlUrl": item.origin_url},
        "categories": categories(item),
    }


def stream_page(request: Request, db: Session, user: User, stream_id: str, values: MultiDict):
    stream = checked(s.parse_stream, stream_id)
    return stream, view(request, db, user).page(stream, stream_query(values))


@router.api_route(f"{API}/stream/contents/{{stream_id:path}}", methods=["GET", "POST"])
@router.api_route(f"{API}/stream/contents", methods=["GET", "POST"])
def stream_contents(request: Request, db: Db, user: Reader, values: Params, stream_id: str = "") -> Response:
    stream_id = stream_id or values.get("s") or s.READING_LIST
    _, (items, cursor) = stream_page(request, db, user, stream_id, values)
    body = {
        "id": stream_id,
        "updated": int(datetime.now(timezone.utc).timestamp()),
        "items": [item_json(item) for item in items],
    }
    if cursor is not None:
        body["continuation"] = s.encode_cursor(cursor)
    return JSONResponse(body)


@router.api_route(f"{API}/stream/items/ids", methods=["GET", "POST"])
def stream_item_ids(request: Request, db: Db, user: Reader, values: Params) -> Response:
    _, (items, cursor) = stream_page(request, db, user, values.get("s") or s.READING_LIST, values)
    refs = [
        {"id": str(item.id), "directStreamIds": [item.origin], "timestampUsec": str(usec(item.published))}
        for item in items
    ]
    body: dict = {"itemRefs": refs}
    if cursor is not None:
        body["continuation"] = s.encode_cursor(cursor)
    return JSONResponse(body)


def item_ids(values: MultiDict) -> list[int]:
    return [checked(s.parse_item_id, value) for value in values.getlist("i")]


@router.api_route(f"{API}/stream/items/contents", methods=["GET", "POST"])
def stream_item_contents(request: Request, db: Db, user: Reader, values: Params) -> Response:
    items = view(request, db, user).by_item_ids(item_ids(values))
    return JSONResponse(
        {
            "id": s.READING_LIST,
            "updated": int(datetime.now(timezone.utc).timestamp()),
            "items": [item_json(item) for item in items],
        }
    )


# Editing ---------------------------------------------------------------------------------------------


@router.post(f"{API}/edit-tag")
def edit_tag(request: Request, db: WriterDb, user: Editor, values: Params) -> Response:
    """``a`` adds and ``r`` removes read or starred (``kept-unread`` added means unread); labels are the
    follows' kinds and cannot be edited, so they are ignored."""
    ids = item_ids(values)
    reader = view(request, db, user)
    for tag, added in [*((t, True) for t in values.getlist("a")), *((t, False) for t in values.getlist("r"))]:
        state = checked(s.parse_stream, tag) if tag.startswith("user/") and "/state/" in tag else None
        if state is None:
            continue
        if state.kind == "read":
            reader.set_read(ids, added)
        elif state.kind == "starred":
            reader.set_starred(ids, added)
        elif tag.endswith("/kept-unread") and added:
            reader.set_read(ids, False)
    db.commit()
    return PlainTextResponse("OK")


@router.post(f"{API}/mark-all-as-read")
def mark_all_as_read(request: Request, db: WriterDb, user: Editor, values: Params) -> Response:
    """Everything unread in stream ``s`` published up to ``ts`` (microseconds; everything when absent)."""
    stream = checked(s.parse_stream, values.get("s") or s.READING_LIST)
    until = checked(s.epoch, values.get("ts"))
    view(request, db, user).mark_all_read(stream, until)
    db.commit()
    return PlainTextResponse("OK")


# The Atom form ---------------------------------------------------------------------------------------


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/reader/atom/{stream_id:path}")
def atom_stream(request: Request, db: Db, user: Reader, stream_id: str) -> Response:
    """A stream as an Atom feed: each entry's id is the item's long form, its read and starred state and labels
    are ``category`` terms (``user/<id>/state/com.google/read``), and ``gr:continuation`` names the next page."""
    values = MultiDict(request.query_params.multi_items())
    stream, (items, cursor) = stream_page(request, db, user, stream_id, values)
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("gr", GR_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    ET.SubElement(feed, f"{{{ATOM_NS}}}id").text = f"tag:google.com,2005:reader/{stream_id}"
    reader_title = items[0].origin_title if stream.kind in ("follow", "stories") and items else stream_id
    ET.SubElement(feed, f"{{{ATOM_NS}}}title").text = reader_title
    ET.SubElement(feed, f"{{{ATOM_NS}}}updated").text = _atom_time(datetime.now(timezone.utc))
    if cursor is not None:
        ET.SubElement(feed, f"{{{GR_NS}}}continuation").text = s.encode_cursor(cursor)
    for item in items:
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = s.long_item_id(item.id)
        ET.SubElement(entry, f"{{{ATOM_NS}}}title", type="html").text = item.title
        ET.SubElement(entry, f"{{{ATOM_NS}}}published").text = _atom_time(item.published)
        ET.SubElement(entry, f"{{{ATOM_NS}}}updated").text = _atom_time(item.updated)
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=item.url, type="text/html")
        for term in categories(item):
            term = term.replace("user/-/", f"user/{user.id}/", 1)
            ET.SubElement(
                entry,
                f"{{{ATOM_NS}}}category",
                term=term,
                scheme="http://www.google.com/reader/",
                label=term.rsplit("/", 1)[-1],
            )
        ET.SubElement(entry, f"{{{ATOM_NS}}}content", type="html").text = item.html
        author = ET.SubElement(entry, f"{{{ATOM_NS}}}author")
        ET.SubElement(author, f"{{{ATOM_NS}}}name").text = item.author or item.origin_title
        source = ET.SubElement(entry, f"{{{ATOM_NS}}}source", {f"{{{GR_NS}}}stream-id": item.origin})
        ET.SubElement(source, f"{{{ATOM_NS}}}title").text = item.origin_title
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
