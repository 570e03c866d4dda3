"""The For you ranking, follows' targets and read state as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from storyline.errors import InputError
from storyline.readers import follows, state
from storyline.readers.rank import Followed, Recent, rank_stories
from storyline.readers.rank import touches as rank_touches

T = datetime(2025, 6, 16, tzinfo=timezone.utc)


def stories(*rows) -> dict:
    """story id -> (outlet count, updated hours after T)"""
    return {story: (outlets, T + timedelta(hours=hours)) for story, outlets, hours in rows}


@pytest.mark.parametrize(
    "touched, live, order",
    [
        # more follows touched beats more outlets
        ({1: {10}, 2: {10, 11}}, [(1, 9, 0), (2, 1, 0)], [2, 1]),
        # equal touches: more outlets first
        ({1: {10}, 2: {11}}, [(1, 2, 5), (2, 4, 0)], [2, 1]),
        # equal touches and outlets: most recent first
        ({1: {10}, 2: {11}}, [(1, 2, 0), (2, 2, 5)], [2, 1]),
        # a story merged away (not live) is left out
        ({1: {10}, 2: {11}}, [(2, 2, 0)], [2]),
        ({}, [], []),
    ],
)
def test_stories_rank_by_follows_touched_then_outlets_then_recency(touched, live, order):
    assert [story.story_id for story in rank_stories(touched, stories(*live), 10)] == order


def test_ranking_keeps_the_best_few():
    touched = {story: {1} for story in range(1, 50)}
    live = stories(*[(story, story, 0) for story in range(1, 50)])
    assert [story.story_id for story in rank_stories(touched, live, 3)] == [49, 48, 47]


def recent(article_id, story_id, outlet_id=1, section="Sport", newer_than=1):
    return Recent(article_id, story_id, outlet_id, section, newer_than)


@pytest.mark.parametrize(
    "followed, touched",
    [
        ([Followed(1, "outlet", 7, 0)], {20: {1}}),
        ([Followed(1, "section", "Sport", 0)], {10: {1}, 20: {1}}),
        ([Followed(1, "story", 10, 0)], {10: {1}}),
        ([Followed(1, "hashtag", "alpha", 0)], {10: {1}}),
        ([Followed(1, "article", 3, 0), Followed(1, "article", 4, 0)], {20: {1}}),  # a saved search's matches
        # articles not newer than the follow's own (later) "read up to" time are read there, and touch nothing
        ([Followed(1, "section", "Sport", 1)], {20: {1}}),
        ([Followed(1, "hashtag", "alpha", 0), Followed(2, "section", "Sport", 0)], {10: {1, 2}, 20: {2}}),
        ([Followed(1, "hashtag", "beta", 0)], {}),
    ],
)
def test_follows_touch_the_stories_of_their_unread_articles(followed, touched):
    articles = [recent(1, 10), recent(2, 10), recent(3, 20, outlet_id=7, newer_than=2)]
    assert rank_touches(articles, followed, {1: {"alpha"}}) == touched


@pytest.mark.parametrize(
    "kind, target, stored",
    [
        ("hashtag", "louise-casey", "louise-casey"),
        ("search", "  grooming   gangs ", "grooming gangs"),
        ("story", "12", "12"),
    ],
)
def test_follow_targets_are_cleaned(kind, target, stored):
    assert follows.clean_target(kind, target) == stored


def test_keywords_are_casefolded():
    assert follows.clean_target("keyword", "Brexit", follows.MUTE_KINDS) == "brexit"


@pytest.mark.parametrize(
    "kind, target, kinds",
    [
        ("story", "twelve", follows.FOLLOW_KINDS),
        ("story", "0", follows.FOLLOW_KINDS),
        ("story", "99999999999999999999", follows.FOLLOW_KINDS),
        ("people", "x", follows.FOLLOW_KINDS),
        ("section", "   ", follows.FOLLOW_KINDS),
        ("section", "x" * 301, follows.FOLLOW_KINDS),
        ("keyword", "x" * 61, follows.MUTE_KINDS),
        ("section", "Sport", follows.MUTE_KINDS),
    ],
)
def test_bad_targets_are_refused(kind, target, kinds):
    with pytest.raises(InputError):
        follows.clean_target(kind, target, kinds)


def test_feed_tokens_are_long_random_and_compared_whole():
    token = follows.new_feed_token()
    assert len(token) >= 43 and token != follows.new_feed_token()
    assert follows.token_matches(token, token)
    assert not follows.token_matches(token, token[:-1])
    assert not follows.token_matches(token, "")


@pytest.mark.parametrize(
    "kind, target, path",
    [
        ("hashtag", "a b", "/en/hashtag/a%20b"),
        ("outlet", "bbc", "/en/source/bbc"),
        ("section", "UK/World", "/en/section/UK/World"),
        ("story", "7", "/en/story/7"),
        ("search", "a&b", "/search?q=a%26b"),
    ],
)
def test_page_paths(kind, target, path):
    assert follows.page_path(kind, target) == path


def test_muted_titles_are_matched_without_case():
    muted = follows.Muted(keywords=("brexit",))
    assert muted.hides_title("After BREXIT, what?") and not muted.hides_title("Budget")
    assert not follows.Muted() and muted


def test_unread_starts_at_the_latest_mark():
    assert state.read_up_to(T, [None, T + timedelta(days=1), T - timedelta(days=1)]) == T + timedelta(days=1)
    assert state.read_up_to(T, []) == T


@pytest.mark.parametrize("older_than, mark", [("", T), ("day", T - timedelta(days=1)), ("week", T - timedelta(7))])
def test_mark_all_read_older_than(older_than, mark):
    assert state.mark_time(T, older_than) == mark


def test_unread_ids_leave_out_read_rows_and_what_the_mark_covers():
    published = {1: T, 2: T + timedelta(hours=1), 3: T + timedelta(hours=2)}
    assert state.unread_ids(published, read={3}, up_to=T) == {2}


@pytest.mark.parametrize(
    "seen, now, expected, truthy",
    [((3, 2), (6, 3), (3, 1), True), ((3, 2), (3, 2), (0, 0), False), ((5, 3), (2, 1), (0, 0), False)],
)
def test_new_since_counts_what_a_story_gained(seen, now, expected, truthy):
    news = state.new_since(T, *seen, *now)
    assert (news.articles, news.outlets) == expected and bool(news) is truthy


def test_unread_label_caps():
    assert state.unread_label(5) == "5" and state.unread_label(100) == "99+"
