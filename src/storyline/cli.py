"""The ``storyline`` command line."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storyline import logs
from storyline.errors import StorylineError

app = typer.Typer(help="Storyline: a self-hosted news aggregator with grounded AI.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on a data set (slow; on demand).", no_args_is_help=True)
bench_app = typer.Typer(help="Measure speed (slow; on demand).", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
alerts_app = typer.Typer(help="Alerts and digests when followed stories develop.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
train_app = typer.Typer(help="Refit the bundled models (slow; on demand).", no_args_is_help=True)
app.add_typer(train_app, name="train")
i18n_app = typer.Typer(help="The interface's translation catalogues.", no_args_is_help=True)
app.add_typer(i18n_app, name="i18n")
# Where the development data sets sit beside a checkout (see ../shared/data/README.md); never copied in.
DEV_DATA_DIR = Path("../shared/data")
BBC_DEV_DIR = DEV_DATA_DIR / "bbc-news-summary-dev"
# Hand-written gold beside a checkout, kept with the tests: the labelled figure pairs and the ask questions.
TESTDATA = Path(__file__).parents[2] / "tests" / "enrich" / "testdata"
FIGURE_PAIRS = TESTDATA / "figure_pairs.jsonl"
ASK_GOLD = TESTDATA / "ask_questions.json"
API_PASSWORD_OPTION = typer.Option(
    "--api-password", help="Also create an API password for reader apps and print it, alone on the last line."
)
BBC_DIR_OPTION = typer.Option(
    "--dir", exists=True, file_okay=False, help="BBC layout (articles/<section>/<nnn>.txt, summaries/...)."
)

console = Console(stderr=True)
SAMPLE = Path(__file__).parent / "data" / "sample.jsonl"
DEFAULT_OPML = Path(__file__).parent / "fetch" / "default-feeds.opml"
IMPORT_BATCH = 64


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def _runtime():
    from storyline.runtime import Runtime

    try:
        return Runtime.open()
    except StorylineError as exc:  # settings that cannot work or a schema that cannot be migrated: say which
        _fail(str(exc))


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code=1)


def _print_scores(evaluate: Callable[[], dict]) -> None:
    """An evaluation's scores as indented JSON, or the reason it could not run (a bad gold file, say)."""
    try:
        scores = evaluate()
    except StorylineError as exc:
        _fail(str(exc))
    print(json.dumps(scores, indent=2))


@app.callback()
def _configure(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug events.")] = False) -> None:
    logs.configure("DEBUG" if verbose else "WARNING")


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    runtime = _runtime()
    console.print(f"database ready: {runtime.settings.database_url}")


def _batches(lines: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(lines, size)):
        yield batch


def import_jsonl(
    runtime,
    path: Path,
    show_progress: bool = True,
    enrich: bool = True,
    on_batch: Callable[[int, int], None] = lambda done, total: None,
    batch_size: int = IMPORT_BATCH,
):
    """Imports a JSON Lines file batch by batch; bad lines are reported and skipped. Without ``enrich``, each
    batch is placed as soon as it is embedded and its enrichment left to the backlog, as the poller does.
    ``on_batch`` is told, after each batch is stored, the good lines done so far and the file's lines.
    ``batch_size`` lines make a batch (the command's 64; the eval's replay of smaller polls takes fewer)."""
    from storyline.fetch.jsonl import read_jsonl
    from storyline.pipeline import IngestReport, ingest_batches

    report = IngestReport()
    bad: list[str] = []
    line_of: dict[str, int] = {}  # an item's URL, as given and canonical, -> its line, to report failures by line
    total = sum(1 for _ in path.open("rb"))
    with path.open(encoding="utf-8", errors="replace") as handle, _progress() as progress:
        task = progress.add_task(f"import {path.name}", total=total, visible=show_progress)

        def good_items() -> Iterator[list]:
            for batch in _batches(read_jsonl(handle), batch_size):
                items = []
                for line_number, item in batch:
                    if isinstance(item, StorylineError):
                        bad.append(f"line {line_number}: {item}")
                        progress.advance(task)
                    else:
                        items.append(item)
                        line_of.update(dict.fromkeys(_url_forms(item.url), line_number))
                yield items

        done = 0

        def stored(items: list) -> None:
            nonlocal done
            done += len(items)
            progress.advance(task, len(items))
            on_batch(done, total)

        ingest_batches(runtime, good_items(), report, on_batch=stored, enrich=enrich)
    for failure in report.failed:
        line = line_of.get(failure.subject or "")
        bad.append(f"line {line}: {failure.error}" if line else str(failure.error))
    return report, bad


def _url_forms(url: str) -> list[str]:
    from storyline.fetch.urls import canonical_url

    try:
        return [url, canonical_url(url)]
    except StorylineError:
        return [url]


def refresh_all_stories(runtime, show_progress: bool = True) -> int:
    """Brings every stale story analysis up to date, so that no reader waits for one after an import."""
    from storyline.pipeline import refresh_stale_stories

    total = 0
    with _progress() as progress:
        task = progress.add_task("story analyses", total=None, visible=show_progress)
        while refreshed := refresh_stale_stories(runtime.sessions):
            total += refreshed
            progress.advance(task, refreshed)
    return total


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines, one article a line.")],
    queue: Annotated[bool, typer.Option("--queue", help="Enqueue for Celery workers instead.")] = False,
) -> None:
    """Import articles from a JSON Lines file (idempotent: keyed by canonical URL)."""
    runtime = _runtime()
    if queue:
        from storyline.workers.tasks import enqueue_jsonl

        count = enqueue_jsonl(runtime, file)
        console.print(f"queued {count} lines")
        return
    report, bad = import_jsonl(runtime, file)
    analysed = refresh_all_stories(runtime)
    for message in bad:
        console.print(f"[yellow]{message}[/yellow]", highlight=False)
    console.print(
        f"imported {report.imported}, already present {report.skipped}, rejected {len(bad)}; "
        f"{analysed} story analyses brought up to date"
    )


