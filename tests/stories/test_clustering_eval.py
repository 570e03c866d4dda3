from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storyline.errors import InputError
from storyline.evals import clustering
from storyline.stories.refine import Merge, RefineConfig, Refinement, Split

START = datetime(2014, 3, 10, 12, tzinfo=timezone.utc)
HEADER = "ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP\n"
ROWS = [
    # written out of time order on purpose: the replay must sort by TIMESTAMP
    '3,"Mt. Gox files for US bankruptcy protection",http://c.invalid/3,Wire C,b,gox,c.invalid,1394470560000\n',
    "1,Bitcoin exchange Mt. Gox seeks US bankruptcy relief,http://a.invalid/1,Wire A,b,gox,a.invalid,1394470500000\n",
    "2,Mt. Gox asks US court for bankruptcy protection,http://b.invalid/2,Wire B,b,gox,b.invalid,1394470530000\n",
    "4,Titanfall review roundup: critics praise the mech shooter,http://d.invalid/4,Games D,t,titan,d.invalid,"
    "1394497200000\n",
    "5,Titanfall reviews are in and critics love it,http://e.invalid/5,Games E,t,titan,e.invalid,1394497260000\n",
]


@pytest.mark.parametrize(
    ("gold", "predicted", "expected"),
    [
        # a alone; b and c together: every item scores 1/2 or 1, so P = R = F1 = 2/3
        ({"a": 1, "b": 1, "c": 2}, {"a": "x", "b": "y", "c": "y"}, (2 / 3, 2 / 3, 2 / 3)),
        ({"a": 1, "b": 1, "c": 2, "d": 2}, {"a": 0, "b": 0, "c": 0, "d": 0}, (0.5, 1.0, 2 / 3)),
        ({"a": 1, "b": 1, "c": 2, "d": 2}, {"a": 0, "b": 1, "c": 2, "d": 3}, (1.0, 0.5, 2 / 3)),
        ({"a": 1, "b": 1, "c": 2}, {"a": 5, "b": 5, "c": 6}, (1.0, 1.0, 1.0)),
    ],
)
def test_bcubed_on_hand_made_examples(gold, predicted, expected):
    scores = clustering.bcubed(gold, predicted)
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx(expected)


def test_read_uci_orders_rows_by_time_and_limits_to_the_earliest(tmp_path):
    path = tmp_path / "headlines.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    assert [row.id for row in clustering.read_uci(path)] == ["1", "2", "3", "4", "5"]
    assert [row.id for row in clustering.read_uci(path, limit=2)] == ["1", "2"]


def test_read_uci_rejects_a_file_without_the_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,title\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns"):
        clustering.read_uci(path)


def test_run_writes_one_prediction_a_row_and_scores_them(tmp_path):
    path, predictions = tmp_path / "headlines.csv", tmp_path / "out" / "clusters.jsonl"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    scores = clustering.run(path, predictions)
    lines = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["1", "2", "3", "4", "5"]
    assert scores["rows"] == 5 and scores["gold_stories"] == 2
    assert scores["predicted_stories"] == len({line["story"] for line in lines})
    assert 0.0 <= scores["f1"] <= 1.0


def test_run_refuses_an_unknown_format(tmp_path):
    with pytest.raises(InputError, match="unknown format"):
        clustering.run(tmp_path / "x.csv", tmp_path / "p.jsonl", fmt="tsv")


def test_run_with_refinement_reports_what_it_changed(tmp_path):
    path, predictions = tmp_path / "headlines.csv", tmp_path / "clusters.jsonl"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    scores = clustering.run(path, predictions, refine=RefineConfig())
    assert set(scores["refinement"]) == {"merges", "splits"}
    assert clustering.run(path, predictions)["refinement"] is None


def headline(row_id: str, story: str, minute: float) -> clustering.LabelledHeadline:
    return clustering.LabelledHeadline(row_id, row_id, "", "Wire", story, START + timedelta(minutes=minute))


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (1.0, [("a1", 0), ("a2", 1), ("b1", 100), ("b2", 102)]),
        # story b starts ten times closer to story a, its second row still two minutes after its first
        (10.0, [("a1", 0), ("a2", 1), ("b1", 10), ("b2", 12)]),
        # squeezed past each other: rows come out in the new time order
        (200.0, [("a1", 0), ("b1", 0.5), ("a2", 1), ("b2", 2.5)]),
    ],
)
def test_squeeze_moves_story_starts_closer_and_keeps_each_story_shape(factor, expected):
    rows = [headline("a1", "a", 0), headline("a2", "a", 1), headline("b1", "b", 100), headline("b2", "b", 102)]
    squeezed = clustering.squeeze_story_starts(rows, factor)
    assert [(row.id, row.published) for row in squeezed] == [
        (key, headline(key, "", m).published) for key, m in expected
    ]


