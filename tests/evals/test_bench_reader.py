"""``storyline bench reader`` on a tiny generated database: it runs, and reports what it promises."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from storyline.cli import app


def test_bench_reader_reports_each_page_p99(tmp_path):
    database = tmp_path / "reader.db"
    args = ["bench", "reader", "--database", str(database), "--articles", "300", "--follows", "12"]
    result = CliRunner().invoke(app, [*args, "--reads", "40", "--requests", "3", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["articles"] == 300 and figures["follows"] == 12 and figures["read_articles"] == 40
    for page in ("for_you", "follow", "mark_all_read"):
        assert figures[f"{page}_p99_ms"] >= figures[f"{page}_p50_ms"] > 0 and figures[f"{page}_cpu_ms"] > 0
