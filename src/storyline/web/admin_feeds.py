"""Feed administration in the browser (administrators only): add a feed by its address or its site's, see
each feed's status, pause, rename, file in folders, set per-feed options, delete (keeping or removing its
articles), poll now, import and export OPML, and the filter rules. Plain forms: CSRF on every POST, 303
redirects, every field validated and capped, errors shown on the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from storyline import collect, i18n
from storyline.errors import InputError, StorylineError
from storyline.fetch.discover import discover
from storyline.fetch.http import Fetcher, is_valid_user_agent
from storyline.fetch.opml import FeedRef, write_opml
from storyline.fetch.urls import canonical_url, require_http_url
from storyline.i18n import N_, phrase
from storyline.logs import get_logger
from storyline.rules import ACTIONS, KINDS, MAX_PATTERN, MAX_REPLACEMENT, make_rewrite, make_rule
from storyline.runtime import Runtime
from storyline.store import feeds_admin, queries, transaction
from storyline.store.models import Feed, User
from storyline.web.deps import Db, RowId, WriterDb, enforce, get_runtime, require_admin, verify_csrf
from storyline.web.templating import page_locale

log = get_logger("web")
router = APIRouter(default_response_class=HTMLResponse)
Admin = Annotated[User, Depends(require_admin)]
Csrf = [Depends(verify_csrf)]

MAX_ADDRESS = 2000
MAX_FOLDER = 200
MAX_TITLE = 500
MAX_USER_AGENT = 300
MAX_OPML_BYTES = 1024 * 1024
MAX_OPML_FEEDS = 1000
PAGE_MODES = {"auto": N_("Fetch the page for teasers"), "always": N_("Always fetch the page"),
              "never": N_("Keep the feed's text")}  # fmt: skip
FIELD_LABELS = {"any": N_("any field"), "title": N_("title"), "body": N_("body"), "author": N_("author"),
                "url": N_("URL"), "outlet": N_("outlet")}  # fmt: skip
ACTION_LABELS = {"block": N_("block"), "keep": N_("keep")}
KIND_LABELS = {"words": N_("plain words"), "regex": N_("regular expression")}
# What a redirect may tell the next page: codes only, never text from the request.
NOTICES = {
    "added": N_("Feed added."),
    "exists": N_("That feed was already subscribed."),
    "paused": N_("Feed paused: it will not be polled until resumed."),
    "resumed": N_("Feed resumed: it will be polled at the next pass."),
    "renamed": N_("Feed renamed."),
    "saved": N_("Options saved."),
    "deleted": N_("Feed deleted."),
    "rule-added": N_("Rule added. It applies to articles that arrive from now on."),
    "rule-deleted": N_("Rule deleted."),
    "paused-not-polled": N_("That feed is paused: resume it to poll it."),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# Validation ------------------------------------------------------------------------------------------


def clean_text(value: str, limit: int, what: str) -> str | None:
    """One line of text: white space collapsed, no control characters, at most ``limit`` characters; empty is
    None."""
    value = " ".join(_CONTROL.sub(" ", value).split())
    if len(value) > limit:
        raise InputError(f"{what} is at most {limit} characters")
    return value or None


def feed_address(value: str) -> str:
    """What an administrator typed as a feed's or site's address: http(s) only; a bare host gets https://."""
    value = value.strip()
    if not value:
        raise InputError("please enter the address of a feed or a site")
    if len(value) > MAX_ADDRESS:
        raise InputError(f"addresses are at most {MAX_ADDRESS} characters")
    if "://" not in value and not value.lower().startswith(("javascript:", "data:", "file:", "mailto:")):
        value = f"https://{value}"
    return canonical_url(require_http_url(value))


def message(exc: StorylineError) -> str:
    """The part of an error an administrator needs: no stage prefix."""
    text = str(exc).removeprefix(f"{exc.stage}: ")
    return text[:500]


# Pages -----------------------------------------------------------------------------------------------


def folder_groups(feeds: list[Feed]) -> list[tuple[str | None, list[Feed]]]:
    groups: dict[str | None, list[Feed]] = {}
    for feed in feeds:
        groups.setdefault(feed.folder, []).append(feed)
    return list(groups.items())


def render_feeds(request: Request, db: Session, status_code: int = 200, **context) -> HTMLResponse:
    feeds = feeds_admin.feeds_by_folder(db)
    values = {
        "groups": folder_groups(feeds),
        "feed_count": len(feeds),
        "folders": feeds_admin.folder_names(db),
        "rule_counts": feeds_admin.rule_counts_by_feed(db),
        "filtered": feeds_admin.filtered_counts_by_feed(db),
        "page_modes": PAGE_MODES,
        "notice": notice_text(request),
        "error": "",
        "address": "",
        "error_feed": None,
        "now": datetime.now(timezone.utc),
    }
    values.update(context)
    return request.app.state.templates.TemplateResponse(request, "admin_feeds.html", values, status_code=status_code)


