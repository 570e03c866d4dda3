"""An article's hashtags are one a slug after every renaming step, whatever the names and aliases."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from storyline.domain import Article, Hashtag
from storyline.enrich.entities import extract_hashtags, resolve_story, slugify, unique_hashtags
from storyline.nlp import split_sentences

TESTDATA = Path(__file__).parent / "testdata"

# Names that collide once slugged: case, accents and punctuation differ, the slug does not.
NAMES = ["Venture Capital", "venture capital", "Vénture Capital", "Casey", "Louise Casey", "NCA", "U.S.", "US"]
KINDS = ["person", "org", "place", "topic"]

hashtags = st.builds(
    lambda name, kind, mentions, sentences: Hashtag(name, kind, slugify(name), mentions, sentences),
    st.sampled_from(NAMES),
    st.sampled_from(KINDS),
    st.integers(min_value=1, max_value=9),
    st.lists(st.integers(min_value=0, max_value=20), max_size=4),
)
alias_maps = st.dictionaries(
    st.sampled_from([slugify(name) for name in NAMES]),
    st.sampled_from(NAMES).map(lambda name: Hashtag(name, "person", slugify(name))),
    max_size=4,
)


@given(st.lists(hashtags, max_size=12))
def test_unique_hashtags_keeps_one_a_slug_and_every_mention(tags):
    unique = unique_hashtags(tags)
    assert len({tag.slug for tag in unique}) == len(unique)
    assert sum(tag.mentions for tag in unique) == sum(tag.mentions for tag in tags)
    assert [tag.slug for tag in unique] == list(dict.fromkeys(tag.slug for tag in tags))
    for kept in unique:
        same = [tag for tag in tags if tag.slug == kept.slug]
        assert kept.sentences == sorted({s for tag in same for s in tag.sentences})
        if any(tag.kind != "topic" for tag in same):
            assert kept.kind != "topic"  # a name beats a topic


@given(st.lists(st.lists(hashtags, max_size=8), min_size=1, max_size=4), alias_maps)
def test_story_resolution_leaves_every_article_one_hashtag_a_slug(per_article, renames):
    for tags in resolve_story(per_article, renames):
        assert len({tag.slug for tag in tags}) == len(tags)


def test_a_name_and_a_topic_with_one_slug_are_one_hashtag():
    tags = [Hashtag("venture capital", "topic", "venture-capital", 4, [1, 3]),
            Hashtag("Venture Capital", "org", "venture-capital", 2, [0])]  # fmt: skip
    (tag,) = unique_hashtags(tags)
    assert (tag.name, tag.kind, tag.mentions, tag.sentences) == ("Venture Capital", "org", 6, [0, 1, 3])


def test_the_blog_post_that_stopped_polling_gets_unique_hashtags():
    """A 2008 post writing both "Venture Capital" and "venture capital": an org and a topic with one slug."""
    record = json.loads((TESTDATA / "venture_capital_post.json").read_text(encoding="utf-8"))
    article = Article("vc", record["url"], record["title"], record["text"], record["source"])
    article.sentences = split_sentences(article.text)
    tags = extract_hashtags(article)
    slugs = [tag.slug for tag in tags]
    assert len(slugs) == len(set(slugs))
    assert {tag.slug: tag.kind for tag in tags}["venture-capital"] == "org"
