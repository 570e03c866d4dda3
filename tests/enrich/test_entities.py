"""Hashtags: seed-story gold (every alias merged into one slug), alias rules, junk rules, story-wide resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.domain import Article, Hashtag
from storyline.enrich.entities import extract_hashtags, resolve_story, slugify, split_honorifics, story_renames
from storyline.nlp import split_sentences

GOLD = json.loads((Path(__file__).parent / "testdata" / "seed_gold.json").read_text(encoding="utf-8"))
MIN_RECALL = 0.9


def make_article(text: str, title: str = "A story", key: str = "k") -> Article:
    return Article(key=key, url=f"https://example.invalid/{key}", title=title, text=text, source="Test",
                   sentences=split_sentences(text))  # fmt: skip


@pytest.fixture(scope="module")
def seed_tags(seed_records) -> dict[str, list[Hashtag]]:
    """Each seed article's hashtags after story-wide resolution, as the story page shows them."""
    articles = [make_article(r["text"], r["title"], r["id"]) for r in seed_records]
    resolved = resolve_story([extract_hashtags(article) for article in articles])
    return {article.key: tags for article, tags in zip(articles, resolved, strict=True)}


def _alias_forms(alias: str) -> set[str]:
    bare = alias.removesuffix("'s").removesuffix("'").removeprefix("the ").removeprefix("The ")
    return {slugify(alias), slugify(bare)}


def test_seed_entities_found_with_every_alias_merged(seed_tags):
    found, missing = 0, []
    for key, article_gold in GOLD["articles"].items():
        slugs = {tag.slug: tag for tag in seed_tags[key]}
        for entity in article_gold["entities"]:
            slug = slugify(entity["name"])
            stray = [s for alias in entity["aliases"] for s in _alias_forms(alias) if s != slug and s in slugs]
            if slug in slugs and slugs[slug].kind == entity["kind"] and not stray:
                found += 1
            else:
                missing.append((key, entity["name"], slugs.get(slug), stray))
    total = sum(len(a["entities"]) for a in GOLD["articles"].values())
    assert found / total >= MIN_RECALL, missing


def test_seed_has_no_junk_tags(seed_tags):
    junk = {slugify(name) for name in GOLD["junk_names"]}
    for tags in seed_tags.values():
        for tag in tags:
            assert tag.slug not in junk, tag
            assert len(tag.name.split()) <= 6 and not tag.name.replace(",", "").isdigit(), tag
            assert tag.kind in {"person", "org", "place", "topic"}


def test_seed_topics_are_few_and_on_subject(seed_tags):
    for tags in seed_tags.values():
        topics = [tag for tag in tags if tag.kind == "topic"]
        assert 1 <= len(topics) <= 3
    all_topics = {tag.name for tags in seed_tags.values() for tag in tags if tag.kind == "topic"}
    assert {"grooming gangs", "child sexual exploitation"} <= all_topics


def test_hashtags_carry_sentences_and_slugs(seed_records):
    record = seed_records[0]
    article = make_article(record["text"], record["title"])
    tags = extract_hashtags(article)
    cooper = next(tag for tag in tags if tag.slug == "yvette-cooper")
    assert cooper.mentions >= 5
    assert all("Cooper" in article.sentences[i] for i in cooper.sentences)
    assert tags[0].slug == "yvette-cooper"  # most mentioned, and in the title


ALIAS_CASES = [
    ("titles and surname", "Yvette Cooper spoke. Ms Cooper said no. Later Cooper left.", "Yvette Cooper", "person"),
    ("peerage titles", "Baroness Louise Casey wrote it. Lady Casey's review was long. Casey agreed.",
     "Louise Casey", "person"),
    ("knight by first name", "Keir Starmer arrived in Leeds. Sir Keir said little.", "Keir Starmer", "person"),
    ("acronym after expansion", "The National Crime Agency will lead. The NCA has staff in Leeds.",
     "National Crime Agency", "org"),
    ("acronym defined in brackets", "It will be led by the National Crime Agency (NCA). The NCA agreed.",
     "National Crime Agency", "org"),
    ("country names", "Britain is wet. The UK is small. The United Kingdom voted.", "United Kingdom", "place"),
    ("article and possessive", "The Home Office said so. Home Office staff agreed with the Home Office's plan.",
     "Home Office", "org"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "canonical", "kind"), ALIAS_CASES, ids=[c[0] for c in ALIAS_CASES])
