"""The optional LLM: a fake OpenAI-compatible server on loopback; unsupported sentences are dropped, and any
failure falls back to the extractive answer."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from storyline import nlp
from storyline.config import Settings
from storyline.domain import Article, Citation
from storyline.enrich import ask, llm

SUPPORTED = "Police have reopened more than 800 cases of child sexual abuse since January [1]."
HALLUCINATED = "The inquiry will be chaired by a retired Australian judge and cost 40 million pounds [1]."
OUT_OF_RANGE = "Police have reopened more than 800 cases of child sexual abuse [7]."
UNCITED = "Police have reopened more than 800 cases of child sexual abuse."


class FakeChatServer:
    """Answers POST /v1/chat/completions with a fixed status and reply; records request bodies and headers."""

    def __init__(self) -> None:
        self.status = 200
        self.reply = ""
        self.requests: list[tuple[dict, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((body, dict(self.headers)))
                payload = {"choices": [{"message": {"role": "assistant", "content": server.reply}}]}
                data = json.dumps(payload).encode() if server.status == 200 else b"upstream failure"
                self.send_response(server.status if self.path == "/v1/chat/completions" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    @property
    def settings(self) -> Settings:
        host, port = self._httpd.server_address[:2]
        return Settings(llm_url=f"http://{host}:{port}/v1", llm_api_key="test-key", llm_model="fake-model")

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def chat_server() -> Iterator[FakeChatServer]:
    server = FakeChatServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def seed_articles(seed_records) -> list[Article]:
    return [
        Article(r["id"], r["url"], r["title"], r["text"], r["source"], sentences=nlp.split_sentences(r["text"]))
        for r in seed_records
    ]


EVIDENCE = [
    Citation(
        "g",
        37,
        "Police have reopened more than 800 cases of child sexual abuse since the home secretary asked "
        "them to review cases in January.",
        "The Guardian",
    ),
    Citation(
        "t",
        29,
        "Ms Cooper told the Commons that 800 cold cases would be investigated, a number she expected to rise to 1,000.",
        "Telegraph",
    ),
]


def test_unsupported_sentences_are_dropped(chat_server):
    chat_server.reply = f"{SUPPORTED} {HALLUCINATED} {OUT_OF_RANGE} {UNCITED}"
    synthesis = llm.synthesize("How many cases will be reopened?", EVIDENCE, chat_server.settings)
    assert synthesis is not None
    assert "800 cases" in synthesis.text and "[1]" in synthesis.text
    assert "Australian" not in synthesis.text
    assert synthesis.text.count("800") == 1
    assert synthesis.citations == [EVIDENCE[0]]


def test_request_is_openai_shaped(chat_server):
    chat_server.reply = SUPPORTED
    llm.synthesize("How many cases will be reopened?", EVIDENCE, chat_server.settings)
    body, headers = chat_server.requests[-1]
    assert body["model"] == "fake-model"
    assert headers["Authorization"] == "Bearer test-key"
    assert "[1] (The Guardian) Police have reopened" in body["messages"][-1]["content"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "Police reopened 800 cases. [1] Ms Cooper expects 1,000. [2]",
            [("Police reopened 800 cases.", [0]), ("Ms Cooper expects 1,000.", [1])],
        ),
        ("About 800 cases [1][2].", [("About 800 cases.", [0, 1])]),
    ],
)
def test_markers_stay_with_their_sentence(reply, expected):
    assert llm._cited_sentences(reply) == expected


def test_answer_uses_the_synthesis(chat_server, seed_articles):
    chat_server.reply = f"{SUPPORTED} {HALLUCINATED}"
    answer = ask.answer("How many cases will be reopened?", seed_articles, chat_server.settings)
    assert answer.synthesized
    assert "Australian" not in answer.text
    assert answer.citations and all(c.text in {s for a in seed_articles for s in a.sentences} for c in answer.citations)


@pytest.mark.parametrize(("status", "reply"), [(500, ""), (200, HALLUCINATED), (200, "")])
def test_failure_or_nothing_supported_falls_back(chat_server, seed_articles, caplog, monkeypatch, status, reply):
    chat_server.status, chat_server.reply = status, reply
    monkeypatch.setattr(logging.getLogger("storyline"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="storyline"):
        answer = ask.answer("How many cases will be reopened?", seed_articles, chat_server.settings)
    assert not answer.synthesized
    assert "800" in answer.citations[0].text
    assert answer.text.startswith(answer.citations[0].text)
    assert any(record.levelno == logging.WARNING for record in caplog.records)


def test_unreachable_endpoint_is_a_fetch_error():
    from storyline.errors import FetchError

    with pytest.raises(FetchError):
        llm.chat(Settings(llm_url="http://127.0.0.1:9/v1"), [{"role": "user", "content": "hi"}])