@pytest.mark.parametrize(
    ("refinement", "expected"),
    [
        (Refinement(), {"a": 1, "b": 1, "c": 2, "d": 3}),
        (Refinement(merges=[Merge(1, 2)]), {"a": 1, "b": 1, "c": 1, "d": 3}),
        # a chain ends at the oldest id
        (Refinement(merges=[Merge(2, 3), Merge(1, 2)]), {"a": 1, "b": 1, "c": 1, "d": 1}),
        (Refinement(splits=[Split(1, 4, frozenset({"b"}), "b", START, START)]), {"a": 1, "b": 4, "c": 2, "d": 3}),
        # a split-off part can be merged into a neighbour in the same pass
        (
            Refinement(splits=[Split(1, 4, frozenset({"b"}), "b", START, START)], merges=[Merge(2, 4)]),
            {"a": 1, "b": 2, "c": 2, "d": 3},
        ),
    ],
)
def test_predictions_follow_merges_and_splits_as_the_store_does(refinement, expected):
    predicted = {"a": 1, "b": 1, "c": 2, "d": 3}
    clustering.apply_refinement(predicted, refinement)
    assert predicted == expected


def test_throughput_times_each_fifth_of_the_replay_apart(tmp_path):
    path = tmp_path / "headlines.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    result = clustering.throughput(path, sizes=(23,))["sizes"]["23"]
    segments = result["segments"]
    # 23 replayed rows (the five, four times over and then some) in segments of 23 // 5 = 4, the rest in a sixth
    assert [segment["rows"] for segment in segments] == [4, 4, 4, 4, 4, 3]
    total = sum(segment["place_s"] + segment["refine_s"] for segment in segments)
    assert result["seconds"] == pytest.approx(total, abs=0.05)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2021-05-11T09:44:00+00:00", "2021-05-11T00:00:00+00:00"),
        # the day is the UTC day: 23:30 in New York is the next morning in London
        ("2021-05-11T23:30:00-04:00", "2021-05-12T00:00:00+00:00"),
        # a time without a zone is UTC, as the import reads it
        ("2021-05-11T23:30:00", "2021-05-11T00:00:00+00:00"),
        # a time the import would refuse stays as it is, for the import to refuse
        ("yesterday", "yesterday"),
    ],
)
def test_dates_only_stamps_each_line_at_midnight_of_its_day(tmp_path, published, expected):
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps({"id": "a", "story": "s", "title": "t", "published": published}) + "\n", "utf-8")
    lines, gold = clustering.read_labelled_jsonl(path, dates_only=True)
    assert json.loads(lines[0])["published"] == expected and gold == {"a": "s"}
    assert json.loads(clustering.read_labelled_jsonl(path)[0][0])["published"] == published


NEIGHBOURS = Path(__file__).parent / "testdata" / "neighbours.jsonl"