@app.command("add-feed")
def add_feed_command(url: str) -> None:
    """Subscribe to an RSS, Atom or JSON Feed."""
    from storyline.collect import add_feed

    try:
        feed = add_feed(_runtime(), url)
    except StorylineError as exc:
        _fail(str(exc))
    console.print(f"feed {feed.id}: {feed.url}")


@app.command("import-opml")
def import_opml_command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Subscribe to every feed of an OPML file."""
    from storyline.collect import import_opml

    try:
        added = import_opml(_runtime(), file.read_bytes())
    except StorylineError as exc:
        _fail(str(exc))
    console.print(f"{len(added)} feeds subscribed")


@app.command()
def poll() -> None:
    """Poll every feed that is due, once."""
    from storyline.collect import poll_due

    runtime = _runtime()
    report = poll_due(runtime, on_feed=lambda url: console.print(f"polled {url}"))
    for url, error in report.failed_feeds:
        console.print(f"[yellow]{url}: {error}[/yellow]")
    console.print(f"{report.feeds} feeds polled, {report.articles.imported} new articles")


@app.command("backlog")
def backlog_command() -> None:
    """Enrich every article still waiting for its enrichment (placed first by the poller), oldest first, and
    analyse the stories they complete; safe to stop and run again."""
    from storyline.backlog import Backlog

    count = Backlog(_runtime()).drain()
    console.print(f"{count} articles enriched")


@app.command()
def fetch(url: str, source: Annotated[Optional[str], typer.Option(help="Outlet name.")] = None) -> None:
    """Fetch, extract and import one page."""
    from storyline.collect import fetch_page

    try:
        report = fetch_page(_runtime(), url, source)
    except StorylineError as exc:
        _fail(str(exc))
    for failure in report.failed:
        _fail(str(failure.error))
    console.print("imported" if report.imported else "already present")


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the whole pipeline in memory (no database) and print what it finds."""
    from storyline.pipeline import analyze_jsonl

    with file.open(encoding="utf-8", errors="replace") as handle:
        result = analyze_jsonl(handle)
    for message in result.pop("errors"):
        console.print(f"[yellow]{message}[/yellow]")
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    for story in result["stories"]:
        console.print(f"[bold]story {story['id']}[/bold]: {len(story['article_ids'])} articles")
        console.print(f"  {story['summary']}")


