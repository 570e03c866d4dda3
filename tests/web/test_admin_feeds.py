"""Feed administration through its forms (TestClient): who may use it, CSRF, adding by a site's address on a
loopback server, pausing, options, deleting with the articles kept or removed, OPML with folders, filter
rules, rate limits, and hostile input shown as errors on the page, never a 500."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from storyline.collect import add_feed
from storyline.fetch.opml import parse_opml
from storyline.store import feeds_admin, queries, transaction
from storyline.store.models import Article
from storyline.web.accounts import create_admin
from storyline.web.app import create_app
from storyline.web.security import Limit, RateLimits

PASSWORD = "admin password 1"
SITE = b"""<!doctype html><html><head><title>Town News</title>
<link rel="alternate" type="application/rss+xml" title="Town News" href="/news/feed.xml"></head>
<body><h1>Town News</h1></body></html>"""
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Town News</title><link>http://town/</link>
<item><title>Bridge reopens</title><link>http://town.example/bridge</link></item></channel></rss>"""
OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
<outline text="Tech"><outline text="Alpha" type="rss" xmlUrl="https://alpha.example/feed"/>
<outline text="Deep"><outline text="Beta" type="rss" xmlUrl="https://beta.example/feed"/></outline></outline>
<outline text="Gamma" type="rss" xmlUrl="https://gamma.example/feed"/>
<outline text="Bad" type="rss" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


@pytest.fixture
def app_client(sqlite_runtime):
    def make(limits: RateLimits | None = None) -> TestClient:
        return TestClient(create_app(sqlite_runtime, limits))

    with make() as client:
        client.make = make
        yield client


@pytest.fixture
def admin(app_client, sqlite_runtime, forms):
    create_admin(sqlite_runtime, "editor", PASSWORD)
    assert forms.login(app_client, "editor", PASSWORD).status_code == 303
    return app_client


def _post(client, forms, path, data=None, files=None, page="/admin/feeds"):
    token = forms.csrf(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **(data or {})}, files=files, follow_redirects=False)


def _feed_id(runtime, url: str) -> int:
    with transaction(runtime.sessions) as session:
        feed = feeds_admin.find_feed_by_url(session, url)
        assert feed is not None, url
        return feed.id


def test_anonymous_visitors_and_members_are_kept_out(app_client, sqlite_runtime, forms):
    feed = add_feed(sqlite_runtime, "https://a.example/feed")
    for path in ("/admin/feeds", "/admin/rules", "/admin/feeds/opml", f"/admin/feeds/{feed.id}/delete"):
        assert app_client.get(path).status_code == 401, path
    assert "/admin/feeds" not in app_client.get("/").text
    forms.register(app_client, "member")
    for path in ("/admin/feeds", "/admin/rules", "/admin/feeds/opml", f"/admin/feeds/{feed.id}/delete"):
        assert app_client.get(path).status_code == 403, path
    token = forms.csrf(app_client.get("/").text)
    for path in ("/admin/feeds/add", "/admin/feeds/poll", f"/admin/feeds/{feed.id}/pause", "/admin/rules"):
        response = app_client.post(path, data={"csrf_token": token, "address": "https://b.example/"})
        assert response.status_code == 403, path
    assert "/admin/feeds" not in app_client.get("/").text
    with transaction(sqlite_runtime.sessions) as session:
        assert not queries.get_feed(session, feed.id).paused
        assert len(queries.list_feeds(session)) == 1


def test_admins_see_the_header_link(admin):
    assert 'href="/admin/feeds"' in admin.get("/").text


def test_every_form_needs_the_csrf_token(admin, sqlite_runtime, forms):
    feed = add_feed(sqlite_runtime, "https://a.example/feed")
    posts = {
        "/admin/feeds/add": {"address": "https://b.example/"},
        "/admin/feeds/poll": {},
        f"/admin/feeds/{feed.id}/poll": {},
        f"/admin/feeds/{feed.id}/pause": {"paused": "1"},
        f"/admin/feeds/{feed.id}/rename": {"title": "x"},
        f"/admin/feeds/{feed.id}/options": {"page_mode": "never"},
        f"/admin/feeds/{feed.id}/delete": {"articles": "remove"},
        "/admin/rules": {"action": "block", "field": "title", "kind": "words", "pattern": "x"},
    }
    for path, data in posts.items():
        assert admin.post(path, data=data).status_code == 403, path
        assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    assert admin.post("/admin/feeds/opml", files={"file": ("a.opml", OPML)}).status_code == 403
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, feed.id)
        assert stored is not None and not stored.paused and stored.custom_title is None
        assert feeds_admin.list_rules(session) == []


