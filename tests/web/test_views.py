from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from storyline.web.views import collapse_duplicates, comment_tree


def row(id, outlet_id, outlet, duplicate_of_id=None):
    return SimpleNamespace(
        id=id,
        outlet_id=outlet_id,
        outlet=SimpleNamespace(name=outlet),
        duplicate_of_id=duplicate_of_id,
        published_at=datetime(2025, 6, 16, tzinfo=timezone.utc),
    )


def test_syndicated_copies_are_shown_once_with_also_in():
    originals = [row(1, 1, "Agency"), row(4, 4, "Other")]
    copies = [(1, 2, "Paper A"), (1, 3, "Paper B"), (1, 2, "Paper A"), (1, 1, "Agency"), (99, 5, "Elsewhere")]
    coverage = collapse_duplicates(originals, copies)
    assert [(item.article.id, item.also_in) for item in coverage] == [(1, ["Paper A", "Paper B"]), (4, [])]


def comment(id, parent_id=None, deleted=False, hidden=False):
    return SimpleNamespace(id=id, parent_id=parent_id, deleted=deleted, hidden=hidden)


def test_comment_tree_threads_replies_and_drops_removed_leaves():
    comments = [comment(1), comment(2, 1), comment(3, deleted=True), comment(4, hidden=True), comment(5, 4)]
    tree = comment_tree(comments)
    assert [(node.comment.id, [child.comment.id for child in node.children]) for node in tree] == [(1, [2]), (4, [5])]


def test_join_reason_says_when_an_article_woke_a_retired_story():
    from datetime import timedelta

    from storyline.web.views import join_reason

    story = SimpleNamespace(created_at=datetime(2025, 6, 16, tzinfo=timezone.utc))
    placed = {"entities": ["Louise Casey"], "terms": ["casey", "inquiry"], "cosine": 0.8, "rejoined": True}
    article = SimpleNamespace(placement=placed, published_at=story.created_at + timedelta(days=2))
    reason = join_reason(article, story)
    assert reason.rejoined and reason.shared == ["Louise Casey", "inquiry"] and reason.after_first == timedelta(days=2)
    assert not join_reason(
        SimpleNamespace(placement={**placed, "rejoined": False}, published_at=article.published_at), story
    ).rejoined


@pytest.mark.parametrize(("stored", "shown"), [(0.71, 0.71), (1.03, 1.0), (-1.2, -1.0)])
def test_join_reason_shows_a_similarity_between_minus_one_and_one(stored, shown):
    """A report in another language is compared through the multilingual bridge, whose score on MiniLM's scale
    can pass 1: the German seed report read "1.03 similar"."""
    from storyline.web.views import join_reason

    story = SimpleNamespace(created_at=datetime(2025, 6, 16, tzinfo=timezone.utc))
    article = SimpleNamespace(placement={"cosine": stored}, published_at=story.created_at)
    assert join_reason(article, story).similarity == shown


def test_join_reason_tells_an_article_published_before_its_story_s_first_report():
    """A feed polled late brings an article older than the story it joins: three hours before, not "under a
    minute after", the first report."""
    from datetime import timedelta

    from storyline.web.views import join_reason

    story = SimpleNamespace(created_at=datetime(2025, 6, 16, 18, 5, tzinfo=timezone.utc))
    late = SimpleNamespace(placement={"cosine": 0.8}, published_at=story.created_at - timedelta(hours=3))
    reason = join_reason(late, story)
    assert reason.before_first and reason.gap == timedelta(hours=3) and reason.after_first == -timedelta(hours=3)
    on_time = join_reason(SimpleNamespace(placement={"cosine": 0.8}, published_at=story.created_at), story)
    assert not on_time.before_first and on_time.gap == timedelta(0)
