"""The Google Reader API, request by request, as FreshRSS and Miniflux answer it: ClientLogin, tokens, the
subscription and tag lists, unread counts, every stream and stream option, item ids in both forms, edit-tag,
mark-all-as-read, subscribing, and the Atom form."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from storyline.readers import streams as s
from storyline.web.app import create_app
from storyline.web.security import Limit, RateLimits

from .conftest import LOGIN_PASSWORD, REACHED, UNREAD, USERNAME

API = "/reader/api/0"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
ATOM = "{http://www.w3.org/2005/Atom}"


def login(api: TestClient, password: str) -> dict[str, str]:
    response = api.post("/accounts/ClientLogin", data={"Email": USERNAME, "Passwd": password})
    assert response.status_code == 200, response.text
    return {"Authorization": "GoogleLogin auth=" + response.text.split("Auth=")[1].strip()}


@pytest.fixture
def auth(api, world) -> dict[str, str]:
    return login(api, world.password)


def long_id(world, public_id: str) -> str:
    return s.long_item_id(world.ids[public_id])


def publics(world, items: list[dict]) -> list[str]:
    by_id = {s.long_item_id(number): public for public, number in world.ids.items()}
    return [by_id.get(item["id"], item["title"]) for item in items]


def contents(api, auth, stream: str, **params) -> dict:
    response = api.get(f"{API}/stream/contents/{stream}", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


NEWEST_FIRST = REACHED  # a1 .. a8 by publication: a8 is the oldest
BY_TIME = [
    "a0000000000000a7",
    "a0000000000000a5",
    "a0000000000000a4",
    "a0000000000000a2",
    "a0000000000000a1",
    "a0000000000000a8",
]


def test_client_login_answers_lines_or_json_and_refuses_anything_but_an_api_password(api, world):
    lines = api.post("/accounts/ClientLogin", data={"Email": USERNAME, "Passwd": world.password})
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("text/plain")
    assert [line.split("=", 1)[0] for line in lines.text.splitlines()] == ["SID", "LSID", "Auth"]
    as_json = api.get("/accounts/ClientLogin", params={"Email": USERNAME, "Passwd": world.password, "output": "json"})
    assert set(as_json.json()) == {"SID", "LSID", "Auth"}
    # The Old Reader's path (newsboat's doubled slash, "//accounts/ClientLogin", is in test_newsboat.py).
    response = api.post(f"{API}/accounts/ClientLogin", data={"Email": USERNAME, "Passwd": world.password})
    assert response.status_code == 200
    for email, password in ((USERNAME, LOGIN_PASSWORD), (USERNAME, "wrong"), ("nobody", world.password)):
        refused = api.post("/accounts/ClientLogin", data={"Email": email, "Passwd": password})
        assert (refused.status_code, refused.text) == (401, "Error=BadAuthentication\n")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "GoogleLogin auth="},
        {"Authorization": "GoogleLogin auth=forged.token"},
        {"Authorization": "Bearer x"},
    ],
)
def test_requests_without_a_valid_token_get_401_unauthorized(api, headers):
    for path in (f"{API}/subscription/list", f"{API}/stream/contents/{s.READING_LIST}", "/reader/atom/feed/1"):
        response = api.get(path, headers=headers)
        assert (response.status_code, response.text) == (401, "Unauthorized")


def test_a_revoked_api_password_ends_its_tokens(api, world, auth, forms):
    assert api.get(f"{API}/user-info", headers=auth).json()["userName"] == USERNAME
    assert forms.login(api, USERNAME, LOGIN_PASSWORD).status_code == 303
    page = api.get("/settings").text
    revoke = page.split('action="/settings/api-passwords/')[1].split('"')[0]
    response = api.post(
        f"/settings/api-passwords/{revoke}", data={"csrf_token": forms.csrf(page)}, follow_redirects=False
    )
    assert response.status_code == 303
    api.cookies.clear()
    assert api.get(f"{API}/user-info", headers=auth).status_code == 401


def test_edit_token_t_is_checked_when_sent(api, world, auth):
    token = api.get(f"{API}/token", headers=auth).text
    item = long_id(world, "a0000000000000a1")
    for sent, status in ((token, 200), (None, 200), ("stale", 401)):
        data = {"i": item, "a": READ, **({"T": sent} if sent else {})}
        response = api.post(f"{API}/edit-tag", data=data, headers=auth)
        assert response.status_code == status
        if status == 401:
            assert response.headers["X-Reader-Google-Bad-Token"] == "true"
    # T in the query string, as some clients send it.
    assert api.post(f"{API}/edit-tag", params={"T": token}, data={"i": item, "r": READ}, headers=auth).text == "OK"


def test_subscriptions_are_the_follows_in_labels_of_their_kind_plus_stories(api, world, auth):
    subscriptions = api.get(f"{API}/subscription/list", params={"output": "json"}, headers=auth).json()
    listed = {
        sub["id"]: (sub["title"], [c["label"] for c in sub["categories"]]) for sub in subscriptions["subscriptions"]
    }
    f = world.follows
    assert listed == {
        f"feed/{f[('hashtag', 'louise-casey')]}": ("#Louise Casey", ["Hashtags"]),
        f"feed/{f[('outlet', 'bbc-news')]}": ("BBC News", ["Outlets"]),
        f"feed/{f[('section', 'Health')]}": ("Health", ["Sections"]),
        "feed/stories": ("Stories", ["Stories"]),
    }
    tags = [tag["id"] for tag in api.get(f"{API}/tag/list", headers=auth).json()["tags"]]
    assert tags == [STARRED] + [f"user/-/label/{name}" for name in ("Hashtags", "Outlets", "Sections", "Stories")]


def test_unread_counts_per_follow_label_reading_list_and_stories(api, world, auth):
    counts = {c["id"]: c["count"] for c in api.get(f"{API}/unread-count", headers=auth).json()["unreadcounts"]}
    f = world.follows
    assert counts == {
        s.READING_LIST: 5,
        f"feed/{f[('hashtag', 'louise-casey')]}": 2,  # a1, a2
        f"feed/{f[('outlet', 'bbc-news')]}": 2,  # a1, a4 (a8 is older than a week)
        f"feed/{f[('section', 'Health')]}": 3,  # a4, a5, a7
        "user/-/label/Hashtags": 2,
        "user/-/label/Outlets": 2,
        "user/-/label/Sections": 3,
        "feed/stories": 2,
        "user/-/label/Stories": 2,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, BY_TIME),
        ({"r": "o"}, BY_TIME[::-1]),
        ({"n": "2"}, BY_TIME[:2]),
        ({"xt": READ}, BY_TIME[:5]),
        ({"it": READ}, BY_TIME[5:]),
        ({"ot": "1750075200"}, BY_TIME[:3]),  # from 12:00 on 16 June 2025
        ({"nt": "1750075200"}, BY_TIME[3:]),
        ({"ot": "1750075200000000", "nt": "1750082400000"}, BY_TIME[1:3]),  # microseconds and milliseconds
        ({"output": "json", "ck": "1", "client": "x"}, BY_TIME),
    ],
)
def test_reading_list_options(api, world, auth, params, expected):
    assert publics(world, contents(api, auth, s.READING_LIST, **params)["items"]) == expected


def test_continuation_pages_through_without_repeats(api, world, auth):
    for order in ("", "o"):
        seen, continuation = [], None
        while True:
            params = {"n": "2", "r": order, **({"c": continuation} if continuation else {})}
            page = contents(api, auth, s.READING_LIST, **params)
            seen += publics(world, page["items"])
            continuation = page.get("continuation")
            if not continuation:
                break
        assert seen == (BY_TIME if not order else BY_TIME[::-1])
    assert api.get(f"{API}/stream/contents/{s.READING_LIST}", params={"c": "!!"}, headers=auth).status_code == 400


def test_streams_by_id(api, world, auth):
    f = world.follows
    api.post(f"{API}/edit-tag", data={"i": long_id(world, "a0000000000000a4"), "a": STARRED}, headers=auth)
    cases = {
        f"feed/{f[('hashtag', 'louise-casey')]}": ["a0000000000000a2", "a0000000000000a1"],
        f"feed/{f[('section', 'Health')]}": ["a0000000000000a7", "a0000000000000a5", "a0000000000000a4"],
        "user/-/label/Outlets": ["a0000000000000a4", "a0000000000000a1", "a0000000000000a8"],
        "user/-/label/Story: National inquiry into grooming gangs announced": [
            "a0000000000000a3",
            "a0000000000000a2",
            "a0000000000000a1",
        ],
        READ: ["a0000000000000a8"],
        "user/1/state/com.google/read": ["a0000000000000a8"],
        STARRED: ["a0000000000000a4"],
        "user/-/state/com.google/broadcast": [],
        "feed/999": [],
    }
    for stream, expected in cases.items():
        assert publics(world, contents(api, auth, stream)["items"]) == expected, stream
        # The stream as ``s``, in a form-encoded POST body.
        posted = api.post(f"{API}/stream/contents", data={"s": stream}, headers=auth).json()
        assert publics(world, posted["items"]) == expected, stream
    for params, expected in (({"it": STARRED}, ["a0000000000000a4"]), ({"xt": STARRED}, BY_TIME[:2] + BY_TIME[3:])):
        assert publics(world, contents(api, auth, s.READING_LIST, **params)["items"]) == expected
    for bad in ("user/-/label/Nothing", "splice/x", "feed/http://example.com/rss"):
        assert api.get(f"{API}/stream/contents/{bad}", headers=auth).status_code == 400


def test_items_carry_state_origin_and_their_story_as_a_label(api, world, auth):
    items = {item["title"]: item for item in contents(api, auth, s.READING_LIST)["items"]}
    a1 = items["Grooming gangs: national inquiry to be held"]
    assert a1["id"] == long_id(world, "a0000000000000a1")
    assert a1["origin"]["streamId"] == f"feed/{world.follows[('hashtag', 'louise-casey')]}"
    assert a1["canonical"] == [{"href": "https://bbc-news.example/a0000000000000a1"}]
    assert a1["categories"] == [
        s.READING_LIST,
        "user/-/label/Hashtags",
        "user/-/label/Story: National inquiry into grooming gangs announced",
    ]
    assert "<p>The government will hold a national inquiry into grooming gangs.</p>" in a1["summary"]["content"]
    assert READ in items["Interest rates held at 4.25%"]["categories"]


def test_the_stories_label_holds_one_item_a_story_with_its_summary_and_coverage(api, world, auth):
    stories = contents(api, auth, "user/-/label/Stories")["items"]
    assert [item["title"] for item in stories] == [
        "NHS waiting lists fall for a third month",
        "National inquiry into grooming gangs announced",
    ]
    html = stories[1]["summary"]["content"]
    assert "Baroness Casey's audit found that ethnicity data was missing in two thirds of cases." in html
    assert 'href="http://testserver/en/article/a0000000000000a2#s1"' in html
    for outlet, public in (("BBC News", "a1"), ("The Guardian", "a2"), ("Reuters", "a3")):
        assert f'<strong>{outlet}</strong>: <a href="https://' in html and f"a0000000000000{public}" in html
    # Reading the story item reads its articles, on the site too; unreading it unreads them.
    story_item = stories[1]["id"]
    assert api.post(f"{API}/edit-tag", data={"i": story_item, "a": READ}, headers=auth).text == "OK"
    assert {world.ids[f"a0000000000000a{n}"] for n in (1, 2, 3)} <= world.read_ids()
    assert publics(world, contents(api, auth, "feed/stories", xt=READ)["items"]) == [stories[0]["title"]]
    api.post(f"{API}/edit-tag", data={"i": str(s.parse_item_id(story_item)), "r": READ}, headers=auth)
    assert not {world.ids[f"a0000000000000a{n}"] for n in (1, 2, 3)} & world.read_ids()


def test_item_ids_and_contents_in_long_and_decimal_form(api, world, auth):
    refs = api.get(f"{API}/stream/items/ids", params={"s": s.READING_LIST, "n": "3"}, headers=auth).json()
    decimal = [ref["id"] for ref in refs["itemRefs"]]
    assert decimal == [str(world.ids[p]) for p in BY_TIME[:3]] and "continuation" in refs
    assert refs["itemRefs"][0]["directStreamIds"] == [f"feed/{world.follows[('section', 'Health')]}"]
    unread = api.get(f"{API}/stream/items/ids", params={"s": s.READING_LIST, "xt": READ, "n": "100"}, headers=auth)
    assert sorted(int(ref["id"]) for ref in unread.json()["itemRefs"]) == sorted(world.ids[p] for p in UNREAD)
    asked = [long_id(world, "a0000000000000a2"), decimal[0], "-" + str(2**64 - world.ids["a0000000000000a4"])]
    body = "&".join(f"i={value}" for value in asked)
    response = api.post(
        f"{API}/stream/items/contents",
        content=body,
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert publics(world, response.json()["items"]) == ["a0000000000000a2", BY_TIME[0], "a0000000000000a4"]
    assert api.post(f"{API}/stream/items/contents", data={"i": "nonsense"}, headers=auth).status_code == 400


def test_edit_tag_reads_unreads_stars_and_shares_it_with_the_site(api, world, auth, forms):
    a5 = long_id(world, "a0000000000000a5")
    assert forms.login(api, USERNAME, LOGIN_PASSWORD).status_code == 303  # the site, in the same client
    for data, read, saved in (
        ({"a": READ}, True, False),
        ({"a": "user/-/state/com.google/kept-unread"}, False, False),
        ({"a": STARRED}, False, True),
        ({"r": STARRED, "a": READ}, True, False),
        ({"r": READ}, False, False),
        ({"a": "user/-/label/Anything"}, False, False),
    ):
        assert api.post(f"{API}/edit-tag", data={"i": a5, **data}, headers=auth).text == "OK"
        assert (world.ids["a0000000000000a5"] in world.read_ids()) is read, data
        assert ("NHS backlog shrinks" in api.get("/saved").text) is saved, data


def test_mark_all_as_read_up_to_a_time(api, world, auth):
    health = f"feed/{world.follows[('section', 'Health')]}"
    # ts in microseconds, as FreshRSS takes it: a4 and a5 (13:00, 14:00), not a7 (16:00).
    assert api.post(f"{API}/mark-all-as-read", data={"s": health, "ts": "1750082400000000"}, headers=auth).text == "OK"
    assert publics(world, contents(api, auth, health, xt=READ)["items"]) == ["a0000000000000a7"]
    api.post(f"{API}/mark-all-as-read", data={"s": s.READING_LIST}, headers=auth)
    assert contents(api, auth, s.READING_LIST, xt=READ)["items"] == []
    assert {world.ids[p] for p in UNREAD} <= world.read_ids()


def test_quickadd_and_subscription_edit_follow_pages_and_polled_feeds(api, world, auth):
    added = api.post(
        f"{API}/subscription/quickadd", data={"quickadd": "http://testserver/en/hashtag/nhs"}, headers=auth
    )
    assert added.json()["streamName"] == "#NHS" and added.json()["numResults"] == 1
    # A polled feed's address follows its outlet (already followed: the same subscription).
    feed = api.post(
        f"{API}/subscription/quickadd", params={"quickadd": "https://feeds.bbci.co.uk/news/rss.xml"}, headers=auth
    )
    assert feed.json()["streamId"] == f"feed/{world.follows[('outlet', 'bbc-news')]}"
    unknown = api.post(f"{API}/subscription/quickadd", data={"quickadd": "https://nowhere.example/rss"}, headers=auth)
    assert unknown.status_code == 400
    subscribe = {"ac": "subscribe", "s": "feed/http://testserver/en/source/reuters", "t": "Reuters"}
    assert api.post(f"{API}/subscription/edit", data=subscribe, headers=auth).text == "OK"
    titles = [sub["title"] for sub in api.get(f"{API}/subscription/list", headers=auth).json()["subscriptions"]]
    assert {"#NHS", "Reuters"} <= set(titles)
    gone = added.json()["streamId"]
    assert api.post(f"{API}/subscription/edit", data={"ac": "unsubscribe", "s": gone}, headers=auth).text == "OK"
    ids = [sub["id"] for sub in api.get(f"{API}/subscription/list", headers=auth).json()["subscriptions"]]
    assert gone not in ids and len(ids) == 5


def test_atom_form_of_a_stream(api, world, auth):
    response = api.get(f"/reader/atom/{s.READING_LIST}", params={"n": "5"}, headers=auth)
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [long_id(world, p) for p in BY_TIME[:5]]
    assert feed.find("{http://www.google.com/schemas/reader/atom/}continuation") is not None
    old = ET.fromstring(api.get(f"/reader/atom/{s.READING_LIST}", params={"r": "o", "n": "1"}, headers=auth).content)
    terms = [c.get("term") for c in old.find(f"{ATOM}entry").findall(f"{ATOM}category")]
    assert f"user/{world.user_id}/state/com.google/read" in terms


def test_client_login_is_rate_limited_like_the_site_login(world):
    app = create_app(world.runtime, limits=RateLimits(login_per_account=Limit(2, 300)))
    with TestClient(app) as client:
        codes = [
            client.post("/accounts/ClientLogin", data={"Email": USERNAME, "Passwd": "wrong"}).status_code
            for _ in range(3)
        ]
    assert codes == [401, 401, 429]
