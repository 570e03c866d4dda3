"""Filter rules and title rewrites: matching, Miniflux's keep/block semantics, timeouts, validation on save."""

from __future__ import annotations

import time

import pytest

from storyline.errors import InputError
from storyline.rules import Fields, decide, make_rewrite, make_rule, matches, rewrite_title

ARTICLE = Fields(
    title="Bitcoin falls as Crypto-markets wobble",
    body="Traders said the sell-off in cryptocurrencies was the worst since March.",
    author="Jane Doe",
    url="https://news.example/markets/bitcoin-falls?ref=rss",
    outlet="Example Business",
)

MATCHING = [
    # (field, kind, pattern, matches ARTICLE)
    ("title", "words", "bitcoin", True),
    ("title", "words", "BITCOIN", True),  # words are case-insensitive
    ("title", "words", "bit", False),  # whole words only
    ("title", "words", "ethereum, crypto", True),  # any of the comma-separated phrases
    ("title", "words", "falls as", True),  # a phrase
    ("title", "words", "as falls", False),
    ("body", "words", "sell-off", True),
    ("body", "words", "bitcoin", False),
    ("author", "words", "jane doe", True),
    ("author", "words", "john", False),
    ("url", "words", "markets", True),
    ("url", "regex", r"/markets/", True),
    ("outlet", "words", "example business", True),
    ("outlet", "words", "business insider", False),
    ("title", "regex", r"^Bitcoin\b", True),
    ("title", "regex", r"^bitcoin", False),  # expressions are case-sensitive...
    ("title", "regex", r"(?i)^bitcoin", True),  # ...unless they say otherwise
    ("any", "words", "jane", True),
    ("any", "words", "sports", False),
    ("title", "words", "1.5", False),  # the dot is literal in words, not "any character"
]


@pytest.mark.parametrize(("field", "kind", "pattern", "expected"), MATCHING)
def test_matching(field, kind, pattern, expected):
    assert matches(make_rule(1, "block", field, kind, pattern), ARTICLE) is expected


def _rules(*specs):
    return [make_rule(n, action, field, "words", pattern) for n, (action, field, pattern) in enumerate(specs, 1)]


DECISIONS = [
    # (rules, keep?, the deciding rule's id)
    ((), True, None),
    ((("block", "title", "bitcoin"),), False, 1),
    ((("block", "title", "football"),), True, None),
    ((("keep", "title", "bitcoin"),), True, 1),
    ((("keep", "title", "football"),), False, None),  # a keep rule applies and none matched
    ((("keep", "title", "football"), ("keep", "body", "traders")), True, 2),
    ((("keep", "title", "bitcoin"), ("block", "author", "jane")), False, 2),  # block wins over keep
    ((("block", "title", "football"), ("block", "body", "march")), False, 2),
]


@pytest.mark.parametrize(("specs", "keep", "rule_id"), DECISIONS)
def test_keep_and_block_semantics(specs, keep, rule_id):
    decision = decide(_rules(*specs), ARTICLE)
    assert (decision.keep, decision.rule_id) == (keep, rule_id)


REFUSED = [
    ("regex", "(unclosed", "does not compile"),
    ("regex", "", "empty"),
    ("words", " , ,", "no words"),
    ("regex", "x" * 501, "at most 500"),
    ("regex", r"(a+)+$", "too slow"),
    ("regex", r"(x+x+)+y", "too slow"),
    ("regex", r"^(\w+\s?)+$", "too slow"),
    ("glob", "*", "kind of pattern"),
]


@pytest.mark.parametrize(("kind", "pattern", "reason"), REFUSED)
def test_bad_patterns_are_refused_on_save(kind, pattern, reason):
    with pytest.raises(InputError, match=reason):
        make_rule(None, "block", "title", kind, pattern)


@pytest.mark.parametrize(("action", "field"), [("drop", "title"), ("block", "headline"), ("block", "")])
def test_actions_and_fields_outside_the_choices_are_refused(action, field):
    with pytest.raises(InputError):
        make_rule(None, action, field, "words", "x")


def test_a_slow_search_times_out_and_never_drops_the_article(monkeypatch):
    """A pattern that passed the probes can still meet a text that makes it backtrack: the search stops at the
    timeout, a block rule then does not block and a keep rule keeps."""
    import storyline.rules as rules

    monkeypatch.setattr(rules, "_probe", lambda compiled: None)  # as if it had slipped past the check
    slow = make_rule(7, "block", "body", "regex", r"(a|aa)+$")
    hostile = Fields(title="t", body="a" * 60 + "!")
    started = time.monotonic()
    assert matches(slow, hostile) is None
    assert time.monotonic() - started < 1.0
    assert decide([slow], hostile).keep is True
    keep = make_rule(8, "keep", "body", "regex", r"(a|aa)+$")
    assert decide([keep], hostile) == rules.Decision(True, 8)


REWRITES = [
    (r"^\[Sponsored\]\s*", "", "[Sponsored] Buy this", "Buy this"),
    (r"^(\w+): (.*)$", r"\2 (\1)", "Opinion: Taxes are due", "Taxes are due (Opinion)"),
    (r"(?P<site> - Example News)$", "", "Bridge reopens - Example News", "Bridge reopens"),
    (r".*", "", "Everything goes", "Everything goes"),  # nothing left: the original stays
    (r"nomatch", "x", "Unchanged title", "Unchanged title"),
]


@pytest.mark.parametrize(("pattern", "replacement", "title", "expected"), REWRITES)
def test_title_rewrites(pattern, replacement, title, expected):
    assert rewrite_title(make_rewrite(pattern, replacement), title) == expected


@pytest.mark.parametrize(
    ("pattern", "replacement"), [("(a)", r"\2"), ("(?P<x>a)", r"\g<y>"), ("(", ""), ("a", "x" * 501)]
)
def test_bad_rewrites_are_refused(pattern, replacement):
    with pytest.raises(InputError):
        make_rewrite(pattern, replacement)


def test_no_rewrite_leaves_titles_alone():
    assert rewrite_title(None, "Title") == "Title"