def test_add_a_feed_by_its_sites_address(admin, sqlite_runtime, forms, loopback_server):
    loopback_server.routes = {
        "/": (200, {"Content-Type": "text/html; charset=utf-8"}, SITE),
        "/news/feed.xml": (200, {"Content-Type": "application/rss+xml"}, RSS),
    }
    response = _post(admin, forms, "/admin/feeds/add", {"address": loopback_server.url("/"), "folder": " Local  news "})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/feeds?notice=added#feed-")
    feed_id = _feed_id(sqlite_runtime, loopback_server.url("/news/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feed = queries.get_feed(session, feed_id)
        assert (feed.title, feed.folder) == ("Town News", "Local news")
    page = admin.get(response.headers["location"]).text
    assert "Feed added." in page and "Town News" in page and "Local news" in page
    again = _post(admin, forms, "/admin/feeds/add", {"address": loopback_server.url("/news/feed.xml")})
    assert "notice=exists" in again.headers["location"]


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("javascript:alert(1)", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("", "please enter"),
        ("https://" + "a" * 2100 + ".example/", "at most 2000"),
        ("http://user:pw@host.example/", "credentials"),
        ("<script>alert(1)</script>", "Could not add that feed"),
    ],
)
def test_bad_addresses_are_shown_as_errors(admin, forms, address, shown, assert_inert):
    response = _post(admin, forms, "/admin/feeds/add", {"address": address})
    assert response.status_code == 400
    assert shown in response.text
    assert_inert(response.text)


def test_a_site_without_a_feed_is_an_error_on_the_page(admin, forms, loopback_server):
    loopback_server.routes = {"/": (200, {"Content-Type": "text/html"}, b"<html><head></head><body>x</body></html>")}
    response = _post(admin, forms, "/admin/feeds/add", {"address": loopback_server.url("/")})
    assert response.status_code == 400 and "no feed found" in response.text


def test_pause_stops_polling_and_resume_restarts_it(admin, sqlite_runtime, forms, loopback_server):
    loopback_server.routes = {"/feed.xml": (200, {"Content-Type": "text/html"}, b"<html>not a feed</html>")}
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    assert _post(admin, forms, f"/admin/feeds/{feed.id}/pause", {"paused": "1"}).status_code == 303
    page = admin.get("/admin/feeds").text
    assert "paused" in page and "Resume" in page
    assert "<td>paused</td>" in admin.get("/feeds").text  # the public status page says so too
    polled = _post(admin, forms, "/admin/feeds/poll").headers["location"]
    assert polled == "/admin/feeds?notice=polled&count=0"
    assert "Polled: 0 new articles." in admin.get(polled).text
    assert "Polled: 1 new article." in admin.get("/admin/feeds?notice=polled&count=1").text
    assert "<b>" not in admin.get("/admin/feeds?notice=<b>x</b>&count=<b>").text
    poll_now = _post(admin, forms, f"/admin/feeds/{feed.id}/poll")
    assert "notice=paused-not-polled" in poll_now.headers["location"]
    assert loopback_server.requests == []
    assert _post(admin, forms, f"/admin/feeds/{feed.id}/pause", {"paused": "0"}).status_code == 303
    _post(admin, forms, f"/admin/feeds/{feed.id}/poll")
    assert [path for path, _ in loopback_server.requests if path == "/feed.xml"]
    page = admin.get("/admin/feeds").text
    assert "not a feed" in page  # the poll's error is shown with the feed


def test_rename_and_options_are_validated_and_saved(admin, sqlite_runtime, forms, assert_inert):
    feed = add_feed(sqlite_runtime, "https://a.example/feed")
    path = f"/admin/feeds/{feed.id}/options"
    bad = [
        ({"page_mode": "sometimes"}, "choose how"),
        ({"user_agent": "Bad\r\nX-Injected: 1"}, "printable ASCII"),
        ({"user_agent": "x" * 301}, "printable ASCII"),
        ({"title_pattern": "(unclosed"}, "does not compile"),
        ({"title_pattern": "(a+)+$"}, "too slow"),
        ({"title_pattern": "(a)", "title_replacement": r"\2"}, "not valid"),
        ({"folder": "f" * 201}, "at most 200"),
        ({"title_pattern": "<script>alert(1)</script>(", "title_replacement": ""}, "does not compile"),
    ]
    for data, shown in bad:
        response = _post(admin, forms, path, {"page_mode": "auto", **data})
        assert response.status_code == 400, data
        assert shown in response.text, data
        assert_inert(response.text)
    good = {
        "page_mode": "never",
        "user_agent": "FriendlyReader/2.0",
        "title_pattern": r"^\[Ad\]\s*",
        "title_replacement": "",
        "folder": "Tech",
    }
    assert _post(admin, forms, path, good).status_code == 303
    assert _post(admin, forms, f"/admin/feeds/{feed.id}/rename", {"title": "  My   feed "}).status_code == 303
    too_long = _post(admin, forms, f"/admin/feeds/{feed.id}/rename", {"title": "t" * 501})
    assert too_long.status_code == 400 and "at most 500" in too_long.text
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, feed.id)
        assert (stored.page_mode, stored.user_agent, stored.title_pattern, stored.folder, stored.custom_title) == (
            "never",
            "FriendlyReader/2.0",
            r"^\[Ad\]\s*",
            "Tech",
            "My feed",
        )
    assert "My feed" in admin.get("/feeds").text  # the public status page uses the new name


