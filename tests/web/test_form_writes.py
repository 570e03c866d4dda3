"""A form that reads and then writes is not refused when another writer commits between the two.

On SQLite a transaction begun deferred reads from a snapshot; if the poller or the backlog commits before the
request's first write, SQLite refuses that write at once ("database is locked", whatever the busy timeout), and
the reader got a server error for following a hashtag or posting a comment on a busy server."""

from __future__ import annotations

import re

import pytest

from storyline.store import queries, reading


def seed_article_page(runtime) -> str:
    with reading(runtime.sessions) as session:
        return f"/en/article/{queries.latest_articles(session, 1)[0].public_id}"


def follow_id(client) -> int:
    return int(re.search(r'id="follow-(\d+)"', client.get("/follows").text).group(1))


def followed(client, forms) -> dict:
    token = forms.csrf(client.get("/follows").text)
    client.post("/follows", data={"kind": "section", "target": "Politics", "csrf_token": token})
    return {"follow": follow_id(client)}


# name: (what exists before, the form posted, its fields)
CASES = {
    "unfollow": (followed, "/follows", "/follows/{follow}/unfollow", {}),
    "mark a follow read": (followed, "/follows", "/read", {"scope": "follow:{follow}"}),
    "renew a follow's feed": (followed, "/follows", "/follows/{follow}/feed-token", {}),
    "save an article": (None, "{article}", "/saved", {"article": "{public_id}"}),
    "comment": (None, "{article}", "{article}/comments", {"body": "A fair account of the inquiry."}),
    "api password": (None, "/settings", "/settings/api-passwords", {"name": "newsboat"}),
}


@pytest.mark.parametrize("name", CASES)
def test_a_form_that_reads_then_writes_beside_another_writer(sqlite_client, sqlite_runtime, forms, other_writer, name):
    prepare, page, action, fields = CASES[name]
    forms.register(sqlite_client, "busy")
    article = seed_article_page(sqlite_runtime)
    names = {"article": article, "public_id": article.rsplit("/", 1)[1]}
    if prepare:
        names |= prepare(sqlite_client, forms)
    fields = {key: value.format(**names) for key, value in fields.items()}
    page, action = page.format(**names), action.format(**names)
    fields["csrf_token"] = forms.csrf(sqlite_client.get(page).text)
    other_writer.arm()
    response = sqlite_client.post(action, data=fields, follow_redirects=False)
    assert response.status_code in (200, 303), response.text
    assert other_writer.committed is False, "the form's write did not hold the write lock"


@pytest.mark.parametrize("kind", ["article", "story"])
def test_a_page_view_recorded_beside_another_writer(sqlite_client, sqlite_runtime, other_writer, forms, kind):
    forms.register(sqlite_client, "visitor")
    with reading(sqlite_runtime.sessions) as session:
        article = queries.latest_articles(session, 1)[0]
        page = f"/en/article/{article.public_id}" if kind == "article" else f"/en/story/{article.story_id}"
    sqlite_client.get(page)  # a story's first view brings its analysis up to date, a write of its own
    other_writer.arm()
    assert sqlite_client.get(page).status_code == 200
    assert other_writer.committed is False, "the visit was not recorded under the write lock"


def test_registering_beside_another_writer(sqlite_client, other_writer, forms):
    other_writer.arm()
    forms.register(sqlite_client, "newcomer")
    assert other_writer.committed is False, "the account's write did not hold the write lock"