def notice_text(request: Request) -> str:
    """The notice a redirect asked for, by code, in the page's language; its only variable is a number (for
    "polled" and "imported")."""
    code = request.query_params.get("notice", "")
    value = request.query_params.get("count", "")
    count = int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0
    catalog = i18n.translations(page_locale(request))
    if code == "polled":
        return catalog.ngettext("Polled: %(num)d new article.", "Polled: %(num)d new articles.", count) % {"num": count}
    if code == "imported":
        return catalog.ngettext("OPML imported: %(num)d feed.", "OPML imported: %(num)d feeds.", count) % {"num": count}
    return catalog.gettext(NOTICES[code]) if code in NOTICES else ""


def failure(request: Request, message: str) -> str:
    """An error (an ``N_`` constant or a ``phrase``) shown on an administration page, in its language; a
    reason from an exception stays as the exception words it."""
    return i18n.localize(message, page_locale(request))


def back(notice: str = "", count: int | None = None, anchor: str = "", path: str = "/admin/feeds") -> RedirectResponse:
    query = f"?notice={notice}" if notice else ""
    if notice and count is not None:
        query += f"&count={count}"
    return RedirectResponse(f"{path}{query}{anchor}", status_code=303)


def existing_feed(db: Session, feed_id: int) -> Feed:
    feed = queries.get_feed(db, feed_id)
    if feed is None:
        raise HTTPException(status_code=404, detail=N_("We have no feed with that id (any more)."))
    return feed


def limit_writes(request: Request, admin: User) -> None:
    enforce(request, f"admin-post:{admin.id}", request.app.state.limits.admin_post_per_account)


def limit_fetches(request: Request, admin: User) -> None:
    """Adding, polling and importing reach out to the network: a tighter limit."""
    limit_writes(request, admin)
    enforce(request, f"admin-fetch:{admin.id}", request.app.state.limits.admin_fetch_per_account)


def fetcher_for(request: Request) -> Fetcher:
    """The guarded fetcher; tests may put a factory in ``app.state.fetcher`` (the same seams as everywhere)."""
    factory: Callable[[], Fetcher] | None = getattr(request.app.state, "fetcher", None)
    return factory() if factory else Fetcher(request.app.state.runtime.settings)


@router.get("/admin/feeds", name="admin_feeds")
def feeds_page(request: Request, db: Db, admin: Admin) -> HTMLResponse:
    return render_feeds(request, db)


@router.post("/admin/feeds/add", dependencies=Csrf)
def add_feed(
    request: Request,
    db: Db,
    admin: Admin,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    address: Annotated[str, Form(max_length=MAX_ADDRESS * 2)] = "",
    folder: Annotated[str, Form(max_length=MAX_FOLDER * 2)] = "",
) -> Response:
    limit_fetches(request, admin)
    try:
        url = feed_address(address)
        folder_name = clean_text(folder, MAX_FOLDER, "a folder name")
        found = discover(fetcher_for(request), url)
        feed_url = canonical_url(found.url)
    except StorylineError as exc:
        return render_feeds(
            request,
            db,
            400,
            error=failure(request, phrase("Could not add that feed: %(reason)s", reason=message(exc))),
            address=address[:200],
        )
    db.close()  # the discovery took a while; the subscription is written in a transaction of its own
    with transaction(runtime.sessions) as session:
        exists = feeds_admin.find_feed_by_url(session, feed_url) is not None
    feed = collect.add_feed(runtime, feed_url, found.feed.title, folder_name)
    return back("exists" if exists else "added", anchor=f"#feed-{feed.id}")


@router.post("/admin/feeds/poll", dependencies=Csrf)
def poll_due_feeds(request: Request, admin: Admin, runtime: Annotated[Runtime, Depends(get_runtime)]) -> Response:
    """What ``storyline poll`` does: one pass over the feeds that are due."""
    limit_fetches(request, admin)
    report = collect.poll_due(runtime, fetcher_for(request))
    request.app.state.page_cache.clear()
    return back("polled", report.articles.imported)


