"""The soak (``storyline bench soak``): real material through the two paths users take, each against a fresh SQLite
database. Every good item must be stored once, and nothing may crash.

``import`` writes one JSON Lines file from the development data (the Zyte pages as ``html`` lines under their own
URLs, the BBC articles as title and text, the AllSides files without their gold ``story`` and with URLs made
distinct per file) and imports it as ``storyline import`` does: ``import_jsonl``, then the story analyses.

``poll`` stands a loopback HTTP server in for the web. It serves the feed fixtures of the checkout
(tests/fetch/testdata) and feeds generated from a sample of the same data, and the Zyte pages, some of which answer
500 or hang up half-way so that the feed excerpt is kept instead. Every feed is subscribed and ``poll_due`` runs once.

Each item is then looked up by canonical URL in what the database holds: stored, already present (earlier in the
same input), refused (with the error reported for it, grouped by reason), or lost: none of these, which must not
happen. An exception that escapes a path is logged with its traceback and counted; that figure must be 0 too. After
such a crash, items refused before it count as lost: the path's report of them is lost with it (the feeds' own
outcomes are not, the database records them).
"""

from __future__ import annotations

import gzip
import html
import itertools
import json
import re
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import feedparser

from storyline.cli import import_jsonl, refresh_all_stories
from storyline.collect import add_feed, poll_due
from storyline.config import Settings
from storyline.errors import InputError, StorylineError
from storyline.evals.loopback import LoopbackServer, QuietHandler, QuietServer
from storyline.evals.summary import read_bbc
from storyline.extract.decode import decode_html
from storyline.fetch.feeds import parse_feed
from storyline.fetch.urls import canonical_url
from storyline.logs import get_logger
from storyline.pipeline import Failure
from storyline.runtime import Runtime
from storyline.store import queries, transaction

log = get_logger("soak")

Progress = Callable[[int, int], None]

# The feed fixtures of a checkout: the parser's own (tests/fetch/testdata) and the soak's (its soak/ folder).
FIXTURES_DIR = Path(__file__).parents[3] / "tests" / "fetch" / "testdata"
ALLSIDES_FILES = {
    "allsides-day": "allsides-dev-day.jsonl",
    "allsides-week": "allsides-dev-week.jsonl",
    "allsides-xling": "allsides-xling-dev.jsonl",
}
# Dev articles per data set that the poll path serves as feeds: enough for every generated shape to recur.
POLL_SAMPLE = 50
# Items per generated feed, as news feeds carry; poll_due polls at most 100 feeds a pass, which this stays under.
FEED_ITEMS = 25
TEASER_CHARS = 280
HEADLINE_WORDS = 12
# How the Zyte pages answer, in turn: one in five fails and one in five hangs up half-way.
PAGE_ANSWERS = ("ok", "error", "ok", "hang-up", "ok")
DROPPED_BY_PARSER = "parse: entry dropped by parse_feed"
# A link to one of the reserved example domains (RFC 2606) the fixtures use. The loopback server answers for all
# of them, each under its own path: https://news.example.com/a is served as http://127.0.0.1:<port>/news.example.com/a.
_EXAMPLE_ORIGIN = re.compile(
    rb"https?://((?:[a-z0-9-]+\.)*example(?:\.com|\.net|\.org)?)(?=[/?#:\"'<\s]|$)", re.IGNORECASE
)
# The subject an error message ends with (a URL, a value), with one level of parentheses inside it.
_SUBJECT = re.compile(r" \((?:[^()]|\([^()]*\))*\)$")
_BAD_LINE = re.compile(r"line (\d+): (.*)", re.DOTALL)


def _noop(done: int, total: int) -> None:
    return None


def soak_settings(database: Path, **overrides: Any) -> Settings:
    """A fresh install's settings on ``database``, able to reach the loopback server: private hosts allowed, and
    no politeness delay, since one host serves every feed."""
    values: dict[str, Any] = dict(database_url=f"sqlite:///{database}", allow_private_hosts=True, per_host_delay_s=0.0)
    return Settings(**(values | overrides))