def test_unknown_feeds_are_404_not_500(admin, forms):
    assert admin.get("/admin/feeds/999/delete").status_code == 404
    assert _post(admin, forms, "/admin/feeds/999/pause", {"paused": "1"}).status_code == 404
    assert _post(admin, forms, "/admin/feeds/99999999999999999999/pause").status_code in (400, 404, 422)
    assert _post(admin, forms, "/admin/rules/999/delete", page="/admin/rules").status_code == 404


def _store_article(runtime, public_id: str, feed_id: int) -> None:
    with transaction(runtime.sessions) as session:
        outlet = queries.get_or_create_outlet(session, "Town News")
        queries.upsert_story(session, 1, "A story", datetime(2026, 12, 1, tzinfo=timezone.utc))
        session.add(
            Article(
                public_id=public_id,
                url=f"https://town.example/{public_id}",
                title=f"Title {public_id}",
                text="Body.",
                sentences=["Body."],
                language="en",
                published_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                outlet_id=outlet.id,
                feed_id=feed_id,
                story_id=1,
                summary=[],
                quotes=[],
                figures=[],
            )
        )
        session.flush()
        queries.refresh_story_counts(session, 1)


@pytest.mark.parametrize("choice", ["keep", "remove"])
def test_delete_asks_then_keeps_or_removes_the_articles(admin, sqlite_runtime, forms, choice):
    feed = add_feed(sqlite_runtime, "https://town.example/feed")
    _store_article(sqlite_runtime, "article00001", feed.id)
    _store_article(sqlite_runtime, "article00002", feed.id)
    confirm = admin.get(f"/admin/feeds/{feed.id}/delete")
    assert confirm.status_code == 200 and "It brought 2 articles" in confirm.text
    unchosen = _post(admin, forms, f"/admin/feeds/{feed.id}/delete", {"articles": "both"})
    assert unchosen.status_code == 400 and "Choose what happens" in unchosen.text
    response = _post(admin, forms, f"/admin/feeds/{feed.id}/delete", {"articles": choice}, page=confirm.url.path)
    assert response.status_code == 303 and response.headers["location"] == "/admin/feeds?notice=deleted"
    with transaction(sqlite_runtime.sessions) as session:
        assert queries.get_feed(session, feed.id) is None
        stored = [queries.get_article(session, key) for key in ("article00001", "article00002")]
        if choice == "keep":
            assert all(row is not None and row.feed_id is None for row in stored)
        else:
            assert stored == [None, None]
            assert queries.get_story(session, 1).article_count == 0
    article_page = admin.get("/en/article/article00001")
    assert article_page.status_code == (200 if choice == "keep" else 404)


def test_removing_a_feeds_articles_takes_them_out_of_the_story_engine(admin, sqlite_runtime, forms, loopback_server):
    """Articles placed by this process's story engine leave it when their feed is deleted with them, so no
    later article joins a story through them or is taken for their copy."""
    body = " ".join(f"Sentence {n} about the harbour bridge repairs and the council's budget." for n in range(20))
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Town</title><link>http://town/</link>'
        f"<item><title>Bridge reopens</title><link>{loopback_server.url('/bridge')}</link>"
        f"<description>{body}</description></item></channel></rss>"
    ).encode()
    loopback_server.routes = {"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, rss)}
    feed = add_feed(sqlite_runtime, loopback_server.url("/feed.xml"))
    with transaction(sqlite_runtime.sessions) as session:
        feeds_admin.set_options(session, feed.id, {"page_mode": "never"})
    assert "count=1" in _post(admin, forms, f"/admin/feeds/{feed.id}/poll").headers["location"]
    with transaction(sqlite_runtime.sessions) as session:
        [(key, _)] = feeds_admin.feed_article_keys(session, feed.id)

    def placed() -> set[str]:
        return {member.key for story in sqlite_runtime.processor.engine.stories() for member in story.members}

    assert key in placed()
    _post(admin, forms, f"/admin/feeds/{feed.id}/delete", {"articles": "remove"})
    assert key not in placed()


def test_opml_round_trip_with_folders(admin, sqlite_runtime, forms):
    response = _post(admin, forms, "/admin/feeds/opml", files={"file": ("mine.opml", OPML, "text/x-opml")})
    assert response.status_code == 303 and response.headers["location"] == "/admin/feeds?notice=imported&count=3"
    assert "OPML imported: 3 feeds." in admin.get(response.headers["location"]).text
    with transaction(sqlite_runtime.sessions) as session:
        folders = {feed.url: feed.folder for feed in queries.list_feeds(session)}
    assert folders == {
        "https://alpha.example/feed": "Tech",
        "https://beta.example/feed": "Tech / Deep",
        "https://gamma.example/feed": None,
    }
    exported = admin.get("/admin/feeds/opml")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    assert {ref.url: ref.folder for ref in parse_opml(exported.content)} == folders
    assert {ref.title for ref in parse_opml(exported.content)} == {"Alpha", "Beta", "Gamma"}


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"", "Choose an OPML file"),
        (b"<rss/>", "not an OPML file"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><opml/>', "entities"),
        (b"<opml>" + b" " * (1024 * 1024 + 10) + b"</opml>", "at most 1024 KB"),
    ],
)
def test_bad_opml_files_are_errors_on_the_page(admin, forms, content, shown):
    response = _post(admin, forms, "/admin/feeds/opml", files={"file": ("x.opml", content, "text/xml")})
    assert response.status_code == 400 and shown in response.text