def _serve(runtime, host: str, port: int, poll_feeds: bool, workers: int = 1) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from storyline.web.app import create_app
    from storyline.web.security import secret_key

    if poll_feeds:
        from storyline import backlog

        threading.Thread(
            target=_poll_forever, args=(runtime, backlog.start(runtime)), daemon=True, name="poller"
        ).start()
    if workers == 1:
        uvicorn.run(create_app(runtime), host=host, port=port, log_level="warning", proxy_headers=False)
        return
    # Worker processes build their own app from the same environment. The schema is already migrated (by
    # ``runtime``), and the session key must exist before they start, or each would generate its own.
    secret_key(runtime.settings)
    config = uvicorn.Config(
        "storyline.web.app:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )
    try:
        listener = tcp_listener(host, port)
    except OSError as exc:
        raise StorylineError(f"serve: cannot listen on {host}:{port}: {exc}") from exc
    Multiprocess(config, sockets=[listener]).run()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The shared socket for ``serve --workers``. uvicorn's own leaves the protocol unset, so asyncio does not
    turn off Nagle's algorithm on accepted connections and every keep-alive answer after the first waits ~40 ms
    for the client's delayed ACK (uvicorn issue 3149). Accepted sockets inherit ``TCP_NODELAY`` from this one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, port))
    listener.set_inheritable(True)
    return listener


def _poll_forever(runtime, backlog) -> None:
    """Polls the due feeds every ``poll_interval_s``, placing new articles first: ``backlog`` enriches them
    while this waits."""
    from storyline.alerts.delivery import deliver_due
    from storyline.collect import poll_due
    from storyline.pipeline import refresh_stale_stories

    while True:
        backlog.poller_busy.set()
        try:
            poll_due(runtime, enrich=False)
            refresh_stale_stories(runtime.sessions)
            deliver_due(runtime)
        except Exception as exc:  # the poller must outlive any single failure; the error is logged
            logs.get_logger("collect").error("poll pass failed", error=repr(exc))
        finally:
            backlog.poller_busy.clear()
        time.sleep(runtime.settings.poll_interval_s)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    poll_feeds: Annotated[bool, typer.Option("--poll/--no-poll", help="Poll feeds in the background.")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes, to use more than one CPU. Rate limits (login, registration, comments, ask) are "
            "counted per process, so each allows up to this many times its limit.",
        ),
    ] = 1,
) -> None:
    """Serve the site and the JSON API."""
    try:
        _serve(_runtime(), host, port, poll_feeds, workers)
    except StorylineError as exc:
        _fail(str(exc))


