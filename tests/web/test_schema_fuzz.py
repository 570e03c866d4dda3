"""Schemathesis against ``/openapi.json``: generated requests (valid and invalid) to every operation of the app,
served from a seeded database. No request may cause a server error; the JSON API must also answer exactly as
its schema says (status codes, content types, bodies, Allow headers)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, not_a_server_error

from storyline.config import Settings
from storyline.runtime import Runtime
from storyline.web.app import create_app

JSON_API = "^/api/|^/healthz$"
# The first view of a story computes its analysis (about 10 s on a fresh database on a busy 2-core machine);
# that is slow, not broken, so the request timeout must not turn it into a failure.
REQUEST_TIMEOUT_S = 120
FUZZ = settings(
    max_examples=25,
    deadline=None,
    # The same examples on every run, so CI gives one answer for one commit; explore new ones on demand with
    # `schemathesis run` against a served instance.
    derandomize=True,
    # One seeded app serves all examples of an operation; nothing in it needs resetting between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# pytest parametrizes by operation at collection time, so the schema is read from an app whose database is never
# opened; the requests themselves go to the seeded app of each test.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Runtime.open(Settings(database_url="sqlite://", secret_key="schema only"), run_migrations=False)),
)


@pytest.fixture
def seeded_app(sqlite_runtime, seed_into):
    seed_into(sqlite_runtime)
    return create_app(sqlite_runtime)


@schema.include(path_regex=JSON_API).parametrize()
@FUZZ
def test_json_api_conforms_to_its_schema(case, seeded_app):
    # Pydantic's lax mode accepts what the schema's types do not name (a number as a date-time, a Unix time), so
    # "invalid data must be refused" would fail on chosen leniency, not on a defect; every other check runs.
    case.call_and_validate(app=seeded_app, timeout=REQUEST_TIMEOUT_S, excluded_checks=[negative_data_rejection])


# Pages, forms and feeds are documented only loosely by FastAPI (HTML error pages, 303 redirects, CSRF 403s and
# XML bodies are not in the schema), so for them the contract checked is: never a server error.
@schema.exclude(path_regex=JSON_API).parametrize()
@FUZZ
def test_pages_and_forms_never_fail_with_a_server_error(case, seeded_app):
    case.call_and_validate(app=seeded_app, checks=[not_a_server_error], timeout=REQUEST_TIMEOUT_S)


# Requests that once made the server fail (found by the tests above) and now answer a clean 4xx, or 200.
BEYOND_64_BITS = str(2**63)


@pytest.mark.parametrize(
    "path, status",
    [
        (f"/api/stories/{BEYOND_64_BITS}", 422),
        (f"/en/story/{BEYOND_64_BITS}", 400),
        (f"/feeds/story/{BEYOND_64_BITS}.atom", 404),
        ("/feeds/story/\u00b2.atom", 404),  # a digit to str.isdigit, not to int()
        ("/search?q=court&until=9999-12-31", 200),  # the day after the last day a date can hold
        (f"/comments/{BEYOND_64_BITS}/report", 400),
    ],
)
def test_out_of_range_input_is_refused_cleanly(client, forms, path, status):
    forms.register(client, "reader")
    assert client.get(path).status_code == status


def test_reply_to_an_out_of_range_parent_is_refused_cleanly(client, forms):
    forms.register(client, "reader")
    page = client.get("/api/articles?limit=1").json()["items"][0]["page_url"]
    token = forms.csrf(client.get(page).text)
    response = client.post(
        f"{page}/comments", data={"body": "A reply.", "parent_id": BEYOND_64_BITS, "csrf_token": token}
    )
    assert response.status_code == 400


def test_invalid_api_input_answers_422_in_the_documented_shape(client):
    response = client.get("/api/stories/not-a-number")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["path", "story_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            }
        ]
    }