def test_rules_are_validated_listed_with_counts_and_deleted(admin, sqlite_runtime, forms, assert_inert):
    feed = add_feed(sqlite_runtime, "https://a.example/feed")
    rule = {"scope": "", "action": "block", "field": "title", "kind": "words"}
    bad = [
        ({"kind": "regex", "pattern": "(a+)+$"}, "too slow"),
        ({"kind": "regex", "pattern": "([unclosed"}, "does not compile"),
        ({"pattern": "   "}, "empty"),
        ({"pattern": "x" * 501}, "at most 500"),
        ({"action": "delete", "pattern": "x"}, "action must be"),
        ({"field": "password", "pattern": "x"}, "field must be"),
        ({"scope": "12345", "pattern": "x"}, "does not exist"),
        ({"scope": "1e3", "pattern": "x"}, "does not exist"),
        ({"kind": "regex", "pattern": "<script>alert(1)</script>("}, "does not compile"),
    ]
    for data, shown in bad:
        response = _post(admin, forms, "/admin/rules", {**rule, **data}, page="/admin/rules")
        assert response.status_code == 400, data
        assert shown in response.text, data
        assert_inert(response.text)
    ok = _post(
        admin, forms, "/admin/rules", {**rule, "scope": str(feed.id), "pattern": "sponsored"}, page="/admin/rules"
    )
    assert ok.status_code == 303
    with transaction(sqlite_runtime.sessions) as session:
        [stored] = feeds_admin.list_rules(session)
        feeds_admin.count_hits(session, {stored.id: 4})
        feeds_admin.remember_filtered(session, [(f"https://a.example/{n}", feed.id, stored.id) for n in range(4)])
    page = admin.get("/admin/rules").text
    assert "sponsored" in page and 'class="number rule-hits">4</td>' in page
    assert '1 rule</a> · <span class="filtered-count">4 articles filtered out' in admin.get("/admin/feeds").text
    deleted = _post(admin, forms, f"/admin/rules/{stored.id}/delete", page="/admin/rules")
    assert deleted.status_code == 303
    with transaction(sqlite_runtime.sessions) as session:
        assert feeds_admin.list_rules(session) == []


def test_admin_forms_are_rate_limited(app_client, sqlite_runtime, forms):
    feed = add_feed(sqlite_runtime, "https://a.example/feed")
    create_admin(sqlite_runtime, "editor", PASSWORD)
    with app_client.make(RateLimits(admin_post_per_account=Limit(3, 60))) as client:
        assert forms.login(client, "editor", PASSWORD).status_code == 303
        statuses = [
            _post(client, forms, f"/admin/feeds/{feed.id}/pause", {"paused": "1"}).status_code for _ in range(4)
        ]
    assert statuses == [303, 303, 303, 429]


def test_feed_provided_text_is_inert_on_the_admin_pages(admin, sqlite_runtime, assert_inert):
    script = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    feed = add_feed(sqlite_runtime, "https://evil.example/feed")
    with transaction(sqlite_runtime.sessions) as session:
        stored = queries.get_feed(session, feed.id)
        stored.title, stored.last_error, stored.last_status = f"Evil {script}", f"HTTP 500 {script}", "error"
        stored.folder, stored.custom_title, stored.user_agent = f"Folder {script}", None, "UA"
        stored.title_pattern, stored.title_replacement = "x", f"{script}"
        feeds_admin.add_rule(session, feed.id, "block", "title", "regex", f"{script}|y")
    for path in ("/admin/feeds", "/admin/rules", f"/admin/feeds/{feed.id}/delete", "/feeds"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert "alert" in page.text, path  # the text is there, escaped
        assert_inert(page.text)
    assert b"<script>" not in admin.get("/admin/feeds/opml").content
