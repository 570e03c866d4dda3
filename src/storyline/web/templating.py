"""The Jinja2 environments, one per interface language: autoescape everywhere, the i18n extension with that
language's catalogue, and the page helpers (times, dates and counts in that language)."""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import jinja2
from babel import Locale, UnknownLocaleError
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.responses import Response

from storyline import i18n
from storyline.enrich import aliases
from storyline.store.models import Article
from storyline.web import text
from storyline.web.cache import mark_personal

TEMPLATES_DIR = Path(__file__).parent / "templates"
SITE_NAME = "Storyline"


def article_path(article: Article, locale: str | None = None) -> str:
    """An article's page: under the interface language's prefix when one is given, else under the article's
    own language (feeds and the API, which have no interface language)."""
    return f"/{locale or text.language_code(article.language)}/article/{article.public_id}"


def iso_time(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else ""


def time_element(moment: datetime, locale: str = i18n.DEFAULT_LOCALE) -> Markup:
    """A ``<time>`` reading "3 hours ago", exact on hover and for machines. A Python helper, not a macro: it is
    called once per listed article, and a Jinja macro call costs several times the work it does."""
    exact = iso_time(moment)
    return Markup('<time datetime="%s" title="%s">%s</time>') % (exact, exact, text.relative_time(moment, None, locale))


def lang_attr(article: Article, locale: str = i18n.DEFAULT_LOCALE) -> Markup:
    """` lang="de"` for an article listed on a page in another language, so screen readers pronounce its title
    in its own; nothing when the languages agree."""
    language = text.language_code(article.language)
    return Markup(' lang="%s"') % language if language != locale else Markup()


def language_mark(article: Article, locale: str = i18n.DEFAULT_LOCALE) -> Markup:
    """A visible mark for an article in another language than the page's: ``<abbr title="French">FR</abbr>``,
    the language named in the page's own; nothing when the languages agree."""
    language = text.language_code(article.language)
    if language == locale:
        return Markup()
    try:
        name = Locale.parse(language, sep="-").get_display_name(locale) or language
    except (ValueError, UnknownLocaleError):
        name = language
    return Markup(' <abbr class="language-mark" title="%s">%s</abbr>') % (name, language.split("-")[0].upper())


def _context(request: Request) -> dict:
    session = getattr(request.state, "session", None)
    codec = getattr(request.app.state, "codec", None)

    def csrf_token() -> str:
        # A form is being rendered: the anonymous session must now reach the browser.
        session.dirty = True
        mark_personal(request)
        return codec.csrf_token(session)

    return {
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_token,
        "site_name": SITE_NAME,
        "alternates": alternates(request),
    }


def page_locale(request: Request) -> str:
    """The interface language the request's address chose (``LanguagePrefix`` in ``app.py`` sets it)."""
    return getattr(request.state, "locale", i18n.DEFAULT_LOCALE)


def alternates(request: Request) -> list[dict]:
    """The page in each interface language, for ``hreflang`` links and the footer's language switcher."""
    base = str(request.base_url).rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    current = page_locale(request)
    return [
        {
            "locale": locale,
            "name": i18n.language_name(locale),
            "path": (path := i18n.localized_path(request.url.path, locale) + query),
            "href": base + path,
            "current": locale == current,
        }
        for locale in i18n.LOCALES
    ]


def install_translations(env: jinja2.Environment, translations: gettext.NullTranslations, locale: str = "en") -> None:
    """``_``, ``gettext`` and ``ngettext`` with the i18n extension's newstyle meaning (the message is markup,
    its ``%(name)s`` values are escaped), as plain functions: the extension's context-passing ones cost
    several times more a call, and an article page makes about forty. Plural counts of a thousand and more
    are written in the language's digit grouping."""

    def translate(message: str, **variables: object) -> Markup:
        return Markup(translations.gettext(message)) % variables

    def translate_plural(singular: str, plural: str, num: int, **variables: object) -> Markup:
        message = translations.ngettext(singular, plural, num)
        if -1000 < num < 1000:
            variables.setdefault("num", num)
        else:
            message = message.replace("%(num)d", "%(num)s")
            variables.setdefault("num", text.count(num, locale))
        return Markup(message) % variables

    env.globals.update(_=translate, gettext=translate, ngettext=translate_plural)


def make_templates(locale: str = i18n.DEFAULT_LOCALE) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = i18n.translations(locale)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    install_translations(env, translations, locale)
    env.filters.update(
        isotime=iso_time,
        date=partial(text.absolute_date, locale=locale),
        date_and_time=partial(text.date_and_time, locale=locale),
        day_and_time=partial(text.day_and_time, locale=locale),
        count=partial(text.count, locale=locale),
        decimal=partial(text.decimal, locale=locale),
        safe_url=text.safe_http_url,
        comment_html=text.render_comment,
        json_ld=text.json_ld,
        localize=partial(i18n.localize, locale=locale),
        entity_name=partial(aliases.localized, language=locale),
    )
    env.globals.update(
        locale=locale,
        prefix=i18n.prefix(locale),
        article_path=partial(article_path, locale=locale),
        language_code=text.language_code,
        when=partial(time_element, locale=locale),
        lang_attr=partial(lang_attr, locale=locale),
        language_mark=partial(language_mark, locale=locale),
        duration=partial(text.duration, locale=locale),
    )
    return Jinja2Templates(env=env, context_processors=[_context])


class LocalizedTemplates:
    """The templates of every interface language; a response is rendered in its request's."""

    def __init__(self) -> None:
        self.by_locale = {locale: make_templates(locale) for locale in i18n.LOCALES}

    def TemplateResponse(  # noqa: N802 - the name Jinja2Templates gives it, so callers need not care
        self,
        request: Request,
        name: str,
        context: dict | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> Response:
        templates = self.by_locale[page_locale(request)]
        return templates.TemplateResponse(request, name, context, status_code, headers, media_type, background)
