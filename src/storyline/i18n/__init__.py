"""The site in the reader's language: which interface languages exist, which one a request gets, and their
catalogues (gettext ``.po`` files compiled in memory when first needed, so no binary ``.mo`` is committed).

Messages written in Python are marked with ``N_`` (a constant translated where it is shown) or built with
``phrase`` (a message with values, English as a plain ``str`` for logs and the JSON API, translated by the page
that shows it). ``storyline i18n update`` extracts every marked message into ``messages.pot`` and merges it into
each ``locales/<lang>/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import re
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from storyline.errors import ConfigError

DEFAULT_LOCALE = "en"
# English is the catalogue's source language; a language is listed here only when its catalogue is complete.
LOCALES = ("en", "fr", "de", "es")
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Marks a constant for extraction; it is translated where it is shown."""
    return message


class Phrase(str):
    """A message with its values: reads as its English text everywhere a ``str`` goes; ``localize`` gives it
    in another language."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Phrase:
        text = super().__new__(cls, msgid % values if values else msgid)
        text.msgid, text.values = msgid, values
        return text


def phrase(msgid: str, **values: object) -> Phrase:
    return Phrase(msgid, **values)


def is_locale(code: str) -> bool:
    return code in LOCALES


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> Translations:
    """The locale's catalogue, compiled from its ``.po`` in memory once a process; English is the messages
    themselves."""
    if locale == DEFAULT_LOCALE:
        return Translations()
    if locale not in LOCALES:
        raise ConfigError(f"no interface catalogue for {locale!r}; there are {', '.join(LOCALES)}")
    try:
        with po_path(locale).open("rb") as source:
            catalog = read_po(source, locale=locale, domain=DOMAIN)
    except OSError as exc:
        raise ConfigError(
            f"the {locale} interface catalogue cannot be read: {exc}", subject=str(po_path(locale))
        ) from exc
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def localize(message: str, locale: str) -> str:
    """A message from Python (a ``Phrase``, an ``N_`` constant, or text from elsewhere, which stays as it
    is) in ``locale``."""
    if not message:
        return message  # gettext("") is the catalogue's header
    catalog = translations(locale)
    if isinstance(message, Phrase):
        return catalog.gettext(message.msgid) % message.values if message.values else catalog.gettext(message.msgid)
    return catalog.gettext(message)


def accepted_languages(header: str | None) -> list[str]:
    """An ``Accept-Language`` header's languages, most wanted first (RFC 9110 §12.5.4); malformed items and
    ``q=0`` are skipped."""
    ranked = []
    for position, item in enumerate((header or "").split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if match is None or match.group(1) == "*":
            continue
        quality = float(match.group(2)) if match.group(2) else 1.0
        if quality > 0:
            ranked.append((-quality, position, match.group(1)))
    return [language for _, _, language in sorted(ranked)]


def negotiate(header: str | None) -> str:
    """The interface language for an ``Accept-Language`` header: Babel's negotiation over ours, else English.
    ``fr-CA`` gets French: Babel matches a region's tag to its language."""
    preferred = accepted_languages(header)
    found = negotiate_locale(preferred, LOCALES, sep="-") or negotiate_locale(
        [tag.split("-")[0] for tag in preferred], LOCALES, sep="-"
    )
    return found or DEFAULT_LOCALE


@cache
def language_name(locale: str) -> str:
    """A language's own name, capitalised as a menu item: "English", "Français"."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


# Pages whose address starts with a language code, the content's or the interface's: /fr/story/12. Every other
# page is English at its bare address (/about) and in another interface language under its prefix (/fr/about).
CONTENT_PAGES = frozenset({"article", "story", "hashtag", "section", "source"})
_LANGUAGE_SEGMENT = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def prefix(locale: str) -> str:
    """What the site's own links start with in ``locale``: nothing for English, "/fr" for French."""
    return "" if locale == DEFAULT_LOCALE else f"/{locale}"


def split_path(path: str) -> tuple[str | None, str, bool]:
    """An address as (its leading language code or None, the rest, whether the rest is a content page)."""
    first, _, rest = path.lstrip("/").partition("/")
    rest = f"/{rest}"
    content = rest.lstrip("/").partition("/")[0] in CONTENT_PAGES
    if first in LOCALES or (content and _LANGUAGE_SEGMENT.fullmatch(first)):
        return first, rest, content
    return None, path, path.lstrip("/").partition("/")[0] in CONTENT_PAGES


def localized_path(path: str, locale: str) -> str:
    """The same page in another interface language: /fr/story/3 and /en/story/3, /fr/about and /about, /fr/
    and /en/."""
    _, rest, content = split_path(path)
    if content or rest == "/":
        return f"/{locale}{rest}"
    return prefix(locale) + rest
