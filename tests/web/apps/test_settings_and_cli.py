"""API passwords: created on the settings page (shown once) and revoked there, and by ``storyline create-reader``
and ``create-admin --api-password`` for scripts (printed alone on the last line)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import get_settings

from .conftest import LOGIN_PASSWORD, USERNAME

SHOWN = re.compile(r'<code class="api-password">([^<]+)</code>')


def client_login(client, username: str, password: str) -> int:
    return client.post("/accounts/ClientLogin", data={"Email": username, "Passwd": password}).status_code


def test_settings_page_creates_shows_once_and_revokes_api_passwords(api, world, forms):
    assert api.get("/settings", follow_redirects=False).headers["location"] == "/login?next=%2Fsettings"
    assert 'href="/settings"' not in api.get("/about").text
    assert forms.login(api, USERNAME, LOGIN_PASSWORD).status_code == 303
    page = api.get("/settings").text
    assert 'href="/settings"' in page and "tests" in page and "http://testserver/" in page
    made = api.post("/settings/api-passwords", data={"name": "NetNewsWire", "csrf_token": forms.csrf(page)})
    (password,) = SHOWN.findall(made.text)
    assert made.headers["Cache-Control"] == "no-store" and "NetNewsWire" in made.text
    assert SHOWN.findall(api.get("/settings").text) == []  # shown once
    assert client_login(api, USERNAME, password) == 200
    assert client_login(api, USERNAME, world.password) == 200  # each app its own password
    revoke = re.findall(r'action="(/settings/api-passwords/\d+/revoke)"', made.text)[-1]
    assert api.post(revoke, data={"csrf_token": forms.csrf(made.text)}, follow_redirects=False).status_code == 303
    assert client_login(api, USERNAME, password) == 401
    assert client_login(api, USERNAME, world.password) == 200
    french = api.get("/fr/settings").text
    assert "Applications de lecture" in french and "Nouveau mot de passe d’API" in french


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'storyline.db'}")
    monkeypatch.setenv("STORYLINE_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "command",
    [
        ["create-reader", "bob", "--email", "bob@example.org", "--api-password"],
        ["create-admin", "bob", "--password", "correct horse battery", "--api-password"],
    ],
)
def test_the_cli_prints_a_new_api_password_alone_on_the_last_line(database, command):
    from fastapi.testclient import TestClient

    from storyline.runtime import Runtime
    from storyline.web.app import create_app

    done = CliRunner().invoke(app, command)
    assert done.exit_code == 0, done.output
    password = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", password), done.output
    runtime = Runtime.open(get_settings())
    try:
        with TestClient(create_app(runtime)) as client:
            assert client_login(client, "bob", password) == 200
    finally:
        runtime.close()
    without = CliRunner().invoke(app, ["create-reader", "carol"])
    assert without.exit_code == 0 and "API password" not in without.output
