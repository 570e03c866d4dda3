"""Catalogue upkeep: extract every marked message into ``messages.pot`` and merge it into each language's
``.po`` (what ``pybabel extract -F babel.cfg -k N_ -k phrase`` and ``pybabel update`` do, in one step).
``storyline i18n update`` runs it; a test checks that ``messages.pot`` holds exactly what the code marks."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from storyline.i18n import DEFAULT_LOCALE, LOCALES, po_path

PACKAGE_DIR = Path(__file__).parents[1]
MAPPING = Path(__file__).parent / "babel.cfg"
TEMPLATE = Path(__file__).parent / "messages.pot"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "phrase": (1,)}
UPDATE_COMMAND = "storyline i18n update   (or: make i18n)"


def extract() -> Catalog:
    """Every message the code and templates mark, with where each is used."""
    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))
    catalog = Catalog(project="Storyline", msgid_bugs_address="", charset="utf-8")
    for filename, line, message, comments, context in extract_from_dir(
        PACKAGE_DIR, method_map, options_map, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return catalog


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        # No line numbers: parallel branches that add templates then change only the lines they add.
        write_po(target, catalog, width=120, sort_output=False, ignore_obsolete=True, include_lineno=False)


def message_ids(catalog: Catalog) -> set:
    return {message.id for message in catalog if message.id}


def update() -> dict[str, int]:
    """Rewrites ``messages.pot`` and merges it into every language's ``.po``; returns how many messages each
    language still lacks (new ones arrive untranslated, changed ones marked fuzzy)."""
    template = extract()
    write(template, TEMPLATE)
    missing = {}
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        path = po_path(locale)
        catalog = read(path, locale) if path.exists() else Catalog(locale=locale)
        catalog.update(template, update_header_comment=False)
        write(catalog, path)
        missing[locale] = sum(1 for m in catalog if m.id and (not m.string or m.fuzzy))
    return missing
