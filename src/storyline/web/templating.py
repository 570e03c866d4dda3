"""The Jinja2 environment: autoescape everywhere, a ``_()`` gettext passthrough, and the page helpers."""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from storyline.store.models import Article
from storyline.web import text
from storyline.web.cache import mark_personal

TEMPLATES_DIR = Path(__file__).parent / "templates"
SITE_NAME = "Storyline"


def article_path(article: Article) -> str:
    return f"/{text.language_code(article.language)}/article/{article.public_id}"


def iso_time(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else ""


def time_element(moment: datetime) -> Markup:
    """A ``<time>`` reading "3 hours ago", exact on hover and for machines. A Python helper, not a macro: it is
    called once per listed article, and a Jinja macro call costs several times the work it does."""
    exact = iso_time(moment)
    return Markup('<time datetime="%s" title="%s">%s</time>') % (exact, exact, text.relative_time(moment))


def _context(request: Request) -> dict:
    session = getattr(request.state, "session", None)
    codec = getattr(request.app.state, "codec", None)

    def csrf_token() -> str:
        # A form is being rendered: the anonymous session must now reach the browser.
        session.dirty = True
        mark_personal(request)
        return codec.csrf_token(session)

    return {"current_user": getattr(request.state, "user", None), "csrf_token": csrf_token, "site_name": SITE_NAME}


def install_translations(env: jinja2.Environment, translations: gettext.NullTranslations) -> None:
    """``_``, ``gettext`` and ``ngettext`` with the i18n extension's newstyle meaning (the message is markup,
    its ``%(name)s`` values are escaped), as plain functions: the extension's context-passing ones cost
    several times more a call, and an article page makes about forty."""

    def translate(message: str, **variables: object) -> Markup:
        return Markup(translations.gettext(message)) % variables

    def translate_plural(singular: str, plural: str, num: int, **variables: object) -> Markup:
        variables.setdefault("num", num)
        return Markup(translations.ngettext(singular, plural, num)) % variables

    env.globals.update(_=translate, gettext=translate, ngettext=translate_plural)


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Strings are marked for translation now; a catalogue can be installed later without touching templates.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    install_translations(env, gettext.NullTranslations())
    env.filters.update(
        isotime=iso_time,
        date=text.absolute_date,
        safe_url=text.safe_http_url,
        comment_html=text.render_comment,
        json_ld=text.json_ld,
    )
    env.globals.update(
        article_path=article_path, language_code=text.language_code, when=time_element, duration=text.duration
    )
    return Jinja2Templates(env=env, context_processors=[_context])
