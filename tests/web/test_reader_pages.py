"""A signed-in reader's pages and forms: follows, mutes, For you, read state, saved articles, private feeds."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from storyline.fetch.opml import parse_opml
from storyline.store import queries, transaction
from storyline.web.app import create_app
from storyline.web.cache import PageCache
from storyline.web.security import Limit, RateLimits

from .conftest import add_coverage

ATOM = "{http://www.w3.org/2005/Atom}"


def first_story(runtime) -> tuple[int, str]:
    """The story the seed's articles form, and one outlet's slug in it."""
    with transaction(runtime.sessions) as session:
        story = queries.latest_stories(session, 1)[0]
        article = queries.story_coverage(session, story.id)[0]
        return story.id, article.outlet.slug


def top_hashtag(runtime) -> str:
    with transaction(runtime.sessions) as session:
        return queries.top_entities(session, 1)[0][0].slug


def post(client, forms, page: str, action: str, **data):
    """Submits a form of ``page`` the way a browser does: with that page's CSRF token."""
    data["csrf_token"] = forms.csrf(client.get(page).text)
    return client.post(action, data=data, follow_redirects=False)


def follow(client, forms, page: str, kind: str, target: str):
    response = post(client, forms, page, "/follows", kind=kind, target=target, next=page)
    assert response.status_code == 303 and response.headers["location"] == page
    return response


def follow_ids(client) -> list[int]:
    return [int(n) for n in re.findall(r'id="follow-(\d+)"', client.get("/follows").text)]


def unread_of(client) -> list[str]:
    return re.findall(r"(\d+\+?) unread", client.get("/follows").text)


def outlet_rows(html: str, slug: str) -> int:
    return html.count(f'class="outlet" href="/en/source/{slug}"')


def test_anonymous_visitors_keep_the_front_page_and_readers_get_for_you(client, forms):
    home = client.get("/").text
    assert "Top stories" in home and "For you" not in home
    forms.register(client, "reader1")
    page = client.get("/").text
    assert "<h1>For you</h1>" in page
    assert "Start by following a few hashtags" in page and page.count('action="/follows"') >= 3
    assert "story-card" in page  # the ordinary top stories under the suggestions


def test_following_a_hashtag_from_its_page_ranks_its_stories_for_you(client, seeded, forms):
    slug = top_hashtag(seeded)
    forms.register(client, "reader2")
    page = f"/en/hashtag/{slug}"
    assert ">Follow</button>" in client.get(page).text
    follow(client, forms, page, "hashtag", slug)
    assert "Following ✓" in client.get(page).text
    home = client.get("/").text
    assert "Stories that touch what you follow" in home and "Start by following" not in home
    assert home.count('class="story-card') >= 1
    follow(client, forms, page, "hashtag", slug)  # twice: still one follow
    assert len(follow_ids(client)) == 1


def test_each_page_offers_its_follow_button(sqlite_client, sqlite_runtime, forms):
    story_id, outlet = first_story(sqlite_runtime)
    forms.register(sqlite_client, "reader3")
    pages = {
        f"/en/source/{outlet}": ("outlet", outlet),
        "/en/section/Politics": ("section", "Politics"),
        f"/en/story/{story_id}": ("story", str(story_id)),
        "/search?q=grooming": ("search", "grooming"),
    }
    for page, expected in pages.items():
        html = sqlite_client.get(page).text
        kind, target = expected
        assert f'name="kind" value="{kind}"><input type="hidden" name="target" value="{target}"' in html, page
        follow(sqlite_client, forms, page, kind, target)
    assert len(follow_ids(sqlite_client)) == 4
    assert ">Mute</button>" in sqlite_client.get(f"/en/source/{outlet}").text