@app.command()
def run(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """First-run friendly: create the database, import the bundled sample, subscribe to the default feeds,
    poll them in the background and serve the site."""
    from storyline.collect import import_opml

    logs.configure("INFO")
    runtime = _runtime()
    from storyline.store import queries, transaction

    report, _ = import_jsonl(runtime, SAMPLE, show_progress=False)
    refresh_all_stories(runtime, show_progress=False)
    console.print(f"sample: {report.imported} new articles, {report.skipped} already present")

    with transaction(runtime.sessions) as session:
        has_feeds = bool(queries.list_feeds(session))
    if not has_feeds:
        console.print(f"subscribed to {len(import_opml(runtime, DEFAULT_OPML.read_bytes()))} default feeds")
    console.print(f"serving http://{host}:{port}")
    _serve(runtime, host, port, poll_feeds=runtime.settings.poll_on_run)


@app.command("create-admin")
def create_admin(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    api_password: Annotated[bool, API_PASSWORD_OPTION] = False,
) -> None:
    """Create an administrator account (or promote an existing one)."""
    from storyline.web.accounts import create_admin as make_admin

    runtime = _runtime()
    try:
        make_admin(runtime, username, password)
    except StorylineError as exc:
        _fail(str(exc))
    console.print(f"admin {username} ready")
    _print_api_password(runtime, username, api_password)


def _print_api_password(runtime, username: str, wanted: bool) -> None:
    """A new API password for reader apps, alone on the last line (scripts read it from there)."""
    if not wanted:
        return
    from storyline.web.apps.keys import issue_for

    try:
        password = issue_for(runtime, username)
    except StorylineError as exc:
        _fail(str(exc))
    console.print("API password for reader apps (shown once):")
    print(password)


@app.command("create-reader")
def create_reader(
    username: str,
    email: Annotated[Optional[str], typer.Option(help="Where email alerts and digests go.")] = None,
    password: Annotated[
        Optional[str], typer.Option(help="The reader's password; a random one is made and shown when not given.")
    ] = None,
    api_password: Annotated[bool, API_PASSWORD_OPTION] = False,
) -> None:
    """Create a reader account (or, for an existing one, add the email address alerts go to)."""
    from storyline.alerts.setup import create_reader as make_reader

    runtime = _runtime()
    try:
        made = make_reader(runtime, username, email, password)
    except StorylineError as exc:
        _fail(str(exc))
    console.print(f"reader {username} ready" + (f", password: {made}" if made else ""))
    _print_api_password(runtime, username, api_password)


@app.command("follow")
def follow_command(
    username: str,
    page: Annotated[str, typer.Argument(help="A page path: /en/hashtag/SLUG, /en/story/ID, /en/source/SLUG, ...")],
    alert: Annotated[str, typer.Option(help="instant, digest or none.")] = "digest",
) -> None:
    """Make a reader follow a page, and say how its developments alert them."""
    from storyline.alerts.setup import follow_page

    try:
        kind, target = follow_page(_runtime(), username, page, alert)
    except StorylineError as exc:
        _fail(str(exc))
    console.print(f"{username} follows {kind} {target} ({alert})")


@alerts_app.command("send")
def alerts_send() -> None:
    """Send the alerts and digests that are due now (the scheduler of `storyline run` calls the same code)."""
    from storyline.alerts.delivery import deliver_due

    try:
        report = deliver_due(_runtime())
    except StorylineError as exc:
        _fail(str(exc))
    console.print(
        f"alerts: {report.sent_now} instant, {report.held} held for digests, {report.digests} digests; "
        f"{report.delivered} messages sent, {report.failed} failed attempts"
    )


@eval_app.command("extraction")
def eval_extraction(
    html_dir: Annotated[Path, typer.Option(exists=True, file_okay=False)],
    predictions: Annotated[Path, typer.Option()],
    ground_truth: Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False)] = None,
) -> None:
    """Extract every DIR/<id>.html.gz; score against ground truth when given."""
    from storyline.evals import extraction

    with _progress() as progress:
        task = progress.add_task("extract", total=None)
        scores = extraction.run(
            html_dir,
            predictions,
            ground_truth,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    print(json.dumps(scores, indent=2))


@eval_app.command("clustering")
def eval_clustering(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    predictions: Annotated[Path, typer.Option()],
    fmt: Annotated[str, typer.Option("--format")] = "uci",
    limit: Annotated[Optional[int], typer.Option()] = None,
    refine: Annotated[
        bool, typer.Option("--refine/--no-refine", help="Run the periodic merge/split pass as the writer does.")
    ] = True,
    squeeze: Annotated[
        float, typer.Option(min=1.0, help="Move the stories' start times this many times closer together.")
    ] = 1.0,
    dates_only: Annotated[
        bool, typer.Option("--dates-only", help="Stamp every article at midnight of its day, as date-only sources do.")
    ] = False,
    arrival_lag: Annotated[
        float,
        typer.Option(
            min=0.0, help="jsonl: each article arrives 0 to this many hours late (seeded), read in arrival order."
        ),
    ] = 0.0,
    restarts: Annotated[
        int,
        typer.Option(min=0, help="jsonl: import in this many more runs, each rebuilding the engine from the database."),
    ] = 0,
    place_first: Annotated[
        bool,
        typer.Option("--place-first", help="jsonl: place each batch once embedded, enrich after, as the poller does."),
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, help="jsonl: lines a batch (the import's 64; a feed's poll brings a few).")
    ] = 64,
) -> None:
    """Replay a labelled headline set through the online story engine; print B-cubed scores."""
    from storyline.evals import clustering
    from storyline.stories.refine import RefineConfig

    with _progress() as progress:
        task = progress.add_task("cluster", total=None)
        try:
            scores = clustering.run(
                file,
                predictions,
                fmt=fmt,
                limit=limit,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                refine=RefineConfig() if refine else None,
                squeeze=squeeze,
                dates_only=dates_only,
                user_path=clustering.UserPath(arrival_lag, restarts, place_first, batch),
            )
        except StorylineError as exc:  # an unreadable gold file, an option the format does not take
            _fail(str(exc))
    print(json.dumps(scores, indent=2))


@i18n_app.command("update")
def i18n_update() -> None:
    """Extract every marked message into messages.pot and merge it into each language's .po; print how many
    messages each language still lacks (translate them before shipping)."""
    from storyline.i18n import catalogue

    missing = catalogue.update()
    console.print(f"wrote {catalogue.TEMPLATE}")
    for locale, count in missing.items():
        console.print(f"{locale}: {count} message(s) to translate in {catalogue.po_path(locale)}")


