"""Reader apps sync while the poller writes: a call that reads and then writes (logging in, marking items read or
starred) is not refused when another writer commits between the two (``OtherWriter``, tests/web/conftest.py)."""

from __future__ import annotations

import pytest

from .conftest import USERNAME
from .test_fever import key
from .test_greader import API, READ, login, long_id

# name: (path, form fields, whether the greader Auth header is sent)
CASES = {
    "ClientLogin": ("/accounts/ClientLogin", lambda world: {"Email": USERNAME, "Passwd": world.password}, False),
    "edit-tag": (f"{API}/edit-tag", lambda world: {"i": long_id(world, "a0000000000000a1"), "a": READ}, True),
    "mark-all-as-read": (f"{API}/mark-all-as-read", lambda world: {"s": "user/-/state/com.google/reading-list"}, True),
    "fever mark": (
        "/fever/?api&mark=item&as=read",
        lambda world: {"api_key": key(world.password), "id": str(world.ids["a0000000000000a1"])},
        False,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_sync_that_reads_then_writes_beside_another_writer(api, world, other_writer, name):
    path, fields, signed_in = CASES[name]
    headers = login(api, world.password) if signed_in else {}
    other_writer.arm()
    response = api.post(path, data=fields(world), headers=headers)
    assert response.status_code == 200, response.text
    assert other_writer.committed is False, "the call's write did not hold the write lock"