@pytest.mark.parametrize(
    ("locale", "hashtag", "section"),
    [
        ("en", "#United Kingdom", "Politics"),
        ("fr", "#Royaume-Uni", "Politique"),
        ("de", "#Vereinigtes Königreich", "Politik"),
    ],
)
def test_follows_are_named_in_the_pages_language(sqlite_client, forms, locale, hashtag, section):
    forms.register(sqlite_client, f"reader-{locale}")
    follow(sqlite_client, forms, "/en/hashtag/united-kingdom", "hashtag", "united-kingdom")
    follow(sqlite_client, forms, "/en/section/Politics", "section", "Politics")
    page = sqlite_client.get(f"/{locale}/follows").text
    assert f">{escape(hashtag)}</a>" in page and f">{section}</a>" in page, page
    titles = [sqlite_client.get(f"/{locale}/follows/{i}").text for i in follow_ids(sqlite_client)]
    assert sum(f">{escape(hashtag)}</h1>" in title for title in titles) == 1


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in_and_nothing_is_stored(sqlite_client, sqlite_runtime, forms):
    slug = top_hashtag(sqlite_runtime)
    page = f"/en/hashtag/{slug}"
    assert "Log in to follow" in sqlite_client.get(page).text
    token = forms.csrf(sqlite_client.get("/login").text)
    response = sqlite_client.post(
        "/follows", data={"kind": "hashtag", "target": slug, "next": page, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=%2Fen%2Fhashtag%2F{slug}"
    for path in ("/follows", "/saved", "/follows.opml"):
        response = sqlite_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
    forms.register(sqlite_client, "reader4")
    assert follow_ids(sqlite_client) == []


@pytest.mark.parametrize("token", [None, "forged"])
def test_reader_forms_need_the_csrf_token(sqlite_client, forms, token):
    forms.register(sqlite_client, "reader5")
    data = {"kind": "section", "target": "Politics"} | ({"csrf_token": token} if token else {})
    assert sqlite_client.post("/follows", data=data, follow_redirects=False).status_code == 403
    assert follow_ids(sqlite_client) == []


@pytest.mark.parametrize(
    "action, data",
    [
        ("/follows", {"kind": "person", "target": "x"}),
        ("/follows", {"kind": "story", "target": "not-a-number"}),
        ("/mutes", {"kind": "section", "target": "politics"}),
        ("/read", {"scope": "everything"}),
        ("/read", {"scope": "home", "older_than": "year"}),
    ],
)
def test_bad_reader_forms_are_refused_with_a_reason(sqlite_client, forms, action, data):
    forms.register(sqlite_client, "reader6")
    response = post(sqlite_client, forms, "/follows", action, **data)
    assert response.status_code == 400 and "error-page" in response.text


def test_another_readers_follow_is_not_yours(sqlite_client, sqlite_runtime, forms):
    forms.register(sqlite_client, "owner")
    follow(sqlite_client, forms, "/en/section/Politics", "section", "Politics")
    [follow_id] = follow_ids(sqlite_client)
    with TestClient(create_app(sqlite_runtime)) as other:
        forms.register(other, "intruder")
        assert other.get(f"/follows/{follow_id}").status_code == 404
        assert post(other, forms, "/follows", f"/follows/{follow_id}/unfollow").status_code == 404
        assert post(other, forms, "/follows", "/read", scope=f"follow:{follow_id}").status_code == 404
    assert follow_ids(sqlite_client) == [follow_id]


def test_muting_an_outlet_removes_it_wherever_the_reader_reads(client, seeded, forms):
    story_id, outlet = first_story(seeded)
    slug = top_hashtag(seeded)
    forms.register(client, "reader7")
    follow(client, forms, f"/en/hashtag/{slug}", "hashtag", slug)
    pages = [f"/en/hashtag/{slug}", "/search?q=grooming", f"/en/source/{outlet}"]
    assert all(outlet_rows(client.get(page).text, outlet) for page in pages)
    [follow_id] = follow_ids(client)
    response = post(client, forms, f"/en/source/{outlet}", "/mutes", kind="outlet", target=outlet, next="/")
    assert response.status_code == 303
    assert [outlet_rows(client.get(page).text, outlet) for page in pages] == [0, 0, 0]
    assert "Muted ✓" in (muted_page := client.get(f"/en/source/{outlet}").text) and "You muted this" in muted_page
    assert outlet_rows(client.get(f"/follows/{follow_id}").text, outlet) == 0
    forms.logout(client)
    assert outlet_rows(client.get(f"/en/hashtag/{slug}").text, outlet) > 0  # only the reader mutes it


def test_a_muted_keyword_hides_stories_from_for_you(sqlite_client, sqlite_runtime, forms):
    forms.register(sqlite_client, "reader8")
    with transaction(sqlite_runtime.sessions) as session:
        raw = queries.latest_stories(session, 1)[0].title
    title = str(escape(raw))
    assert title in sqlite_client.get("/").text
    word = max(re.findall(r"[A-Za-z]+", raw), key=len)
    post(sqlite_client, forms, "/follows", "/mutes", kind="keyword", target=word.upper())
    assert word.casefold() in sqlite_client.get("/follows").text
    assert title not in sqlite_client.get("/").text


def test_opening_an_article_reads_it_and_mark_all_read_reads_the_rest(client, forms):
    forms.register(client, "reader9")
    follow(client, forms, "/en/section/Politics", "section", "Politics")
    [before] = unread_of(client)
    listing = client.get("/follows").text
    assert int(before) > 1 and 'class="row-item unread"' in client.get(follow_link(listing)).text
    article = re.search(r'class="row-title" href="([^"]+)"', client.get(follow_link(listing)).text).group(1)
    client.get(article)
    assert unread_of(client) == [str(int(before) - 1)]
    [follow_id] = follow_ids(client)
    response = post(client, forms, "/follows", "/read", scope=f"follow:{follow_id}", next=f"/follows/{follow_id}")
    assert response.status_code == 303 and response.headers["location"] == f"/follows/{follow_id}"
    assert unread_of(client) == ["0"]
    assert 'class="row-item unread"' not in client.get(f"/follows/{follow_id}").text


def follow_link(html: str) -> str:
    return re.search(r'<a href="(/follows/\d+)">', html).group(1)


@pytest.mark.parametrize("older_than", ["", "day", "week"])
def test_mark_all_read_on_the_home_reads_every_follow(sqlite_client, forms, older_than):
    forms.register(sqlite_client, "reader10")
    follow(sqlite_client, forms, "/en/section/Politics", "section", "Politics")
    assert unread_of(sqlite_client) != ["0"] and "all caught up" not in sqlite_client.get("/").text
    post(sqlite_client, forms, "/", "/read", scope="home", older_than=older_than)
    # The seed story is more than a week old, so even "older than a week" reaches it.
    assert unread_of(sqlite_client) == ["0"]
    assert "You are all caught up" in sqlite_client.get("/").text


def test_a_story_shows_what_is_new_since_the_reader_opened_it(client, seeded, seed_batch, forms):
    story_id, _ = first_story(seeded)
    forms.register(client, "reader11")
    page = f"/en/story/{story_id}"
    assert "since you read it" not in client.get(page).text
    added = add_coverage(seeded, seed_batch, story_id, "Late Gazette", count=3)
    assert "3 new articles, 1 new outlet since you read it" in client.get("/").text  # its card on For you
    html = client.get(page).text
    assert "3 new articles, 1 new outlet since you read it" in html
    new_rows = re.findall(r'<li class="row-item unread">.*?href="/en/article/(\w+)"', html, re.S)
    assert sorted(new_rows) == sorted(added)
    assert "since you read it" not in client.get(page).text  # read again: nothing new


def test_saved_for_later(sqlite_client, forms):
    forms.register(sqlite_client, "reader12")
    article = sqlite_client.get("/api/articles").json()["items"][0]
    page = article["page_url"]
    assert "Nothing saved yet" in sqlite_client.get("/saved").text
    public_id = page.rsplit("/", 1)[1]
    post(sqlite_client, forms, page, "/saved", article=public_id, saved="true", next=page)
    assert "Saved ✓" in sqlite_client.get(page).text
    assert page in sqlite_client.get("/saved").text
    post(sqlite_client, forms, page, "/saved", article=public_id, saved="false", next=page)
    assert page not in sqlite_client.get("/saved").text


def test_each_follow_is_a_private_feed_that_can_be_renewed(client, seeded, forms):
    slug = top_hashtag(seeded)
    _, outlet = first_story(seeded)
    forms.register(client, "reader13")
    follow(client, forms, f"/en/hashtag/{slug}", "hashtag", slug)
    feed = re.search(r'href="(/feeds/private/\d+/[\w-]+\.atom)"', client.get("/follows").text).group(1)
    client.cookies.clear()  # a feed reader has no session
    response = client.get(feed)
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")
    assert entries
    assert client.get(feed.replace(".atom", "x.atom")).status_code == 404
    assert client.get(re.sub(r"/(\d+)/", lambda m: f"/{int(m.group(1)) + 1}/", feed)).status_code == 404
    forms.login(client, "reader13")
    post(client, forms, "/follows", "/mutes", kind="outlet", target=outlet)
    muted = ET.fromstring(client.get(feed).content).findall(f"{ATOM}entry")
    assert len(muted) < len(entries)
    follow_id = feed.split("/")[3]
    assert post(client, forms, "/follows", f"/follows/{follow_id}/feed-token").status_code == 303
    renewed = re.search(r'href="(/feeds/private/\d+/[\w-]+\.atom)"', client.get("/follows").text).group(1)
    assert renewed != feed and client.get(feed).status_code == 404 and client.get(renewed).status_code == 200


def test_follows_export_as_opml_that_the_opml_importer_reads(sqlite_client, forms):
    forms.register(sqlite_client, "reader14")
    follow(sqlite_client, forms, "/en/section/Politics", "section", "Politics")
    follow(sqlite_client, forms, "/search?q=grooming", "search", "grooming")
    response = sqlite_client.get("/follows.opml")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    refs = parse_opml(response.content)
    assert sorted(ref.title for ref in refs) == ["Politics", "grooming"]
    assert all(re.fullmatch(r"http://testserver/feeds/private/\d+/[\w-]+\.atom", ref.url) for ref in refs)
    assert all(sqlite_client.get(ref.url).status_code == 200 for ref in refs)


def test_reader_pages_are_never_cached_or_shared(sqlite_runtime, seed_into, forms):
    seed_into(sqlite_runtime)
    slug = top_hashtag(sqlite_runtime)
    app = create_app(sqlite_runtime)
    app.state.page_cache = PageCache(entries=100, seconds=300)
    page = f"/en/hashtag/{slug}"
    with TestClient(app) as anonymous, TestClient(app) as reader:
        assert "Log in to follow" in anonymous.get(page).text  # now in the cache
        forms.register(reader, "reader15")
        follow(reader, forms, page, "hashtag", slug)
        assert "Following ✓" in reader.get(page).text and "For you" in reader.get("/").text
        assert "Log in to follow" in anonymous.get(page).text and "For you" not in anonymous.get("/").text
        assert "reader15" not in anonymous.get("/").text


def test_reader_forms_are_rate_limited(sqlite_runtime, seed_into, forms):
    seed_into(sqlite_runtime)
    app = create_app(sqlite_runtime, limits=RateLimits(reader_forms_per_account=Limit(2, 60)))
    with TestClient(app) as reader:
        forms.register(reader, "reader16")
        codes = [post(reader, forms, "/follows", "/read", scope="home").status_code for _ in range(3)]
    assert codes == [303, 303, 429]