@router.post("/admin/feeds/{feed_id}/poll", dependencies=Csrf)
def poll_now(
    request: Request, feed_id: RowId, db: Db, admin: Admin, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> Response:
    feed = existing_feed(db, feed_id)
    if feed.paused:
        return back("paused-not-polled", anchor=f"#feed-{feed_id}")
    db.close()
    limit_fetches(request, admin)
    report = collect.PollReport()
    try:
        collect.poll_feed(runtime, fetcher_for(request), feed_id, report)
    except Exception as exc:  # as in poll_due: the failure is the feed's, recorded and shown, never a 500
        log.error("poll now crashed", feed=feed_id, error=repr(exc))
        collect.record_failure(runtime, feed_id, f"poll failed: {exc.__class__.__name__}: {exc}")
    request.app.state.page_cache.clear()
    return back("polled", report.articles.imported, anchor=f"#feed-{feed_id}")


@router.post("/admin/feeds/{feed_id}/pause", dependencies=Csrf)
def pause(
    request: Request, feed_id: RowId, db: WriterDb, admin: Admin, paused: Annotated[str, Form(max_length=5)] = "1"
) -> Response:
    limit_writes(request, admin)
    existing_feed(db, feed_id)
    feeds_admin.set_paused(db, feed_id, paused == "1")
    db.commit()
    return back("paused" if paused == "1" else "resumed", anchor=f"#feed-{feed_id}")


@router.post("/admin/feeds/{feed_id}/rename", dependencies=Csrf)
def rename(
    request: Request,
    feed_id: RowId,
    db: WriterDb,
    admin: Admin,
    title: Annotated[str, Form(max_length=MAX_TITLE * 2)] = "",
) -> Response:
    limit_writes(request, admin)
    existing_feed(db, feed_id)
    try:
        name = clean_text(title, MAX_TITLE, "a feed's name")
    except InputError as exc:
        return render_feeds(request, db, 400, error=message(exc), error_feed=feed_id)
    feeds_admin.set_custom_title(db, feed_id, name)
    db.commit()
    request.app.state.page_cache.clear()
    return back("renamed", anchor=f"#feed-{feed_id}")


@router.post("/admin/feeds/{feed_id}/options", dependencies=Csrf)
def save_options(
    request: Request,
    feed_id: RowId,
    db: WriterDb,
    admin: Admin,
    folder: Annotated[str, Form(max_length=MAX_FOLDER * 2)] = "",
    page_mode: Annotated[str, Form(max_length=20)] = "auto",
    user_agent: Annotated[str, Form(max_length=MAX_USER_AGENT * 2)] = "",
    title_pattern: Annotated[str, Form(max_length=MAX_PATTERN * 2)] = "",
    title_replacement: Annotated[str, Form(max_length=MAX_REPLACEMENT * 2)] = "",
) -> Response:
    limit_writes(request, admin)
    existing_feed(db, feed_id)
    try:
        options = feed_options(folder, page_mode, user_agent, title_pattern, title_replacement)
    except InputError as exc:
        return render_feeds(request, db, 400, error=message(exc), error_feed=feed_id)
    feeds_admin.set_options(db, feed_id, options)
    db.commit()
    return back("saved", anchor=f"#feed-{feed_id}")


def feed_options(folder: str, page_mode: str, user_agent: str, pattern: str, replacement: str) -> dict:
    if page_mode not in PAGE_MODES:
        raise InputError("choose how the feed's articles are read from the list")
    agent = user_agent.strip()
    if agent and not is_valid_user_agent(agent):
        raise InputError(f"a user agent is at most {MAX_USER_AGENT} printable ASCII characters")
    pattern = pattern.strip()
    if len(replacement) > MAX_REPLACEMENT or _CONTROL.search(replacement):
        raise InputError(f"a replacement is at most {MAX_REPLACEMENT} characters on one line")
    if pattern:
        make_rewrite(pattern, replacement)  # raises InputError with the reason
    return {
        "folder": clean_text(folder, MAX_FOLDER, "a folder name"),
        "page_mode": page_mode,
        "user_agent": agent or None,
        "title_pattern": pattern or None,
        "title_replacement": replacement if pattern else None,
    }


@router.get("/admin/feeds/{feed_id}/delete", name="admin_feed_delete")
def delete_form(request: Request, feed_id: RowId, db: Db, admin: Admin) -> HTMLResponse:
    feed = existing_feed(db, feed_id)
    return request.app.state.templates.TemplateResponse(
        request, "admin_feed_delete.html", {"feed": feed, "articles": feeds_admin.feed_article_count(db, feed_id)}
    )


@router.post("/admin/feeds/{feed_id}/delete", dependencies=Csrf)
def delete_feed(
    request: Request,
    feed_id: RowId,
    db: Db,
    admin: Admin,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    articles: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    limit_writes(request, admin)
    feed = existing_feed(db, feed_id)
    if articles not in ("keep", "remove"):
        return request.app.state.templates.TemplateResponse(
            request,
            "admin_feed_delete.html",
            {
                "feed": feed,
                "articles": feeds_admin.feed_article_count(db, feed_id),
                "error": failure(request, N_("Choose what happens to its articles.")),
            },
            status_code=400,
        )
    db.close()
    with runtime.write_lock:  # the story writer must not place articles of this feed while they go
        with transaction(runtime.sessions) as session:
            keys = feeds_admin.feed_article_keys(session, feed_id)
            if articles == "remove":
                feeds_admin.delete_feed_articles(session, feed_id)
                stories = sorted({story_id for _, story_id in keys if story_id is not None})
                for story_id in stories:
                    queries.refresh_story_counts(session, story_id)
                queries.invalidate_story_analysis(session, stories)
            else:
                feeds_admin.detach_feed_articles(session, feed_id)
            feeds_admin.delete_feed(session, feed_id)
        processor = runtime.loaded_processor  # only when this process placed articles: never load models here
        if articles == "remove" and processor is not None:
            for public_id, _ in keys:
                processor.engine.withdraw(public_id)
    request.app.state.page_cache.clear()
    return back("deleted")


# OPML ------------------------------------------------------------------------------------------------


@router.get("/admin/feeds/opml", name="admin_opml")
def export_opml(db: Db, admin: Admin) -> Response:
    refs = [FeedRef(feed.url, feed.display_title, None, feed.folder) for feed in feeds_admin.feeds_by_folder(db)]
    return Response(
        write_opml(refs),
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="storyline-feeds.opml"'},
    )


@router.post("/admin/feeds/opml", dependencies=Csrf)
async def import_opml(
    request: Request,
    admin: Admin,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    limit_fetches(request, admin)
    content = await file.read(MAX_OPML_BYTES + 1) if file is not None else b""
    error = ""
    if not content:
        error = failure(request, N_("Choose an OPML file to import."))
    elif len(content) > MAX_OPML_BYTES:
        error = failure(request, phrase("OPML files are at most %(size)d KB.", size=MAX_OPML_BYTES // 1024))
    else:
        try:
            added = await run_in_threadpool(collect.import_opml, runtime, content, MAX_OPML_FEEDS)
        except StorylineError as exc:
            error = failure(request, phrase("Could not import that file: %(reason)s", reason=message(exc)))
    if error:
        with runtime.sessions() as db:
            return render_feeds(request, db, 400, error=error)
    return back("imported", len(added))


# Filter rules ----------------------------------------------------------------------------------------


def render_rules(request: Request, db: Session, status_code: int = 200, **context) -> HTMLResponse:
    feeds = feeds_admin.feeds_by_folder(db)
    values = {
        "rules": feeds_admin.list_rules(db),
        "rule_feeds": feeds,
        "feed_names": {feed.id: feed.display_title for feed in feeds},
        "actions": {action: ACTION_LABELS[action] for action in ACTIONS},
        "fields": FIELD_LABELS,
        "kinds": {kind: KIND_LABELS[kind] for kind in KINDS},
        "notice": notice_text(request),
        "error": "",
        "form": {
            "scope": request.query_params.get("feed", ""),
            "action": "block",
            "field": "title",
            "kind": "words",
            "pattern": "",
        },
    }
    values.update(context)
    return request.app.state.templates.TemplateResponse(request, "admin_rules.html", values, status_code=status_code)


@router.get("/admin/rules", name="admin_rules")
def rules_page(request: Request, db: Db, admin: Admin) -> HTMLResponse:
    return render_rules(request, db)


@router.post("/admin/rules", dependencies=Csrf)
def add_rule(
    request: Request,
    db: WriterDb,
    admin: Admin,
    scope: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=20)] = "",
    field: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    pattern: Annotated[str, Form(max_length=MAX_PATTERN * 2)] = "",
) -> Response:
    limit_writes(request, admin)
    form = {"scope": scope, "action": action, "field": field, "kind": kind, "pattern": pattern[:MAX_PATTERN]}
    try:
        feed_id = None
        if scope:
            feed = queries.get_feed(db, int(scope)) if scope.isascii() and scope.isdigit() and len(scope) < 19 else None
            if feed is None:
                raise InputError("that feed does not exist (any more)")
            feed_id = feed.id
        rule = make_rule(None, action, field, kind, pattern, feed_id)
    except InputError as exc:
        return render_rules(
            request,
            db,
            400,
            error=failure(request, phrase("Could not add that rule: %(reason)s", reason=message(exc))),
            form=form,
        )
    feeds_admin.add_rule(db, rule.feed_id, rule.action, rule.field, rule.kind, rule.pattern)
    db.commit()
    return back("rule-added", path="/admin/rules")


@router.post("/admin/rules/{rule_id}/delete", dependencies=Csrf)
def delete_rule(request: Request, rule_id: RowId, db: WriterDb, admin: Admin) -> Response:
    limit_writes(request, admin)
    if feeds_admin.get_rule(db, rule_id) is None:
        raise HTTPException(status_code=404, detail=N_("We have no rule with that id (any more)."))
    feeds_admin.delete_rule(db, rule_id)
    db.commit()
    return back("rule-deleted", path="/admin/rules")
