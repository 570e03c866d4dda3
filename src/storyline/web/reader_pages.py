"""A signed-in reader's own pages and forms: follows (each also a private feed), mutes, mark all read, saved
articles, and the follows as OPML. Every form is a plain POST with the site's CSRF token that answers with a
redirect back (303); a visitor who is not signed in is sent to log in first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from storyline import i18n
from storyline.enrich import aliases
from storyline.errors import InputError
from storyline.i18n import N_
from storyline.readers import follows as rules
from storyline.readers import state
from storyline.readers.follows import HOME_SCOPE, follow_scope, section_scope
from storyline.store import alerts as alert_store
from storyline.store import queries
from storyline.store import readers as store
from storyline.store.models import Follow, Mute, User, utcnow
from storyline.web import reading
from storyline.web.auth import safe_next
from storyline.web.deps import Db, RowId, WriterDb, enforce, verify_csrf
from storyline.web.pages import PageNumber, listing, paged, render
from storyline.web.syndication import FEED_SIZE, FeedSource, feed_response, split_format
from storyline.web.templating import SITE_NAME, page_locale
from storyline.web.text import xml_safe

router = APIRouter(default_response_class=HTMLResponse)
MAX_NEXT = 2000


class LoginRequired(Exception):
    """Raised for a visitor who must sign in first; ``app.py`` answers with a redirect to the login page."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


async def login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?{urlencode({'next': exc.back})}", status_code=303)


def signed_in(request: Request) -> User:
    user = reading.reader(request)
    if user is None:
        raise LoginRequired(request.url.path)
    return user


async def reader_form(request: Request) -> User:
    """A reader's POST: signed in (else to the login page, then back), a valid CSRF token, within the rate."""
    user = reading.reader(request)
    if user is None:
        back = (await request.form()).get("next")
        raise LoginRequired(safe_next(back if isinstance(back, str) else None))
    await verify_csrf(request)
    enforce(request, f"reader-forms:{user.id}", request.app.state.limits.reader_forms_per_account)
    return user


Reader = Annotated[User, Depends(signed_in)]
ReaderForm = Annotated[User, Depends(reader_form)]
Next = Annotated[str, Form(max_length=MAX_NEXT)]


def back_to(next_path: str) -> RedirectResponse:
    return RedirectResponse(safe_next(next_path), status_code=303)


def own_follow(db: Session, user: User, follow_id: int) -> Follow:
    follow = store.get_follow(db, follow_id)
    if follow is None or follow.user_id != user.id:
        raise HTTPException(status_code=404, detail=N_("You follow nothing by that number."))
    return follow


def clean(kind: str, target: str, kinds: tuple[str, ...]) -> str:
    try:
        return rules.clean_target(kind, target, kinds)
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc).removeprefix("input: ")) from exc


def labels(db: Session, items: list[Follow] | list[Mute], locale: str) -> dict[tuple[str, str], str]:
    """What each follow or mute is called on a page in ``locale``: a hashtag's name as that language writes it,
    an outlet's name, a section's translated name, a story's title."""
    wanted = {kind: [item.target for item in items if item.kind == kind] for kind in ("hashtag", "outlet", "story")}
    hashtags = store.entity_names(db, wanted["hashtag"]).items()
    names = {("hashtag", slug): f"#{aliases.localized(name, locale)}" for slug, name in hashtags}
    names |= {("section", item.target): i18n.localize(item.target, locale) for item in items if item.kind == "section"}
    names |= {("outlet", slug): name for slug, name in store.outlet_names(db, wanted["outlet"]).items()}
    titles = store.story_titles(db, [int(target) for target in wanted["story"]])
    names |= {("story", str(story_id)): title for story_id, title in titles.items()}
    return {(item.kind, item.target): names.get((item.kind, item.target), item.target) for item in items}


# Follows ---------------------------------------------------------------------------------------------


@router.post("/follows", name="follow")
def follow(
    user: ReaderForm, db: WriterDb, kind: Annotated[str, Form()], target: Annotated[str, Form()], next: Next = "/"
):
    store.add_follow(db, user.id, kind, clean(kind, target, rules.FOLLOW_KINDS), rules.new_feed_token())
    db.commit()
    return back_to(next)


@router.post("/follows/{follow_id}/unfollow")
def unfollow(user: ReaderForm, db: WriterDb, follow_id: RowId, next: Next = "/follows"):
    store.delete_follow(db, user.id, own_follow(db, user, follow_id).id)
    db.commit()
    return back_to(next)


@router.post("/follows/{follow_id}/feed-token")
def new_feed_token(user: ReaderForm, db: WriterDb, follow_id: RowId):
    """A new secret for the follow's private feed: the old address stops working at once."""
    store.set_feed_token(db, user.id, own_follow(db, user, follow_id).id, rules.new_feed_token())
    db.commit()
    return back_to(f"/follows#follow-{follow_id}")


@router.get("/follows", name="follows")
def follows_page(request: Request, user: Reader, db: Db) -> HTMLResponse:
    follows = store.user_follows(db, user.id)
    mutes = store.user_mutes(db, user.id)
    muted = reading.muted_for(request, db)
    up_to = reading.follows_read_up_to(db, user, follows, state.UNREAD_WINDOW)
    unread = {f.id: store.unread_count(db, user.id, f, up_to[f.id], muted, state.UNREAD_CAP) for f in follows}
    return render(
        request,
        "follows.html",
        follows=follows,
        mutes=mutes,
        labels=labels(db, [*follows, *mutes], page_locale(request)),
        unread={follow_id: state.unread_label(count) for follow_id, count in unread.items()},
        headings=rules.HEADINGS,
        page_path=partial(rules.page_path, locale=page_locale(request)),
    )


