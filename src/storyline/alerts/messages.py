"""What an alert or a digest says, in each channel's form: email (plain text and HTML from the site's
templates), a push's title and body, a webhook's JSON. Links are absolute, to the place on the story page.

Messages are written in a language (``locale``): the one the reader chose for alerts on the alert settings page,
or the one of the page where they added their first channel (``alert_settings.language``); headlines and cited
sentences stay in the language they were published in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

import jinja2
from itsdangerous import BadSignature, URLSafeSerializer

from storyline import i18n
from storyline.alerts.developments import summary_cites
from storyline.config import Settings
from storyline.store.models import Alert, Story
from storyline.web.security import secret_key

PUSH_BODY_CHARS = 1000


@dataclass(frozen=True)
class Cite:
    text: str
    source: str
    url: str


@dataclass(frozen=True)
class Item:
    """One development as a reader reads it."""

    kind: str
    headline: str
    story_id: int
    story_title: str
    url: str
    cites: tuple[Cite, ...]  # the lines that back the development
    summary: tuple[Cite, ...] = ()  # the story's summary as it stands, each line with its source


@dataclass(frozen=True)
class Message:
    subject: str
    items: tuple[Item, ...]
    digest: bool
    locale: str = i18n.DEFAULT_LOCALE  # the language of its own words; headlines stay as stored


def cited(base: str, cites: list[dict]) -> tuple[Cite, ...]:
    return tuple(
        Cite(cite["text"], cite.get("source") or "", f"{base}/en/article/{cite['article_id']}#s{cite['sentence']}")
        for cite in cites
    )


def items(settings: Settings, alerts: list[Alert], stories: dict[int, Story]) -> tuple[Item, ...]:
    """The alerts' developments, with links into the site and their stories' summaries."""
    base = settings.site_url
    out = []
    for alert in alerts:
        development = alert.development
        story = stories.get(development.story_id)
        summary = summary_cites((story.analysis if story else None) or {})
        out.append(
            Item(
                kind=development.kind,
                headline=development.headline,
                story_id=development.story_id,
                story_title=story.title if story else "",
                url=f"{base}/en/story/{development.story_id}{development.detail.get('anchor') or ''}",
                cites=cited(base, development.detail.get("cites") or []),
                summary=cited(base, summary),
            )
        )
    return tuple(out)


def message(found: tuple[Item, ...], digest: bool, locale: str = i18n.DEFAULT_LOCALE) -> Message:
    if digest:
        catalog = i18n.translations(locale)
        subject = catalog.ngettext(
            "Your Storyline digest: %(num)d development", "Your Storyline digest: %(num)d developments", len(found)
        ) % {"num": len(found)}
    else:
        subject = found[0].headline
    return Message(subject[:200], found, digest, locale)


@cache
def _templates(locale: str) -> jinja2.Environment:
    from storyline.web.templating import make_templates

    return make_templates(locale).env


def email_parts(message: Message, unsubscribe_url: str | None) -> tuple[str, str]:
    """(plain text, HTML) of an email in the message's language, from ``templates/alerts/``."""
    env = _templates(message.locale)
    context = {"message": message, "unsubscribe_url": unsubscribe_url}
    return env.get_template("alerts/email.txt").render(context), env.get_template("alerts/email.html").render(context)


def push_text(message: Message) -> tuple[str, str]:
    """(title, body) of a push notification."""
    lines = [f"{item.headline}\n{item.url}" for item in message.items]
    return message.subject, "\n\n".join(lines)[:PUSH_BODY_CHARS]


def webhook_payload(message: Message, delivery_key: str) -> dict:
    return {
        "type": "digest" if message.digest else "alert",
        "delivery": delivery_key,
        "subject": message.subject,
        "developments": [asdict(item) for item in message.items],
    }


# One-click unsubscribe (RFC 8058): the link itself is the authority, no login needed.


def _unsubscribe_signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(settings), salt="storyline.alerts.unsubscribe")


def unsubscribe_url(settings: Settings, channel_id: int) -> str:
    return f"{settings.site_url}/alerts/unsubscribe/{_unsubscribe_signer(settings).dumps(channel_id)}"


def unsubscribed_channel(settings: Settings, token: str) -> int | None:
    """The channel a signed unsubscribe token names, or None when the signature does not hold."""
    try:
        channel_id = _unsubscribe_signer(settings).loads(token)
    except BadSignature:
        return None
    return channel_id if isinstance(channel_id, int) else None
