"""One name for an entity across languages: "Allemagne", "Alemania" and "Deutschland" are the hashtag Germany,
"OTAN" and "NATO" one hashtag, and a hashtag is shown in the reader's language where its name is known there.

Countries and the unions of them come from the Unicode CLDR territory names that Babel ships (every country in
English, French, German and Spanish); the organisations and places news names most often across languages, which
CLDR does not cover, from a short table here. Canonical names are the English ones, so that a French report and
the English coverage of one event share their hashtags (and the placement model's entity features).
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale

LANGUAGES = ("en", "fr", "de", "es")

# English name -> language -> its names there, the one shown to readers first; only where they differ from English.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "NATO": {"fr": ("OTAN",), "es": ("OTAN",)},
    "White House": {"fr": ("Maison Blanche",), "de": ("Weißes Haus", "Weißen Haus"), "es": ("Casa Blanca",)},
    "Supreme Court": {"fr": ("Cour suprême",), "de": ("Oberster Gerichtshof", "Obersten Gerichtshof"),
                      "es": ("Tribunal Supremo", "Corte Suprema")},
    "Congress": {"fr": ("Congrès",), "de": ("Kongress",), "es": ("Congreso",)},
    "Senate": {"fr": ("Sénat",), "de": ("Senat",), "es": ("Senado",)},
    "House of Representatives": {"fr": ("Chambre des représentants",), "de": ("Repräsentantenhaus",),
                                 "es": ("Cámara de Representantes",)},
    "Republican Party": {"fr": ("Parti républicain",), "de": ("Republikanische Partei",),
                         "es": ("Partido Republicano",)},
    "Democratic Party": {"fr": ("Parti démocrate",), "de": ("Demokratische Partei",), "es": ("Partido Demócrata",)},
    "Pentagon": {"fr": ("Pentagone",), "es": ("Pentágono",)},
    "Kremlin": {"de": ("Kreml",)},
    "London": {"fr": ("Londres",), "es": ("Londres",)},
    "Moscow": {"fr": ("Moscou",), "de": ("Moskau",), "es": ("Moscú",)},
    "Brussels": {"fr": ("Bruxelles",), "de": ("Brüssel",), "es": ("Bruselas",)},
    "New York": {"es": ("Nueva York",)},
    "California": {"fr": ("Californie",), "de": ("Kalifornien",)},
    "Florida": {"fr": ("Floride",)},
    "West Bank": {"fr": ("Cisjordanie",), "de": ("Westjordanland",), "es": ("Cisjordania",)},
    "Jerusalem": {"fr": ("Jérusalem",), "es": ("Jerusalén",)},
    "Kyiv": {"fr": ("Kiev",), "de": ("Kiew",), "es": ("Kiev",)},
    "Beijing": {"fr": ("Pékin",), "de": ("Peking",), "es": ("Pekín",)},
    # German writes these inflected or by another name than CLDR's
    "United States": {"de": ("USA", "Vereinigten Staaten")},
    "United Kingdom": {"de": ("Großbritannien", "Vereinigten Königreich")},
    "European Union": {"fr": ("UE",), "de": ("EU", "Europäischen Union"), "es": ("UE",)},
    "United Nations": {"fr": ("ONU", "Organisation des Nations unies"), "de": ("UNO", "Vereinten Nationen"),
                       "es": ("ONU", "Organización de las Naciones Unidas")},
}  # fmt: skip
# The table's organisations; its other names, like every country and union of countries, are places.
ORGANISATIONS = frozenset({"NATO", "United Nations", "European Union", "Supreme Court", "Congress", "Senate",
                           "House of Representatives", "Republican Party", "Democratic Party", "Pentagon",
                           "Kremlin"})  # fmt: skip


def _territories(locale: str) -> dict[str, str]:
    """CLDR names of countries and country unions (two-letter codes), by code."""
    return {code: name for code, name in Locale.parse(locale).territories.items() if len(code) == 2 and code.isalpha()}


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    """Lowercased name in any of ``LANGUAGES`` -> the English name; only names that differ from it."""
    english = _territories("en")
    found: dict[str, str] = {}
    for language in LANGUAGES[1:]:
        for code, name in _territories(language).items():
            if code in english and name.lower() != english[code].lower():
                found.setdefault(name.lower(), english[code])
    for name, languages in NAMES.items():
        for forms in languages.values():
            found.update((form.lower(), name) for form in forms)
    return found


def canonical(name: str) -> str | None:
    """The English name of an entity written ``name`` in another language, or None when there is none."""
    return _canonical().get(name.lower())


@lru_cache(maxsize=len(LANGUAGES))
def _names_in(language: str) -> dict[str, str]:
    """Lowercased name in ``language`` or in English -> the English name, for every country, union of countries
    and name of the table."""
    english = _territories("en")
    found = {name.lower(): name for name in [*english.values(), *NAMES]}
    found.update((name.lower(), english[code]) for code, name in _territories(language).items() if code in english)
    for name, languages in NAMES.items():
        found.update((form.lower(), name) for form in languages.get(language, ()))
    return found


def known(name: str, language: str) -> tuple[str, str] | None:
    """(English name, kind) of the country, union of countries or name of the table written ``name`` in
    ``language`` or in English, else None: the names that can be trusted where no entity pipeline reads the
    language (a name of another language may be a word or a first name here: "Maurice" is Mauritius in French)."""
    english = _names_in(language).get(name.lower())
    if english is None:
        return None
    return english, "org" if english in ORGANISATIONS else "place"


@lru_cache(maxsize=1)
def _territory_codes() -> dict[str, str]:
    return {name.lower(): code for code, name in _territories("en").items()}


@lru_cache(maxsize=4096)
def localized(name: str, language: str) -> str:
    """``name`` (a canonical English name) as readers of ``language`` write it: CLDR's name for a country,
    the table's first form for the others it knows, else the name itself."""
    if language == "en" or language not in LANGUAGES:
        return name
    code = _territory_codes().get(name.lower())
    if code is not None:
        return _territories(language).get(code, name)
    return NAMES.get(name, {}).get(language, (name,))[0]