def test_aliases_resolve_to_one_entity(case, text, canonical, kind):
    tags = [tag for tag in extract_hashtags(make_article(text)) if tag.kind != "topic"]
    matching = [tag for tag in tags if tag.slug == slugify(canonical)]
    assert len(matching) == 1 and matching[0].kind == kind, tags
    others = [tag.name for tag in tags if tag.slug != slugify(canonical)]
    assert not any(word in name for name in others for word in canonical.split()), tags


JUNK_CASES = [
    ("role is not a person", "The Home Secretary said no. Shadow Home Secretary Chris Philp disagreed.",
     {"home-secretary", "home", "shadow-home"}),
    ("dates, numbers, money", "On Monday 12 January 2025, 300 people paid £5m, 10% more than in 2024.",
     {"monday", "12", "january", "2025", "300", "5m", "10"}),
    ("sentence-initial common word", "Adult abusers were jailed in Leeds. Flawed data was used.", {"adult", "flawed"}),
    ("nationalities", "Pakistani and Asian communities in Bradford spoke.", {"pakistani", "asian"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "junk"), JUNK_CASES, ids=[c[0] for c in JUNK_CASES])
def test_junk_is_never_a_hashtag(case, text, junk):
    slugs = {tag.slug for tag in extract_hashtags(make_article(text))}
    assert not slugs & junk, slugs


def test_place_misread_as_person_is_a_place():
    tags = extract_hashtags(make_article("Robbie Moore, Tory MP for Keighley, spoke. He lives in Keighley."))
    assert {tag.slug: tag.kind for tag in tags}.get("keighley") == "place"


def test_slug_is_lowercase_hyphenated_ascii():
    assert slugify("Rachel de Souza") == "rachel-de-souza"
    assert slugify("Zoë Müller-Lüdenscheidt") == "zoe-muller-ludenscheidt"


def test_resolve_story_merges_short_forms_across_outlets():
    first = [Hashtag("Casey", "person", "casey", 3, [0]), Hashtag("Cooper", "person", "cooper", 1, [1])]
    second = [Hashtag("Louise Casey", "person", "louise-casey", 2, [0]),
              Hashtag("Yvette Cooper", "person", "yvette-cooper", 1, [2])]  # fmt: skip
    resolved = resolve_story([first, second])
    assert [tag.slug for tag in resolved[0]] == ["louise-casey", "yvette-cooper"]
    assert resolved[0][0].mentions == 3 and resolved[0][0].name == "Louise Casey"
    assert story_renames([first, second])["cooper"].slug == "yvette-cooper"


def test_resolve_story_dedupes_within_an_article():
    tags = [Hashtag("Casey", "person", "casey", 2, [0]), Hashtag("Louise Casey", "person", "louise-casey", 1, [3])]
    (resolved,) = resolve_story([tags])
    assert len(resolved) == 1 and resolved[0].mentions == 3 and resolved[0].sentences == [0, 3]


def test_ambiguous_short_form_stays_apart():
    first = [Hashtag("Rachel", "person", "rachel", 1, [0])]
    second = [Hashtag("Rachel Reeves", "person", "rachel-reeves", 1, [0]),
              Hashtag("Rachel de Souza", "person", "rachel-de-souza", 1, [1])]  # fmt: skip
    assert resolve_story([first, second])[0][0].slug == "rachel"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Baroness Louise Casey", ("Louise Casey", "f", True)),
        ("lord Lord Bingham", ("Bingham", "m", True)),  # stacked honorifics once hung the whole import
        ("Dr Sir Mark Walport", ("Mark Walport", "m", True)),
        ("Sir", ("Sir", None, False)),
        ("Robbie Moore MP", ("Robbie Moore", None, False)),
    ],
)
def test_split_honorifics(name, expected):
    assert split_honorifics(name) == expected
