"""A real client: Debian's newsboat reads Storyline through the Google Reader API (its ``feedhq`` source) from a
loopback server, and read state travels both ways between the app and the site."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from storyline.web.app import create_app

from .conftest import LOGIN_PASSWORD, UNREAD, USERNAME

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="Debian's newsboat is not installed (apt-get install newsboat; .ci/run does)"
)
# Five unread articles in the reader's follows, and the two stories they belong to (the Stories feed).
STORIES = 2


def newsboat(home: Path, base: str, password: str, *commands: str) -> str:
    """``newsboat -x ...`` with a config, cache and HOME of its own; returns what it printed."""
    config = home / "config"
    config.write_text(
        f'urls-source "feedhq"\nfeedhq-url "{base}/"\nfeedhq-login "{USERNAME}"\nfeedhq-password "{password}"\n',
        encoding="utf-8",
    )
    command = [NEWSBOAT, "-C", str(config), "-c", str(home / "cache.db"), "-u", str(home / "urls"), "-x", *commands]
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def unread_count(output: str) -> int:
    match = re.search(r"(\d+) unread articles", output)
    assert match, output
    return int(match.group(1))


def site_unread(site: TestClient, follow_id: int) -> int:
    """Articles the site marks Unread on the follow's page."""
    return site.get(f"/follows/{follow_id}").text.count('class="new-badge"')


def test_newsboat_reads_the_follows_and_read_state_travels_both_ways(world, serve, forms, tmp_path):
    base = serve(world.runtime)
    expected = len(UNREAD) + STORIES
    assert unread_count(newsboat(tmp_path, base, world.password, "reload", "print-unread")) == expected

    with TestClient(create_app(world.runtime)) as site:
        assert forms.login(site, USERNAME, LOGIN_PASSWORD).status_code == 303
        health = world.follows[("section", "Health")]
        assert site_unread(site, health) == 3

        # Read in an app (through the API, as newsboat marks an item read): read on the site.
        with httpx.Client(base_url=base) as app:
            login = app.post("/accounts/ClientLogin", data={"Email": USERNAME, "Passwd": world.password})
            auth = {"Authorization": "GoogleLogin auth=" + login.text.split("Auth=")[1].strip()}
            token = app.get("/reader/api/0/token", headers=auth).text
            item = f"tag:google.com,2005:reader/item/{world.ids['a0000000000000a5']:016x}"
            data = {"i": item, "a": "user/-/state/com.google/read", "ac": "edit", "T": token}
            assert app.post("/reader/api/0/edit-tag", data=data, headers=auth).text == "OK"
        assert world.ids["a0000000000000a5"] in world.read_ids()
        assert site_unread(site, health) == 2
        assert unread_count(newsboat(tmp_path, base, world.password, "reload", "print-unread")) == expected - 1

        # Read on the site (opening the article): read in the app.
        assert site.get("/en/article/a0000000000000a7").status_code == 200
        assert site_unread(site, health) == 1
    assert unread_count(newsboat(tmp_path, base, world.password, "reload", "print-unread")) == expected - 2