# The development data -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DevArticle:
    """One article of the development data: its ``storyline import`` line, and what a feed of it would carry."""

    key: str  # "<data set>/<id>", unique across the data sets
    line: dict[str, str]
    headline: str
    body: str  # plain text
    page: bytes | None = None  # the web page, for the articles that come as one


def spread(items: Sequence, limit: int | None) -> list:
    """At most ``limit`` items taken evenly, so that a short run still sees every section and period."""
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(index * step)] for index in range(limit)]


def zyte_articles(data_dir: Path, limit: int | None = None) -> list[DevArticle]:
    """The extraction benchmark's pages. Its truth has no headline: a feed gives the body's first words."""
    folder = data_dir / "extraction-dev"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    articles = []
    for page_id in spread(sorted(truth), limit):
        page = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        body = truth[page_id]["articleBody"]
        line = {"url": truth[page_id]["url"], "html": decode_html(page)}
        articles.append(DevArticle(f"zyte/{page_id}", line, " ".join(body.split()[:HEADLINE_WORDS]), body, page))
    return articles


def bbc_articles(data_dir: Path, limit: int | None = None) -> list[DevArticle]:
    articles = []
    for item in spread(list(read_bbc(data_dir / "bbc-news-summary-dev")), limit):
        url = f"https://bbc.storyline.invalid/{item.id}"
        line = {"url": url, "title": item.title, "text": item.body, "source": "BBC News"}
        articles.append(DevArticle(f"bbc/{item.id}", line, item.title, item.body))
    return articles


def allsides_articles(path: Path, name: str, limit: int | None = None) -> list[DevArticle]:
    """One AllSides file without its gold ``story``. The three files share articles: each URL gets the file's
    name, or the later files would only be found already present."""
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    articles = []
    for record in spread(records, limit):
        line = {key: value for key, value in record.items() if key != "story"}
        separator = "&" if urlsplit(line["url"]).query else "?"
        line["url"] = f"{line['url']}{separator}soak={name}"
        articles.append(DevArticle(f"{name}/{record['id']}", line, record.get("title") or "", record.get("text") or ""))
    return articles


def dev_articles(data_dir: Path, limit: int | None = None) -> dict[str, list[DevArticle]]:
    """Every data set of ``data_dir`` (see its README.md), each cut to ``limit`` articles."""
    if not (data_dir / "extraction-dev").is_dir():
        raise InputError("no extraction-dev/ folder: not the development data", subject=str(data_dir))
    data_sets = {"zyte": zyte_articles(data_dir, limit), "bbc": bbc_articles(data_dir, limit)}
    for name, file_name in ALLSIDES_FILES.items():
        data_sets[name] = allsides_articles(data_dir / file_name, name, limit)
    return data_sets


# Accounting -----------------------------------------------------------------------------------------------


def reason(message: str) -> str:
    """An error's stage and text without the subject it ends with, so that like errors group."""
    return _SUBJECT.sub("", message)


def url_key(url: str) -> str:
    """What the database keys an article by; a URL it would refuse stays as it is."""
    try:
        return canonical_url(url)
    except InputError:
        return url


@dataclass(slots=True)
class Counts:
    items: int = 0
    stored: int = 0
    already_present: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by reason
    lost: int = 0

    def add(self, other: Counts) -> None:
        self.items += other.items
        self.stored += other.stored
        self.already_present += other.already_present
        self.refused.update(other.refused)
        self.lost += other.lost

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "stored": self.stored,
            "already_present": self.already_present,
            "refused": self.refused.total(),
            "lost": self.lost,
        }


