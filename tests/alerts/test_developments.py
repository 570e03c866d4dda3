"""Developments as a pure comparison of a story's states."""

from __future__ import annotations

from storyline.alerts import developments as dev

ANALYSIS = {
    "summary_citations": [{"article_id": "a1", "sentence": 0, "text": "Casey published her review.", "source": "BBC"}],
    "exclusives": {
        "Sky News": [{"article_id": "s1", "sentence": 2, "text": "The word was tippexed out.", "source": "Sky News"}]
    },
    "figures": [
        {
            "counts": "cases",
            "disagree": True,
            "values": [
                {"value": 800, "text": "800", "source": "BBC", "article_key": "a1", "sentence": 1},
                {"value": 1000, "text": "1,000", "source": "Sky News", "article_key": "s1", "sentence": 3},
            ],
        },
    ],
    "quotes": [
        {
            "text": "We will act",
            "speaker": "Yvette Cooper",
            "speaker_slug": "yvette-cooper",
            "first": {"article_id": "a1", "sentence": 4, "text": "We will act, she said.", "source": "BBC"},
        }
    ],
}
BEFORE = dev.StoryState("Review", 3, outlets=("BBC",), alerted_article_count=3)


def kinds(found):
    return sorted((f.kind, f.headline) for f in found)


def test_an_unchanged_story_has_no_development():
    after = dev.story_state("Review", 3, ["BBC"], {}, [])
    assert dev.developments(BEFORE, after, {}) == []


def test_a_new_story():
    found = dev.developments(None, dev.story_state("Review", 1, ["BBC"], ANALYSIS, []), ANALYSIS)
    assert kinds(found) == [("new_story", "New story: Review")]
    assert found[0].detail["cites"][0]["text"] == "Casey published her review."


def test_each_change_is_named_with_what_backs_it():
    after = dev.story_state("Review", 8, ["BBC", "Sky News"], ANALYSIS, [41])
    found = dev.developments(BEFORE, after, ANALYSIS)
    assert kinds(found) == [
        ("disagreement", "Outlets disagree on cases: BBC says 800; Sky News says 1,000"),
        ("merge", "Another story was merged into this one"),
        ("more_articles", "5 more articles on the story"),
        ("new_figure", "New key figure: 800 cases (BBC)"),
        ("new_outlet", "Sky News joins the story: The word was tippexed out."),
        ("new_quote", "Yvette Cooper: “We will act”"),
    ]
    outlet = next(f for f in found if f.kind == "new_outlet")
    assert outlet.detail == {
        "anchor": "#comparison-heading",
        "cites": ANALYSIS["exclusives"]["Sky News"],
        "outlet": "Sky News",
    }
    quote = next(f for f in found if f.kind == "new_quote")
    assert quote.detail["speaker_slug"] == "yvette-cooper"


def test_more_articles_is_measured_from_the_last_time_it_was_raised():
    grown = dev.story_state("Review", 7, ["BBC"], {}, [])
    assert dev.developments(BEFORE, grown, {}) == []  # 4 more: not yet
    kept = dev.next_state(BEFORE, grown, [])
    assert kept.alerted_article_count == 3
    grown_more = dev.story_state("Review", 8, ["BBC"], {}, [])
    found = dev.developments(kept, grown_more, {})
    assert kinds(found) == [("more_articles", "5 more articles on the story")]
    assert dev.next_state(kept, grown_more, found).alerted_article_count == 8


def test_state_survives_json():
    state = dev.story_state("Review", 8, ["BBC", "Sky News"], ANALYSIS, [41])
    assert dev.StoryState.from_json(state.to_json()) == state


def test_figure_developments_are_told_from_the_right_group_of_their_noun():
    """``compare_figures`` can list two groups counting "cases": the quantity outlets dispute, and a listing of
    different quantities of cases (today's count against a forecast). Each development is told from its own
    group, and a disagreement cites the two sentences that disagree."""
    disputed = {
        "counts": "cases",
        "relation": "disagree",
        "disagree": True,
        "values": [
            {"value": 800, "text": "800", "source": "BBC", "article_key": "a1", "sentence": 1},
            {"value": 700, "text": "700", "source": "ITV", "article_key": "i1", "sentence": 0},
            {"value": 900, "text": "900", "source": "Sky News", "article_key": "s1", "sentence": 3},
        ],
        "evidence": [
            {"article_id": "a1", "sentence": 1, "text": "There are 800 cases.", "source": "BBC"},
            {"article_id": "s1", "sentence": 3, "text": "There are 900 cases.", "source": "Sky News"},
        ],
    }
    different = {
        "counts": "cases",
        "relation": "different",
        "disagree": False,
        "values": [
            {"value": 1000, "text": "1,000", "source": "Guardian", "article_key": "g1", "sentence": 2},
            {"value": 800, "text": "800", "source": "BBC", "article_key": "a1", "sentence": 1},
        ],
        "evidence": [],
    }
    analysis = {"figures": [disputed, different]}
    found = dev.developments(BEFORE, dev.story_state("Review", 3, ["BBC"], analysis, []), analysis)
    assert kinds(found) == [
        ("disagreement", "Outlets disagree on cases: BBC says 800; ITV says 700; Sky News says 900"),
        ("new_figure", "New key figure: 800 cases (BBC)"),
    ]
    disagreement = next(f for f in found if f.kind == "disagreement")
    assert disagreement.detail["cites"] == disputed["evidence"]