@eval_app.command("langid")
def eval_langid(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Language identification from the text alone against a file's gold ``language``; print the accuracy."""
    from storyline.enrich import langid

    _print_scores(lambda: langid.evaluate(file))


@eval_app.command("summary")
def eval_summary(
    data_dir: Annotated[Path, BBC_DIR_OPTION],
    predictions: Annotated[Path, typer.Option()],
) -> None:
    """Summaries and sections on the BBC layout; print ROUGE, the length-matched lead baseline and accuracy."""
    from storyline.evals import summary

    with _progress() as progress:
        task = progress.add_task("summarise", total=None)
        scores = summary.run(
            data_dir, predictions, progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    print(json.dumps(scores, indent=2))


@eval_app.command("figures")
def eval_figures(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)] = FIGURE_PAIRS,
) -> None:
    """Labelled figure pairs through the product's extraction and ``relation``; print precision and recall of
    the Disagreement label and accuracy over agree / disagree / different, for each split."""
    from storyline.evals import figures

    _print_scores(lambda: figures.run(file))


@eval_app.command("ask")
def eval_ask(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)] = ASK_GOLD,
    bbc_dir: Annotated[Path, BBC_DIR_OPTION] = BBC_DEV_DIR,
) -> None:
    """Ask gold questions about fixture stories; print the share whose first sentence holds the answer."""
    from storyline.evals import ask

    _print_scores(lambda: ask.run(file, bbc_dir))


@train_app.command("placement")
def train_placement(
    data_dir: Annotated[Path, typer.Option("--data", exists=True, file_okay=False)] = DEV_DATA_DIR,
) -> None:
    """Refit the story placement model on the development sets; print cross-validated pair and B-cubed scores."""
    from storyline.training import placement

    with console.status("reading the sets") as status:
        sets = placement.development_sets(data_dir)
        result = placement.train(sets, progress=lambda message: status.update(message))
    print(json.dumps(result, indent=2))


@train_app.command("sections")
def train_sections(
    data_dir: Annotated[Path, BBC_DIR_OPTION] = BBC_DEV_DIR,
    allsides_dir: Annotated[
        Path,
        typer.Option(
            "--allsides",
            exists=True,
            file_okay=False,
            help="Folder of the AllSides development files, for the bridge that reads other languages.",
        ),
    ] = DEV_DATA_DIR,
) -> None:
    """Refit the section classifier on the BBC layout plus the bundled examples, and its bridge for other
    languages; print cross-validated accuracy and the translations' agreement with their originals."""
    from storyline.training import sections

    with console.status("embedding and fitting"):
        print(json.dumps(sections.train(data_dir, allsides_dir=allsides_dir), indent=2))


@train_app.command("summary")
def train_summary(data_dir: Annotated[Path, BBC_DIR_OPTION] = BBC_DEV_DIR) -> None:
    """Refit the summary sentence scorer on the BBC references; print cross-validated ROUGE-2 against the lead."""
    from storyline.training import summary

    with console.status("splitting and fitting"):
        print(json.dumps(summary.train(data_dir), indent=2))


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated: storyline (analysis), stories (the one writer).")] = (
        "storyline"
    ),
    concurrency: Annotated[int, typer.Option(min=1)] = 1,
    beat: Annotated[bool, typer.Option("--beat", help="Also run the feed scheduler (one per deployment).")] = False,
) -> None:
    """Run a Celery worker (needs STORYLINE_BROKER_URL)."""
    from storyline.workers.tasks import run_worker

    try:
        run_worker(_runtime(), [queue.strip() for queue in queues.split(",") if queue.strip()], concurrency, beat)
    except StorylineError as exc:
        _fail(str(exc))