class Ledger:
    """Each item of a path, by canonical URL, against what the database holds after the path ran and the
    refusals it reported. The first item with a URL is stored, refused or lost; later ones are already present."""

    def __init__(self, stored: set[str], refusals: Mapping[str, str]) -> None:
        self._stored, self._refusals = stored, refusals
        self._seen: set[str] = set()

    def count(self, urls: Iterable[str]) -> Counts:
        counts = Counts()
        for url in map(url_key, urls):
            counts.items += 1
            if url in self._seen:
                counts.already_present += 1
                continue
            self._seen.add(url)
            if url in self._stored:
                counts.stored += 1
            elif url in self._refusals:
                counts.refused[self._refusals[url]] += 1
            else:
                counts.lost += 1
        return counts


@dataclass(slots=True)
class PathResult:
    counts: Counts = field(default_factory=Counts)
    tracebacks: int = 0
    crashes: list[str] = field(default_factory=list)  # each unexpected exception, on one line
    urls_stored_twice: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts.as_dict(),
            "refused_by_reason": dict(self.counts.refused.most_common()),
            "tracebacks": self.tracebacks,
            "crashes": self.crashes,
            "urls_stored_twice": self.urls_stored_twice,
            "seconds": round(self.seconds, 1),
        }


class _Run:
    """Times a path and keeps it going past an unexpected exception, which is logged and counted."""

    def __init__(self, path: str, result: PathResult) -> None:
        self._path, self._result = path, result

    def __enter__(self) -> _Run:
        self._started = time.perf_counter()
        return self

    def __exit__(self, kind, error, trace) -> bool:
        self._result.seconds = time.perf_counter() - self._started
        if error is None or not isinstance(error, Exception):
            return False
        self._result.tracebacks += 1
        self._result.crashes.append(f"{kind.__name__}: {' '.join(str(error).split())[:300]}")
        log.error("soak path crashed", path=self._path, traceback="".join(traceback.format_exception(error)))
        return True


def failure_reasons(failures: Iterable[Failure]) -> dict[str, str]:
    """The pipeline's refusals: the reason for each refused URL."""
    return {url_key(failure.subject): reason(str(failure.error)) for failure in failures}


def stored_urls(runtime: Runtime) -> tuple[set[str], int]:
    """The URLs the database holds, and how many of them it holds more than once."""
    with transaction(runtime.sessions) as session:
        rows = queries.url_copies(session)
    return {url for url, _ in rows}, sum(1 for _, copies in rows if copies > 1)


# The import path ------------------------------------------------------------------------------------------


def soak_import(
    lines: Sequence[dict[str, str]], workdir: Path, show_progress: bool = False, **overrides: Any
) -> PathResult:
    """Imports ``lines`` as ``storyline import`` does, into a fresh database in ``workdir`` (``overrides`` change
    its settings)."""
    path = workdir / "soak-import.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    runtime = Runtime.open(soak_settings(workdir / "import.db", **overrides))
    result = PathResult()
    refusals: dict[str, str] = {}
    try:
        with _Run("import", result):
            report, bad = import_jsonl(runtime, path, show_progress)
            refresh_all_stories(runtime, show_progress)
            refusals = failure_reasons(report.failed) | _bad_line_reasons(bad, lines)
        stored, result.urls_stored_twice = stored_urls(runtime)
    finally:
        runtime.close()
    result.counts = Ledger(stored, refusals).count(line["url"] for line in lines)
    return result


def _bad_line_reasons(messages: Iterable[str], lines: Sequence[dict[str, str]]) -> dict[str, str]:
    """``import_jsonl`` reports a refused line as "line <n>: <error>"; the URL is that line's."""
    refusals = {}
    for message in messages:
        number, error = _BAD_LINE.match(message).groups()
        refusals[url_key(lines[int(number) - 1]["url"])] = reason(error)
    return refusals


# The poll path --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    hang_up: bool = False  # announce the whole body, send half of it and close


@dataclass(frozen=True, slots=True)
class ServedFeed:
    name: str  # the fixture's path under the fixtures folder, or the generated feed's
    content_type: str
    body: bytes  # links to example domains, which the loopback server stands in for

    @property
    def path(self) -> str:
        return f"/feeds/{self.name}"


