from datetime import datetime, timezone
from types import SimpleNamespace

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
