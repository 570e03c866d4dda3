"""The reader's alert settings (``/settings/alerts``): channels (email, Apprise URLs, webhooks) with "send a
test", the digest's hour, day and time zone, quiet hours and limits, and each follow's alert choice; and the
one-click unsubscribe link of alert emails (RFC 8058), which works without signing in."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from storyline import i18n
from storyline.alerts import channels, developments, messages
from storyline.alerts.delivery import limits_of, message_language, send_test
from storyline.alerts.detect import MODES, default_choices
from storyline.alerts.throttle import DIGEST_HOUR_RULE, QUIET_HOURS_RULE, checked_hour, checked_time_zone
from storyline.errors import InputError, StorylineError
from storyline.fetch.urls import require_http_url
from storyline.i18n import N_, phrase
from storyline.store import alerts as store
from storyline.store import readers as reader_store
from storyline.store.models import User, utcnow
from storyline.web.deps import Db, RowId, WriterDb
from storyline.web.pages import render
from storyline.web.reader_pages import Reader, ReaderForm, labels, own_follow
from storyline.web.templating import page_locale

router = APIRouter(default_response_class=HTMLResponse)
PAGE = "/settings/alerts"
TIME_ZONES = sorted(available_timezones())
MAX_URL = 2000
MODE_LABELS = {"instant": N_("instant"), "digest": N_("in the digest"), "none": N_("none")}
KIND_LABELS = {"email": N_("email"), "apprise": N_("apprise"), "webhook": N_("webhook")}
UNSUBSCRIBED = N_("unsubscribed with the link in an alert email")
NO_SUCH_CHANNEL = N_("You have no channel by that number.")
NO_SUCH_LINK = N_("This unsubscribe link is not valid (any more).")
UNKNOWN_CHOICE = N_("Choose instant, in the digest or none, and known developments.")
UNKNOWN_LANGUAGE = N_("Alerts can be written in English, French, German or Spanish.")
NOT_A_CHANNEL = N_("a channel is an email address, an Apprise URL or a webhook")


def settings_page(request: Request, db: Session, user: User, note: str | None = None, status_code: int = 200):
    follows = reader_store.user_follows(db, user.id)
    choices = store.follow_alert_choices(db, [follow.id for follow in follows])
    chosen = {
        follow.id: (choices[follow.id].mode, choices[follow.id].kinds)
        if follow.id in choices
        else ("digest", list(default_choices(follow.kind)))
        for follow in follows
    }
    return render(
        request,
        "alert_settings.html",
        status_code=status_code,
        limits=limits_of(store.get_settings(db, user.id)),
        channels=store.user_channels(db, user.id),
        follows=follows,
        labels=labels(db, follows, page_locale(request)),
        chosen=chosen,
        modes=MODES,
        mode_labels=MODE_LABELS,
        kind_labels=KIND_LABELS,
        choice_labels=developments.CHOICE_LABELS,
        time_zones=TIME_ZONES,
        languages=[(locale, i18n.language_name(locale)) for locale in i18n.LOCALES],
        alert_language=store.alert_language(db, user.id) or page_locale(request),
        email_ready=request.app.state.runtime.settings.can_send_email,
        note=note,
    )


def checked_language(locale: str) -> str:
    """An interface language alerts can be written in, or InputError."""
    if locale not in i18n.LOCALES:
        raise InputError(UNKNOWN_LANGUAGE, subject=locale)
    return locale


def back() -> RedirectResponse:
    return RedirectResponse(PAGE, status_code=303)


def refused(request: Request, exc: StorylineError) -> HTTPException:
    """A form error in the page's language (its text is an ``N_`` message), naming what was refused; reasons
    from elsewhere (the shared URL check) stay in English."""
    problem = str(exc).removeprefix(f"{exc.stage}: ").removesuffix(f" ({exc.subject})" if exc.subject else "")
    detail = i18n.localize(problem, page_locale(request))
    return HTTPException(status_code=400, detail=f"{detail} ({exc.subject})" if exc.subject else detail)


def own_channel(db: Session, user: User, channel_id: int):
    channel = store.get_channel(db, channel_id)
    if channel is None or channel.user_id != user.id:
        raise HTTPException(status_code=404, detail=NO_SUCH_CHANNEL)
    return channel


@router.get(PAGE, name="alert_settings")
def alert_settings(request: Request, user: Reader, db: Db) -> HTMLResponse:
    return settings_page(request, db, user)


@router.post(PAGE)
def save_alert_settings(
    request: Request,
    user: ReaderForm,
    db: WriterDb,
    time_zone: Annotated[str, Form(max_length=64)],
    digest_hour: Annotated[int, Form()],
    digest_weekly: Annotated[bool, Form()] = False,
    quiet_start: Annotated[str, Form(max_length=2)] = "",
    quiet_end: Annotated[str, Form(max_length=2)] = "",
    interval_minutes: Annotated[int, Form(ge=0, le=7 * 24 * 60)] = 180,
    daily_cap: Annotated[int, Form(ge=0, le=1000)] = 10,
    language: Annotated[str, Form(max_length=8)] = "",
):
    try:
        values = {
            "language": checked_language(language or page_locale(request)),
            "time_zone": checked_time_zone(time_zone),
            "digest_hour": checked_hour(digest_hour, DIGEST_HOUR_RULE),
            "digest_weekly": digest_weekly,
            "quiet_start": checked_hour(int(quiet_start), QUIET_HOURS_RULE) if quiet_start.isdigit() else None,
            "quiet_end": checked_hour(int(quiet_end), QUIET_HOURS_RULE) if quiet_end.isdigit() else None,
            "interval_minutes": interval_minutes,
            "daily_cap": daily_cap,
        }
    except InputError as exc:
        raise refused(request, exc) from exc
    store.save_settings(db, user.id, values)
    db.commit()
    return back()


@router.post(f"{PAGE}/channels")
def add_channel(
    request: Request,
    user: ReaderForm,
    db: WriterDb,
    kind: Annotated[str, Form()],
    target: Annotated[str, Form(max_length=MAX_URL)],
):
    settings = request.app.state.runtime.settings
    try:
        if kind == "email":
            target, secret = channels.checked_email(target), None
        elif kind == "apprise":
            target, secret = channels.checked_apprise_url(settings, target), None
        elif kind == "webhook":
            target, secret = require_http_url(target), channels.new_webhook_secret()
        else:
            raise InputError(NOT_A_CHANNEL, subject=kind)
    except StorylineError as exc:
        raise refused(request, exc) from exc
    store.add_channel(db, user.id, kind, target, secret, utcnow())
    if store.alert_language(db, user.id) is None:
        store.save_settings(db, user.id, {"language": page_locale(request)})
    db.commit()
    return back()


@router.post(f"{PAGE}/channels/{{channel_id}}/delete")
def delete_channel(user: ReaderForm, db: WriterDb, channel_id: RowId):
    store.delete_channel(db, user.id, own_channel(db, user, channel_id).id)
    db.commit()
    return back()


@router.post(f"{PAGE}/channels/{{channel_id}}/test")
def test_channel(request: Request, user: ReaderForm, db: Db, channel_id: RowId):
    """Sends a test message now and shows how it went on the page itself."""
    channel = own_channel(db, user, channel_id)
    locale = page_locale(request)
    try:
        send_test(request.app.state.runtime.settings, channel, message_language(db, user.id))
    except StorylineError as exc:
        failed = phrase("The test did not go out: %(error)s", error=str(exc))
        return settings_page(request, db, user, i18n.localize(failed, locale), status_code=502)
    kind = i18n.localize(KIND_LABELS[channel.kind], locale)
    sent = phrase("Test sent to %(kind)s channel %(id)d.", kind=kind, id=channel.id)
    return settings_page(request, db, user, i18n.localize(sent, locale))


@router.post(f"{PAGE}/follows/{{follow_id}}")
def choose_follow_alert(
    user: ReaderForm,
    db: WriterDb,
    follow_id: RowId,
    mode: Annotated[str, Form()],
    kinds: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
):
    follow = own_follow(db, user, follow_id)
    if mode not in MODES or any(kind not in developments.CHOICES for kind in kinds):
        raise HTTPException(status_code=400, detail=UNKNOWN_CHOICE)
    store.set_follow_alert(db, follow.id, mode, kinds)
    db.commit()
    return back()


# One-click unsubscribe -------------------------------------------------------------------------------


def unsubscribed_channel(request: Request, db: Session, token: str):
    channel_id = messages.unsubscribed_channel(request.app.state.runtime.settings, token)
    channel = store.get_channel(db, channel_id) if channel_id else None
    if channel is None:
        raise HTTPException(status_code=404, detail=NO_SUCH_LINK)
    return channel


@router.get("/alerts/unsubscribe/{token}")
def unsubscribe_page(request: Request, db: Db, token: str) -> HTMLResponse:
    """A confirmation, not the unsubscription itself: mail scanners follow links."""
    channel = unsubscribed_channel(request, db, token)
    return render(request, "alert_unsubscribe.html", address=channel.target, done=channel.disabled_reason is not None)


@router.post("/alerts/unsubscribe/{token}")
def unsubscribe(request: Request, db: WriterDb, token: str) -> HTMLResponse:
    """RFC 8058's one-click POST (``List-Unsubscribe=One-Click``) and the confirmation form both land here; the
    signed token is the authority, so neither a login nor a CSRF token is needed."""
    channel = unsubscribed_channel(request, db, token)
    store.disable_channel(db, channel.id, UNSUBSCRIBED)
    db.commit()
    return render(request, "alert_unsubscribe.html", address=channel.target, done=True)