def stand_in_path(url: str) -> str:
    """Where the loopback server answers for a URL of an example domain (see ``_EXAMPLE_ORIGIN``)."""
    parts = urlsplit(url)
    return f"/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def stand_in(content: bytes, base_url: str) -> bytes:
    """The feed with its links to example domains pointed at the loopback server."""
    return _EXAMPLE_ORIGIN.sub(lambda match: f"{base_url}/{match.group(1).decode().lower()}".encode(), content)


class LoopbackWeb(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1 answering from ``routes``; anything else is a 404 (robots.txt too)."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        routes = self.routes

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                answer = routes.get(self.path, Answer(404, "text/plain", b"not found"))
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body[: len(answer.body) // 2] if answer.hang_up else answer.body)

        class HangUpServer(QuietServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client may give up on a page that hangs up: that is the point of those pages

        super().__init__(Handler, "soak-web", HangUpServer)


def fixture_feeds(directory: Path = FIXTURES_DIR) -> list[ServedFeed]:
    """Every feed file under ``directory``, named by its path there."""
    types = {".json": "application/feed+json", ".rdf": "application/rdf+xml", ".xml": "application/xml"}
    files = sorted(path for path in directory.rglob("*") if path.suffix in types)
    if not files:
        raise InputError("no feed fixtures found: run the soak from a checkout", subject=str(directory))
    return [ServedFeed(path.relative_to(directory).as_posix(), types[path.suffix], path.read_bytes()) for path in files]


@dataclass(frozen=True, slots=True)
class FeedItem:
    link: str
    title: str
    text: str  # plain text: a teaser, or the whole article
    published: str | None = None  # ISO 8601
    language: str | None = None
    author: str | None = None


def _rss20(title: str, items: Sequence[FeedItem]) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = title
    for item in items:
        element = ET.SubElement(channel, "item")
        ET.SubElement(element, "title").text = item.title
        ET.SubElement(element, "link").text = item.link
        ET.SubElement(element, "guid", isPermaLink="true").text = item.link
        ET.SubElement(element, "description").text = item.text
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _atom10(title: str, items: Sequence[FeedItem]) -> bytes:
    """HTML content, a paragraph a line of text."""
    feed = ET.Element("feed", xmlns="http://www.w3.org/2005/Atom")
    ET.SubElement(feed, "title").text = title
    for item in items:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = item.title
        ET.SubElement(entry, "link", href=item.link)
        ET.SubElement(entry, "id").text = item.link
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in item.text.splitlines() if line.strip())
        ET.SubElement(entry, "content", type="html").text = paragraphs
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _json_feed(title: str, items: Sequence[FeedItem]) -> bytes:
    def optional(name: str, value: object) -> dict[str, object]:
        return {name: value} if value else {}

    entries = [
        {"id": item.link, "url": item.link, "title": item.title, "content_text": item.text}
        | optional("date_published", item.published)
        | optional("language", item.language)
        | optional("authors", [{"name": item.author}] if item.author else None)
        for item in items
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": entries}
    return json.dumps(feed, ensure_ascii=False).encode("utf-8")


# Each data set in the shape its kind of site publishes: the web pages as teasers whose page the reader fetches,
# the BBC as Atom with the whole article, the AllSides leads as JSON Feed with their dates and languages.
_SHAPES: dict[str, tuple[Callable[[str, Sequence[FeedItem]], bytes], str, str]] = {
    "zyte": (_rss20, "xml", "application/rss+xml"),
    "bbc": (_atom10, "xml", "application/atom+xml"),
}
_JSON_SHAPE = (_json_feed, "json", "application/feed+json")


def _feed_item(data_set: str, article: DevArticle) -> FeedItem:
    link = f"https://{data_set}.soak.example/{article.key.partition('/')[2]}"
    text = article.body[:TEASER_CHARS] if article.page else article.body
    line = article.line
    return FeedItem(link, article.headline, text, line.get("published"), line.get("language"), line.get("source"))


def _page_answer(page: bytes, turn: int) -> Answer:
    answer = PAGE_ANSWERS[turn % len(PAGE_ANSWERS)]
    if answer == "error":
        return Answer(500, "text/html", b"<h1>Internal Server Error</h1>")
    return Answer(200, "text/html", page, hang_up=answer == "hang-up")


def generated_feeds(data_sets: Mapping[str, Sequence[DevArticle]]) -> tuple[list[ServedFeed], dict[str, Answer]]:
    """Feeds of the dev articles, ``FEED_ITEMS`` a feed, and the pages behind them by loopback path."""
    feeds, pages = [], {}
    for data_set, articles in data_sets.items():
        render, extension, content_type = _SHAPES.get(data_set, _JSON_SHAPE)
        items = [_feed_item(data_set, article) for article in articles]
        for turn, (item, article) in enumerate(zip(items, articles, strict=True)):
            if article.page is not None:
                pages[stand_in_path(item.link)] = _page_answer(article.page, turn)
        for start in range(0, len(items), FEED_ITEMS):
            name = f"{data_set}-{start // FEED_ITEMS + 1}.{extension}"
            feeds.append(ServedFeed(name, content_type, render(f"Soak {data_set}", items[start : start + FEED_ITEMS])))
    return feeds, pages


@dataclass(slots=True)
class PollResult(PathResult):
    feeds: int = 0
    feeds_refused: Counter[str] = field(default_factory=Counter)  # by reason
    feeds_not_polled: int = 0  # to the end: the one a crash stopped in, and those after it
    per_feed: dict[str, Counts] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return PathResult.as_dict(self) | {
            "feeds": self.feeds,
            "feeds_refused": dict(self.feeds_refused.most_common()),
            "feeds_not_polled": self.feeds_not_polled,
            "per_feed": {name: counts.as_dict() for name, counts in self.per_feed.items()},
        }


def feed_outcomes(runtime: Runtime) -> tuple[dict[str, str], set[str]]:
    """The feeds whose last poll failed, with the error, and those never polled, by URL. Read from the database,
    where each feed's poll is recorded as it ends, these survive a crash that loses the poll's report."""
    with transaction(runtime.sessions) as session:
        feeds = queries.list_feeds(session)
        errors = {feed.url: feed.last_error or "" for feed in feeds if feed.last_status == "error"}
        return errors, {feed.url for feed in feeds if feed.last_polled_at is None}


def _items_in(body: bytes) -> int:
    """How many items a feed holds, before parse_feed judges them. Only for a feed parse_feed accepted: it refuses
    the entity declarations that feedparser would expand."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        items = json.loads(body).get("items")
        return len(items) if isinstance(items, list) else 0
    return len(feedparser.parse(body).entries)


def _feed_counts(ledger: Ledger, body: bytes, url: str, feed_error: str | None) -> Counts:
    """A feed's items: those parse_feed drops count as refused, and all of them do when the poll refused the feed."""
    try:
        entries = parse_feed(body, url).entries
    except StorylineError:
        return Counts()  # a feed the poll must refuse too, holding no item that could be stored
    dropped = _items_in(body) - len(entries)
    if feed_error is not None:
        return Counts(items=len(entries) + dropped, refused=Counter({reason(feed_error): len(entries) + dropped}))
    counts = ledger.count(entry.url for entry in entries)
    if dropped:
        counts.items += dropped
        counts.refused[DROPPED_BY_PARSER] += dropped
    return counts


def soak_poll(
    feeds: Sequence[ServedFeed],
    pages: Mapping[str, Answer],
    workdir: Path,
    progress: Progress = _noop,
    **overrides: Any,
) -> PollResult:
    """Serves ``feeds`` and ``pages`` on loopback, subscribes a fresh database in ``workdir`` to every feed and
    polls once, as ``storyline poll`` does."""
    result = PollResult(feeds=len(feeds))
    runtime = Runtime.open(soak_settings(workdir / "poll.db", **overrides))
    report = None
    try:
        with LoopbackWeb() as web:
            web.routes.update(pages)
            served = {}
            for feed in feeds:
                body = stand_in(feed.body, web.base_url)
                web.routes[feed.path] = Answer(200, feed.content_type, body)
                served[feed.name] = (web.base_url + feed.path, body)
            polled = itertools.count(1)
            with _Run("poll", result):
                for url, _ in served.values():
                    add_feed(runtime, url)
                report = poll_due(runtime, on_feed=lambda url: progress(next(polled), len(feeds)))
        stored, result.urls_stored_twice = stored_urls(runtime)
        feed_errors, unpolled = feed_outcomes(runtime)
    finally:
        runtime.close()
    result.feeds_refused = Counter(reason(error) for error in feed_errors.values())
    result.feeds_not_polled = len(unpolled)
    ledger = Ledger(stored, failure_reasons(report.articles.failed if report else []))
    for name, (url, body) in served.items():
        result.per_feed[name] = _feed_counts(ledger, body, url, feed_errors.get(url_key(url)))
        result.counts.add(result.per_feed[name])
    return result


# The whole soak -------------------------------------------------------------------------------------------


def run(
    data_dir: Path,
    limit: int | None = None,
    show_progress: bool = False,
    progress: Progress = _noop,
    fixtures_dir: Path = FIXTURES_DIR,
) -> dict[str, Any]:
    """Both paths over the development data in ``data_dir`` (at most ``limit`` articles a data set); the poll
    path serves the fixtures and a sample of that. ``progress`` is told of each feed polled."""
    data_sets = dev_articles(data_dir, limit)
    fixtures = fixture_feeds(fixtures_dir)
    generated, pages = generated_feeds({name: spread(articles, POLL_SAMPLE) for name, articles in data_sets.items()})
    lines = [article.line for articles in data_sets.values() for article in articles]
    with tempfile.TemporaryDirectory(prefix="storyline-soak-") as workdir:
        imported = soak_import(lines, Path(workdir), show_progress)
        polled = soak_poll(fixtures + generated, pages, Path(workdir), progress)
    return {"import": imported.as_dict(), "poll": polled.as_dict(), "total": _total([imported, polled])}


def _total(results: Sequence[PathResult]) -> dict[str, Any]:
    counts = Counts()
    for result in results:
        counts.add(result.counts)
    return {
        **counts.as_dict(),
        "tracebacks": sum(result.tracebacks for result in results),
        "urls_stored_twice": sum(result.urls_stored_twice for result in results),
        "seconds": round(sum(result.seconds for result in results), 1),
    }


def passed(result: Mapping[str, Any]) -> bool:
    """Nothing crashed, nothing was lost, no URL is stored twice."""
    total = result["total"]
    return total["tracebacks"] == total["lost"] == total["urls_stored_twice"] == 0


def report_lines(result: Mapping[str, Any]) -> Iterator[str]:
    """The soak's figures as text, a line for each path and the total, then why items and feeds were refused."""
    for path in ("import", "poll", "total"):
        figures = result[path]
        feeds = f" from {figures['feeds']} feeds" if "feeds" in figures else ""
        yield (
            f"{path}: {figures['items']} items{feeds}: {figures['stored']} stored, "
            f"{figures['already_present']} already present, {figures['refused']} refused, {figures['lost']} lost; "
            f"{figures['tracebacks']} tracebacks, {figures['urls_stored_twice']} URLs stored twice; "
            f"{figures['seconds']} s"
        )
        for why, count in figures.get("refused_by_reason", {}).items():
            yield f"  refused {count}: {why}"
        for why, count in figures.get("feeds_refused", {}).items():
            yield f"  feeds refused {count}: {why}"
        if figures.get("feeds_not_polled"):
            yield f"  feeds not polled: {figures['feeds_not_polled']}"
        for crash in figures.get("crashes", []):
            yield f"  crashed: {crash}"
        for name, counts in figures.get("per_feed", {}).items():
            if counts["lost"]:
                yield f"  lost {counts['lost']} of feed {name}"
