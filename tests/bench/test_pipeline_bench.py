"""The pipeline benchmark, CI-sized: every phase runs against the broker and the report has
every figure. No timing is asserted (performance is the benchmark's job, not a test's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import pipeline
from bench.report import BEGIN, END

pytestmark = pytest.mark.kafka


def test_a_small_run_reports_every_figure(kafka: object, tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nEarlier sections stay.\n")
    pipeline.main(["--skus", "150", "--events", "2000", "--latency-s", "3",
                   "--output", str(output)])
    text = output.read_text()
    assert text.startswith("# Benchmarks\n\nEarlier sections stay.\n")
    section = text[text.index(BEGIN):text.index(END)]
    for row in ("the ceiling", "fold, 1 worker", "without Kafka or faust", "fold, 2 workers", "event → push command",
                "after the window's end", "marketplace updated", "CPU through the paced traffic",
                "the fold worker's batches", "resident memory", "state per SKU", "RocksDB folder"):
        line = next((line for line in section.splitlines() if row in line), None)
        assert line is not None, f"no row for {row!r} in:\n{section}"
        assert re.search(r"\d", line.split("|")[2]), f"no figure in {line!r}"
    assert "records whose push was not found" not in section, section
    assert "bench.pipeline --skus 150" in section

    pipeline.main(["--skus", "150", "--events", "500", "--latency-s", "1", "--skip-two",
                   "--output", str(output)])
    assert 1 == output.read_text().count(BEGIN), "a second run replaces its section"


def test_the_latency_run_alone_prints_its_rows(kafka: object,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pipeline.main(["--skus", "150", "--latency-only", "200", "--latency-s", "2"])
    printed = capsys.readouterr().out
    for row in ("event → push command, at 200 events/s (chosen", "after the window's end",
                "marketplace updated", "the fold worker", "the push application"):
        assert row in printed, printed