@bench_app.command("ingest")
def bench_ingest(
    data_dir: Annotated[Path, BBC_DIR_OPTION] = BBC_DEV_DIR,
    count: Annotated[int, typer.Option(min=1)] = 3000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Whole-pipeline import speed against the embedding model's own speed on the same texts."""
    from storyline.evals import bench

    with _progress() as progress:
        task = progress.add_task("ingest", total=count)
        result = bench.bench_ingest(data_dir, count, lambda done, total: progress.update(task, completed=done))
    _print_result(result, as_json)


@bench_app.command("web")
def bench_web(
    database: Annotated[Path, typer.Option(help="SQLite file, generated on first use and reused.")] = Path(
        "data/bench-web.db"
    ),
    articles: Annotated[int, typer.Option(min=1)] = 100_000,
    connections: Annotated[int, typer.Option(min=1)] = 50,
    seconds: Annotated[float, typer.Option(min=1)] = 20.0,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (storyline serve --workers).")] = 1,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Article pages against a bare endpoint of the same server, under concurrent load."""
    from storyline.evals import bench

    with _progress() as progress:
        task = progress.add_task("generate", total=articles)
        result = bench.bench_web(
            database,
            articles,
            connections,
            seconds,
            workers,
            lambda done, total: progress.update(task, completed=done),
        )
    _print_result(result, as_json)


@bench_app.command("reader")
def bench_reader(
    database: Annotated[Path, typer.Option(help="SQLite file, generated on first use and reused.")] = Path(
        "data/bench-reader.db"
    ),
    articles: Annotated[int, typer.Option(min=1)] = 1_000_000,
    follows: Annotated[int, typer.Option(min=1)] = 50,
    reads: Annotated[int, typer.Option(min=0, help="Articles the reader has read.")] = 100_000,
    requests: Annotated[int, typer.Option(min=1, help="Requests a page.")] = 200,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A signed-in reader's For you page, a follow's page and mark all read, one request at a time (p50, p99)."""
    from storyline.evals import reader

    with _progress() as progress:
        task = progress.add_task("generate", total=articles)
        result = reader.bench_reader(
            database, articles, follows, reads, requests, lambda done, total: progress.update(task, completed=done)
        )
    _print_result(result, as_json)


@bench_app.command("clustering")
def bench_clustering(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Story-engine placement speed at 10k and 100k articles (dev rows replayed with shifted timestamps)."""
    from storyline.evals import clustering

    with _progress() as progress:
        task = progress.add_task("replay", total=None)
        result = clustering.throughput(
            file, progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    _print_result(result, as_json)


@bench_app.command("story-analysis")
def bench_story_analysis(
    articles: Annotated[int, typer.Option(min=1)] = 10_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Seconds and peak memory of analysing one story of ARTICLES articles, and its page's time."""
    from storyline.evals import story_analysis

    with _progress() as progress:
        task = progress.add_task("storing the story", total=articles)
        result = story_analysis.bench_story_analysis(
            articles, progress=lambda done, total: progress.update(task, completed=done)
        )
    _print_result(result, as_json)


@bench_app.command("freshness")
def bench_freshness(
    seconds: Annotated[float, typer.Option(min=1, help="How long articles are published.")] = 600.0,
    rate: Annotated[float, typer.Option(min=0.01, help="Articles published a second.")] = 5.0,
    data: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="AllSides JSON Lines with the gold story.")
    ] = DEV_DATA_DIR / "allsides-dev-week.jsonl",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Seconds from publication to the article in its story's JSON API and to its analysis (p50/p95/p99), while
    ``serve --poll`` polls loopback feeds publishing RATE articles a second; and the enrichment backlog's length."""
    from storyline.evals import freshness

    with _progress() as progress:
        task = progress.add_task("articles analysed", total=None)
        result = freshness.bench_freshness(
            data, seconds, rate, lambda done, total: progress.update(task, completed=done, total=total)
        )
    _print_result(result, as_json)


@bench_app.command("soak")
def bench_soak(
    data_dir: Annotated[
        Path, typer.Option("--data", exists=True, file_okay=False, help="The development data (its README.md).")
    ] = DEV_DATA_DIR,
    limit: Annotated[Optional[int], typer.Option(min=1, help="At most this many articles of each data set.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Real material through import and feed polling on fresh databases: every good item stored once, none lost,
    no tracebacks. Exits 1 when that fails."""
    from storyline.evals import soak

    with _progress() as progress:
        task = progress.add_task("poll feeds", total=None, visible=False)
        result = soak.run(
            data_dir,
            limit,
            show_progress=True,
            progress=lambda done, total: progress.update(task, completed=done, total=total, visible=True),
        )
    if as_json:
        print(json.dumps(result))
    else:
        for line in soak.report_lines(result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if not soak.passed(result):
        raise typer.Exit(code=1)


def _print_result(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        console.print(f"{key}: {value}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover - ``python -m storyline.cli``
    main()