@router.get("/follows/{follow_id}", name="follow_page")
def follow_page(request: Request, user: Reader, db: Db, follow_id: RowId, page: PageNumber = 1) -> HTMLResponse:
    """What one follow holds, newest first, the unread marked, with "mark all read" for this follow."""
    followed = own_follow(db, user, follow_id)
    muted = reading.muted_for(request, db)
    fetch = lambda limit, offset: store.follow_articles(db, followed, limit, offset, muted)  # noqa: E731
    articles, has_next = paged(fetch, page)
    title = labels(db, [followed], page_locale(request))[(followed.kind, followed.target)]
    return listing(request, db, title, articles, page, has_next, [], kind=followed.kind, target=followed.target)


def private_feed_path(follow: Follow) -> str:
    return f"/feeds/private/{follow.id}/{follow.feed_token}"


@router.get("/feeds/private/{follow_id}/{name}", tags=["feeds"])
def private_feed(request: Request, db: Db, follow_id: RowId, name: str) -> Response:
    """A follow as a feed, for feed readers that cannot sign in: the secret in the address is the key."""
    token, fmt = split_format(name)
    followed = store.get_follow(db, follow_id)
    if followed is None or not rules.token_matches(followed.feed_token, token):
        raise HTTPException(status_code=404, detail=N_("No feed at this address. Its owner may have renewed it."))
    muted = store.muted(db, followed.user_id)
    articles = store.follow_articles(db, followed, FEED_SIZE, 0, muted)
    title = labels(db, [followed], i18n.DEFAULT_LOCALE)[(followed.kind, followed.target)]  # feeds are English
    developments = alert_store.follow_developments(db, followed.id, FEED_SIZE)
    page, path = rules.page_path(followed.kind, followed.target), private_feed_path(followed)
    source = FeedSource(title, page, path, articles, developments)
    response = feed_response(request, source, fmt)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/follows.opml", name="follows_opml")
def follows_opml(request: Request, user: Reader, db: Db) -> Response:
    """Every follow as an OPML outline of its private Atom feed, for a feed reader to import."""
    base = str(request.base_url).rstrip("/")
    follows = store.user_follows(db, user.id)
    names = labels(db, follows, i18n.DEFAULT_LOCALE)
    opml = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(opml, "head"), "title").text = f"{SITE_NAME}: what {user.username} follows"
    body = ET.SubElement(opml, "body")
    for followed in follows:
        name = xml_safe(names[(followed.kind, followed.target)])
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=name,
            title=name,
            xmlUrl=f"{base}{private_feed_path(followed)}.atom",
            htmlUrl=base + rules.page_path(followed.kind, followed.target),
        )
    return Response(
        ET.tostring(opml, encoding="utf-8", xml_declaration=True),
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="storyline-follows.opml"', "Cache-Control": "no-store"},
    )


# Mutes -----------------------------------------------------------------------------------------------


@router.post("/mutes", name="mute")
def mute(
    user: ReaderForm, db: WriterDb, kind: Annotated[str, Form()], target: Annotated[str, Form()], next: Next = "/"
):
    store.add_mute(db, user.id, kind, clean(kind, target, rules.MUTE_KINDS))
    db.commit()
    return back_to(next)


@router.post("/mutes/{mute_id}/unmute")
def unmute(user: ReaderForm, db: WriterDb, mute_id: RowId, next: Next = "/follows"):
    store.delete_mute(db, user.id, mute_id)
    db.commit()
    return back_to(next)


# Read state ------------------------------------------------------------------------------------------


@router.post("/read", name="mark_all_read")
def mark_all_read(
    user: ReaderForm,
    db: WriterDb,
    scope: Annotated[str, Form(max_length=320)],
    older_than: Annotated[str, Form()] = "",
    next: Next = "/",
):
    """Everything in the scope (the home, a section, a follow), or everything older than a day or a week, is
    read: one "read up to" time, not a row an article."""
    kind, _, name = scope.partition(":")
    if kind == "follow" and name.isascii() and name.isdigit():
        scope = follow_scope(own_follow(db, user, int(name)).id)
    elif kind == "section" and name:
        scope = section_scope(name)
    elif scope != HOME_SCOPE:
        raise HTTPException(status_code=400, detail=N_("Mark all read applies to the home, a section or a follow."))
    if older_than not in state.MARK_OLDER_THAN:
        raise HTTPException(status_code=400, detail=N_("Older than a day or a week, or everything."))
    store.raise_read_mark(db, user.id, scope, state.mark_time(utcnow(), older_than))
    db.commit()
    return back_to(next)


@router.post("/saved", name="save")
def save(
    user: ReaderForm,
    db: WriterDb,
    article: Annotated[str, Form(max_length=16)],
    saved: Annotated[bool, Form()] = True,
    next: Next = "/saved",
):
    row = queries.get_article(db, article)
    if row is None:
        raise HTTPException(status_code=404, detail=N_("We have no article with that id."))
    (store.save_article if saved else store.unsave_article)(db, user.id, row.id)
    db.commit()
    return back_to(next)


@router.get("/saved", name="saved")
def saved_page(request: Request, user: Reader, db: Db, page: PageNumber = 1) -> HTMLResponse:
    articles, has_next = paged(lambda limit, offset: store.saved_articles(db, user.id, limit, offset), page)
    counts = queries.comment_counts(db, [a.id for a in articles])
    return render(request, "saved.html", articles=articles, page=page, has_next=has_next, comment_counts=counts)