def _seed_among_neighbours(seed_records: list[dict]) -> list[dict]:
    """The seed story's four reports labelled "seed", and its eleven neighbouring events, one story each."""
    records = [record | {"story": "seed"} for record in seed_records]
    for number, line in enumerate(NEIGHBOURS.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        records.append(record | {"url": f"https://news.example/{number}", "story": f"event-{number}"})
    return records


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _predicted(predictions: Path) -> dict[str, str]:
    return {json.loads(line)["id"]: json.loads(line)["story"] for line in predictions.read_text().splitlines()}


def _partition(stories: dict) -> set[frozenset]:
    groups: dict = {}
    for item, story in stories.items():
        groups.setdefault(story, set()).add(item)
    return {frozenset(group) for group in groups.values()}


def _imported(tmp_path: Path, monkeypatch, *files: Path) -> dict:
    """Each file imported by ``storyline import`` in turn, into one database of its own: the stories stored."""
    from typer.testing import CliRunner

    from storyline import config
    from storyline.cli import app
    from storyline.config import Settings
    from storyline.runtime import Runtime
    from storyline.store import queries, transaction

    database_url = f"sqlite:///{tmp_path / 'imported.db'}"
    monkeypatch.setenv("STORYLINE_DATABASE_URL", database_url)
    for file in files:
        config.get_settings.cache_clear()  # settings an earlier test read must not name another database
        result = CliRunner().invoke(app, ["import", str(file)])
        assert result.exit_code == 0, result.output
    config.get_settings.cache_clear()
    runtime = Runtime.open(Settings(database_url=database_url))
    try:
        with transaction(runtime.sessions) as session:
            return dict(queries.stories_by_external_id(session))
    finally:
        runtime.close()


def _unlabelled(records: list[dict]) -> list[dict]:
    return [{key: value for key, value in record.items() if key != "story"} for record in records]


def test_the_eval_on_the_import_path_makes_the_stories_storyline_import_makes(tmp_path, seed_records, monkeypatch):
    """``eval clustering --format jsonl`` must measure what readers get: the seed story among its eleven
    neighbouring events, labelled, scored by the eval and imported by the command into a database of its own."""
    records = _seed_among_neighbours(seed_records)
    labelled = _write(tmp_path / "labelled.jsonl", records)
    scores = clustering.run(labelled, tmp_path / "predictions.jsonl", fmt="jsonl")
    evaluated = _predicted(tmp_path / "predictions.jsonl")
    imported = _imported(tmp_path, monkeypatch, _write(tmp_path / "plain.jsonl", _unlabelled(records)))

    assert set(imported) == set(evaluated) == {record["id"] for record in records}
    assert _partition(imported) == _partition(evaluated)
    # Every neighbouring event is a story of its own, and the seed's four reports are one. The file is one batch
    # spanning six days: the refinement pass that joins the lead to the other three must run when it falls due
    # in item time, before the seed's stories retire, not once after the batch.
    groups = _partition(evaluated)
    assert {frozenset({record["id"]}) for record in records if record["story"] != "seed"} <= groups
    assert frozenset({"seed-lead", "seed-guardian", "seed-sky", "seed-telegraph"}) in groups
    assert scores["predicted_stories"] == len(groups)


def test_the_eval_with_restarts_makes_the_stories_imports_in_turn_make(tmp_path, seed_records, monkeypatch):
    """``--restarts 1``: the file in two runs, the second rebuilding its engine from the database, as two
    ``storyline import`` commands of its halves do."""
    records = sorted(_seed_among_neighbours(seed_records), key=lambda record: record["published"])
    scores = clustering.run(
        _write(tmp_path / "labelled.jsonl", records),
        tmp_path / "predictions.jsonl",
        fmt="jsonl",
        user_path=clustering.UserPath(restarts=1),
    )
    halves = [
        _write(tmp_path / f"half-{n}.jsonl", _unlabelled(part)) for n, part in enumerate((records[:8], records[8:]))
    ]
    imported = _imported(tmp_path, monkeypatch, *halves)

    assert scores["restarts"] == 1
    assert _partition(imported) == _partition(_predicted(tmp_path / "predictions.jsonl"))


def test_the_eval_placing_first_places_before_it_enriches_as_the_poller_does(tmp_path, seed_records, monkeypatch):
    """``--place-first``: every batch is placed unenriched and the backlog drained after it. Polled in time order
    a few entries at a time, the seed story is still one story among its neighbours (its later reports are read
    for the names the lead's enrichment found). (In one batch spanning the six days, as a feed's first poll could
    bring them, the lead stays apart: the refinement pass falls due before any of them is enriched; README.)"""
    from storyline import backlog, pipeline

    ingested, drained = [], []
    real_ingest, real_drain = pipeline.ingest, backlog.enrich_and_teach

    def ingest(factory, processor, items, report=None, enrich=True):
        ingested.append(enrich)
        return real_ingest(factory, processor, items, report, enrich)

    def enrich_and_teach(runtime):
        drained.append(enriched := real_drain(runtime))
        return enriched

    monkeypatch.setattr(pipeline, "ingest", ingest)
    monkeypatch.setattr(backlog, "enrich_and_teach", enrich_and_teach)
    records = sorted(_seed_among_neighbours(seed_records), key=lambda record: record["published"])
    scores = clustering.run(
        _write(tmp_path / "labelled.jsonl", records),
        tmp_path / "predictions.jsonl",
        fmt="jsonl",
        user_path=clustering.UserPath(place_first=True, batch=4),
    )

    assert ingested == [False] * 4 and sum(map(len, drained)) == len(records) and not drained[-1]
    assert scores["place_first"] is True and scores["f1"] == 1.0


@pytest.mark.parametrize(
    ("minutes", "lag_h", "kept"),
    [
        ([0, 600, 1200, 1800], 6.0, True),  # ten hours apart: six hours of lag cannot swap them
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6.0, False),  # a minute apart: six hours of lag shuffles them
    ],
)
def test_arrival_order_moves_lines_only_as_far_as_the_lag_reaches(minutes, lag_h, kept):
    lines = [
        json.dumps({"id": str(n), "published": (START + timedelta(minutes=m)).isoformat()})
        for n, m in enumerate(minutes)
    ]
    undated = [json.dumps({"id": "undated"}), "not json"]
    arrived = clustering.in_arrival_order(undated + lines, lag_h, seed=0)

    assert arrived[-2:] == undated  # no time to arrive by: last, as undated articles are stamped on arrival
    assert sorted(arrived[:-2]) == sorted(lines)
    assert (arrived[:-2] == lines) is kept
    assert arrived == clustering.in_arrival_order(undated + lines, lag_h, seed=0)  # seeded: the same every run


def test_without_a_lag_lines_arrive_in_the_file_s_order():
    lines = [json.dumps({"id": "undated"}), json.dumps({"id": "b", "published": "2025-06-16T10:00:00Z"}), "not json"]
    assert clustering.in_arrival_order(lines, 0.0, seed=0) == lines


def test_user_paths_need_the_import_format(tmp_path):
    path = tmp_path / "uci.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    with pytest.raises(InputError, match="--format jsonl"):
        clustering.run(path, tmp_path / "p.jsonl", user_path=clustering.UserPath(restarts=2))


def test_the_command_refuses_user_paths_on_headlines_with_the_reason(tmp_path):
    from typer.testing import CliRunner

    from storyline.cli import app

    path = tmp_path / "uci.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    arguments = ["eval", "clustering", str(path), "--predictions", str(tmp_path / "p.jsonl"), "--arrival-lag", "6"]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "use --format jsonl" in " ".join(result.output.split()), result.output
