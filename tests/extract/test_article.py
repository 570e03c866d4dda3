"""extract_article on hand-written pages in the style of real news sites."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline.errors import ExtractError
from storyline.extract import Extracted, extract_article, title_from_text

TESTDATA = Path(__file__).parent / "testdata"


@dataclass(frozen=True)
class Page:
    file: str
    url: str
    title: str
    author: str | None
    published: datetime | None
    image_url: str | None
    language: str | None
    description: str | None
    present: tuple[str, ...]
    absent: tuple[str, ...] = field(default=())


PAGES = [
    Page(
        file="harbour_jsonld.html",
        url="https://www.coastalherald.example/news/2025/06/16/harbour-bridge-reopens",
        title="Harbour bridge reopens after two-year repair",
        author="Maria Okafor",
        published=datetime(2025, 6, 16, 8, 30, tzinfo=timezone.utc),
        image_url="https://cdn.coastalherald.example/img/bridge-og.jpg",
        language="en",
        description="The Kingsway bridge carries traffic again after a repair that ran a year late.",
        present=(
            "The Kingsway bridge reopened to traffic on Monday morning",
            '"We found corrosion far deeper inside the anchorages than any survey had shown,"',
            "Cyclists will have a separated lane for the first time",
        ),
        absent=(
            "We use cookies",
            "Accept all cookies",
            "Share on Facebook",
            "Read more: Ferry fares",
            "Advertisement",
            "Council approves harbour tunnel study",
            "Took them long enough",
            "All rights reserved",
            "Privacy policy",
            "Photograph: Coastal Herald Pictures",
            "dataLayer",
        ),
    ),
    Page(
        file="vendanges_opengraph.html",
        url="https://vignoble.example/actualites/vendanges-precoces",
        title="Vendanges précoces en Bourgogne",
        author="Claire Dubois",
        published=datetime(2024, 8, 20, 6, 15, tzinfo=timezone.utc),
        image_url="https://vignoble.example/medias/vendanges.jpg",
        language="fr",
        description="La chaleur d'août avance la récolte de deux semaines.",
        present=(
            "Les vendangeurs sont entrés dans les parcelles de la Côte de Beaune",
            "« Les sucres montent très vite",
        ),
        absent=(
            "Ce site utilise des cookies",
            "Par Claire Dubois",
            "Partager",
            "Le prix du foncier",
            "Mentions légales",
        ),
    ),
    Page(
        file="stadtrat_meta.html",
        url="https://zeitung.example/lokales/radweg",
        title="Stadtrat beschließt neuen Radweg am Flussufer",
        author="Jonas Weber",
        published=datetime(2023, 3, 2, tzinfo=timezone.utc),
        image_url=None,
        language="de",
        description=None,
        present=("Der Stadtrat hat am Donnerstagabend", "Mit dem Baubeginn wird im kommenden Frühjahr gerechnet"),
        absent=("Startseite", "Endlich tut sich etwas", "Impressum"),
    ),
]


@pytest.fixture(scope="module", params=PAGES, ids=lambda page: page.file)
def extracted(request: pytest.FixtureRequest) -> tuple[Page, Extracted]:
    page: Page = request.param
    return page, extract_article((TESTDATA / page.file).read_bytes(), page.url)


@pytest.mark.parametrize("name", ["title", "author", "published", "image_url", "language", "description"])
def test_metadata(extracted: tuple[Page, Extracted], name: str) -> None:
    page, result = extracted
    assert getattr(result, name) == getattr(page, name)


def test_published_is_aware_utc(extracted: tuple[Page, Extracted]) -> None:
    _, result = extracted
    assert result.published is None or result.published.utcoffset().total_seconds() == 0


def test_key_sentences_present(extracted: tuple[Page, Extracted]) -> None:
    page, result = extracted
    for sentence in page.present:
        assert sentence in result.text


def test_boilerplate_absent(extracted: tuple[Page, Extracted]) -> None:
    page, result = extracted
    for boilerplate in page.absent:
        assert boilerplate not in result.text


def test_body_is_paragraphs_one_per_line(extracted: tuple[Page, Extracted]) -> None:
    page, result = extracted
    lines = result.text.split("\n")
    assert all(line == line.strip() and line for line in lines)
    assert len(lines) >= len(page.present)


def test_headline_is_not_repeated_in_body(extracted: tuple[Page, Extracted]) -> None:
    page, result = extracted
    assert result.text.split("\n")[0] != page.title


def test_str_and_bytes_give_the_same_article() -> None:
    raw = (TESTDATA / "harbour_jsonld.html").read_bytes()
    url = "https://www.coastalherald.example/a"
    assert extract_article(raw, url) == extract_article(raw.decode("utf-8"), url)


def test_json_ld_body_used_when_page_renders_it_with_script() -> None:
    html = """<html><head><title>Shell</title>
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Late train",
      "articleBody": "The last train was cancelled.\\nPassengers waited two hours for a bus."}</script>
    </head><body><div id="app"></div><script>render()</script></body></html>"""
    result = extract_article(html, "https://news.example/late-train")
    assert result.text == "The last train was cancelled.\nPassengers waited two hours for a bus."
    assert result.title


def test_page_without_article_raises_extract_error() -> None:
    html = "<html><head><title>Home</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    with pytest.raises(ExtractError, match="no body found") as caught:
        extract_article(html, "https://news.example/")
    assert caught.value.subject == "https://news.example/"


def test_third_party_failure_surfaces_as_extract_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("storyline.extract.article.bare_extraction", broken)
    with pytest.raises(ExtractError, match="extraction failed") as caught:
        extract_article((TESTDATA / "harbour_jsonld.html").read_bytes(), "https://n.example/a")
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Just shipped v2.0 of our app. It is faster.", "Just shipped v2.0 of our app."),
        ("The U.S. Senate voted 52-48 on Tuesday. More later.", "The U.S. Senate voted 52-48 on Tuesday."),
        ("Mr. Smith went to Washington! Really.", "Mr. Smith went to Washington!"),
        ('He said "Go." Then he left.', 'He said "Go."'),
        ("A first line without a stop\nand a second line", "A first line without a stop"),
        ("no capital follows. so it runs on", "no capital follows. so it runs on"),
        ("word " * 60, ("word " * 22).strip() + "…"),  # cut at a word boundary within 110 characters
        ("x" * 300, "x" * 110 + "…"),  # one unbroken word: cut where it must be
    ],
)
def test_title_from_text_is_the_first_sentence_cut_at_a_word(text, title):
    assert title_from_text(text) == title
