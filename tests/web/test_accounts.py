"""Accounts, CSRF, sessions, rate limits, comments and moderation."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from storyline.web.accounts import create_admin
from storyline.web.app import create_app
from storyline.web.security import SESSION_COOKIE, Limit, RateLimits


def article_page(client) -> str:
    return client.get("/api/articles").json()["items"][0]["page_url"]


def comment_id(response) -> int:
    return int(response.headers["location"].rsplit("#c", 1)[1])


def test_register_login_logout(client, forms):
    forms.register(client, "alice")
    assert "alice" in client.get("/").text and "Log out" in client.get("/").text
    token = forms.csrf(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert "Log out" not in client.get("/").text
    assert forms.login(client, "alice", "wrong password").status_code == 400
    assert forms.login(client, "alice").status_code == 303
    assert "Log out" in client.get("/").text


@pytest.mark.parametrize(
    "username, password, message",
    [("al", "long enough pw", "3 to 40"), ("bad name!", "long enough pw", "3 to 40"), ("bobby", "short", "8 to")],
)
def test_registration_validates(sqlite_client, username, password, message, forms):
    token = forms.csrf(sqlite_client.get("/register").text)
    response = sqlite_client.post("/register", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 400 and message in response.text


def test_duplicate_username_is_refused(sqlite_client, forms):
    forms.register(sqlite_client, "carol")
    sqlite_client.cookies.clear()
    token = forms.csrf(sqlite_client.get("/register").text)
    response = sqlite_client.post(
        "/register", data={"username": "CAROL", "password": "another password", "csrf_token": token}
    )
    assert response.status_code == 400 and "taken" in response.text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_post_without_valid_csrf_token_is_refused(sqlite_client, token):
    sqlite_client.get("/login")
    data = {"username": "x-user", "password": "whatever123"}
    if token is not None:
        data["csrf_token"] = token
    assert sqlite_client.post("/login", data=data).status_code == 403


def test_csrf_token_of_another_session_is_refused(sqlite_client, sqlite_runtime, forms):
    token = forms.csrf(sqlite_client.get("/register").text)
    with TestClient(create_app(sqlite_runtime)) as other:
        other.get("/register")
        response = other.post(
            "/register", data={"username": "mallory", "password": "long password", "csrf_token": token}
        )
    assert response.status_code == 403


def test_login_issues_a_new_session_id(sqlite_client, forms):
    forms.register(sqlite_client, "dave")
    sqlite_client.post("/logout", data={"csrf_token": forms.csrf(sqlite_client.get("/").text)})
    planted = forms.csrf(sqlite_client.get("/login").text)
    before = sqlite_client.cookies.get(SESSION_COOKIE)
    assert forms.login(sqlite_client, "dave").status_code == 303
    after = sqlite_client.cookies.get(SESSION_COOKIE)
    assert after != before
    codec = sqlite_client.app.state.codec
    assert codec.loads(after).sid != codec.loads(before).sid
    # The token bound to the pre-login session no longer works.
    assert sqlite_client.post("/logout", data={"csrf_token": planted}).status_code == 403


def test_session_cookie_is_signed_httponly_and_lax(sqlite_client, forms):
    forms.register(sqlite_client, "erin")
    response = sqlite_client.post(
        "/login",
        data={
            "username": "erin",
            "password": "correct horse battery",
            "csrf_token": forms.csrf(sqlite_client.get("/login").text),
        },
        follow_redirects=False,
    )
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header
    forged = URLSafeTimedSerializer("not-the-key", salt="storyline.session").dumps({"sid": "x", "uid": 1, "v": 0})
    sqlite_client.cookies.clear()
    sqlite_client.cookies.set(SESSION_COOKIE, forged)
    assert "Log out" not in sqlite_client.get("/").text


def test_logout_invalidates_every_session_of_the_account(sqlite_client, sqlite_runtime, forms):
    forms.register(sqlite_client, "frank")
    stolen = sqlite_client.cookies.get(SESSION_COOKIE)
    sqlite_client.post("/logout", data={"csrf_token": forms.csrf(sqlite_client.get("/").text)})
    with TestClient(create_app(sqlite_runtime)) as other:
        other.cookies.set(SESSION_COOKIE, stolen)
        assert "Log out" not in other.get("/").text


def test_brute_force_login_is_throttled(sqlite_client, forms):
    forms.register(sqlite_client, "grace")
    sqlite_client.post("/logout", data={"csrf_token": forms.csrf(sqlite_client.get("/").text)})
    statuses = [forms.login(sqlite_client, "grace", f"guess-{n}").status_code for n in range(7)]
    assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    response = forms.login(sqlite_client, "grace")
    assert response.status_code == 429 and "Too many attempts" in response.text
    assert int(response.headers["retry-after"]) > 0


def test_registration_is_throttled_per_ip(sqlite_runtime, seed_batch, forms):
    limits = RateLimits(register_per_ip=Limit(2, 3600))
    with TestClient(create_app(sqlite_runtime, limits)) as client:
        forms.register(client, "user1")
        client.cookies.clear()
        forms.register(client, "user2")
        client.cookies.clear()
        token = forms.csrf(client.get("/register").text)
        response = client.post(
            "/register", data={"username": "user3", "password": "long password", "csrf_token": token}
        )
        assert response.status_code == 429


def test_comment_flood_is_rate_limited(client, forms):
    forms.register(client, "henry")
    page = article_page(client)
    statuses = [forms.comment(client, page, f"comment number {n}").status_code for n in range(6)]
    assert statuses == [303] * 5 + [429]


def test_comments_post_reply_edit_delete(client, forms):
    forms.register(client, "ivy")
    page = article_page(client)
    first = comment_id(forms.comment(client, page, "First! see https://example.com/report"))
    reply = comment_id(forms.comment(client, page, "A reply", parent_id=first))
    html = client.get(page).text
    assert f'id="c{first}"' in html and f'id="c{reply}"' in html
    thread = html[html.index(f'id="c{first}"') :]
    assert thread.index(f'id="c{reply}"') < thread.index("</ol>", thread.index('class="comment-list replies"') + 1) + 10
    assert '<a href="https://example.com/report" rel="nofollow ugc noopener">' in html
    assert "(1)" not in html and "(2)" in html
    token = forms.csrf(client.get(f"/comments/{first}/edit").text)
    client.post(f"/comments/{first}/edit", data={"body": "Edited text", "csrf_token": token})
    html = client.get(page).text
    assert "Edited text" in html and "(edited)" in html
    client.post(f"/comments/{first}/delete", data={"csrf_token": token})
    html = client.get(page).text
    assert "This comment was deleted." in html and "A reply" in html
    api = client.get(f"/api/articles/{page.rsplit('/', 1)[1]}/comments").json()["items"]
    assert [c["removed"] for c in api] == [True, False]


def test_only_the_author_may_edit_or_delete(client, runtime, forms):
    forms.register(client, "jack")
    page = article_page(client)
    cid = comment_id(forms.comment(client, page, "mine"))
    with TestClient(create_app(runtime)) as other:
        forms.register(other, "kate")
        token = forms.csrf(other.get("/").text)
        assert other.get(f"/comments/{cid}/edit").status_code == 403
        assert other.post(f"/comments/{cid}/delete", data={"csrf_token": token}).status_code == 403
    assert "mine" in client.get(page).text


def test_anonymous_visitors_cannot_comment(client, forms):
    page = article_page(client)
    token = forms.csrf(client.get("/login").text)
    response = client.post(f"{page}/comments", data={"body": "hello", "csrf_token": token})
    assert response.status_code == 401 and "Log in" in response.text


def test_report_hide_and_suspend(client, runtime, forms):
    forms.register(client, "liam")
    page = article_page(client)
    cid = comment_id(forms.comment(client, page, "offensive words"))
    create_admin(runtime, "moderator", "admin password 1")
    with TestClient(create_app(runtime)) as reporter:
        forms.register(reporter, "mia")
        assert reporter.get("/moderation").status_code == 403
        forms.comment(reporter, page, "a calm reply", parent_id=cid)
        token = forms.csrf(reporter.get(f"/comments/{cid}/report").text)
        reporter.post(f"/comments/{cid}/report", data={"reason": "rude", "csrf_token": token})
    with TestClient(create_app(runtime)) as admin:
        assert forms.login(admin, "moderator", "admin password 1").status_code == 303
        queue = admin.get("/moderation").text
        assert "offensive words" in queue and "rude" in queue
        token = forms.csrf(queue)
        admin.post(f"/moderation/comments/{cid}/hide", data={"csrf_token": token})
        assert "Nothing to review" in admin.get("/moderation").text
        user_id = re.search(r"/moderation/users/(\d+)/suspend", queue).group(1)
        admin.post(f"/moderation/users/{user_id}/suspend", data={"csrf_token": token})
    html = client.get(page).text
    assert "offensive words" not in html
    assert "hidden by a moderator" in html and "a calm reply" in html, "the reply keeps its place in the thread"
    assert "Log out" not in html, "suspension ends the author's sessions"
    assert forms.login(client, "liam").status_code == 400


def test_create_admin_promotes_an_existing_account(sqlite_client, sqlite_runtime, forms):
    forms.register(sqlite_client, "nora")
    user = create_admin(sqlite_runtime, "nora", "new admin password")
    assert user.is_admin
    assert forms.login(sqlite_client, "nora", "new admin password").status_code == 303
    assert sqlite_client.get("/moderation").status_code == 200
