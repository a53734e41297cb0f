"""The slow-marketplace benchmark, CI-sized: a store hangs (or is slow, or answers: the control
run) for half a minute while events flow; the run drains and its section has every figure. No timing is asserted (measuring
is the benchmark's job, not a test's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import slow_marketplace
from bench.slow_marketplace import BEGIN, END

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("mode", ["hang", "slow", "none"])
def test_a_short_stall_reports_every_figure(kafka: object, tmp_path: Path, mode: str) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nEarlier sections stay.\n")
    run = slow_marketplace.main(["--minutes", "0.4", "--rate", "4", "--skus", "6",
                                 "--healthy", "2", "--mode", mode, "--delay-s", "20",
                                 "--output", str(output)])
    text = output.read_text()
    assert text.startswith("# Benchmarks\n\nEarlier sections stay.\n")
    section = text[text.index(BEGIN):text.index(END)]
    for row in ("RSS before", "RSS, peak", "RSS after", "RSS by minute", "events folded",
                "healthy stores", "no outcome", "lanes report", "drain", "outcomes"):
        line = next((line for line in section.splitlines() if row in line), None)
        assert line is not None, f"no row for {row!r} in:\n{section}"
        assert re.search(r"\d", line.split("|")[2]), f"no figure in {line!r}"
    assert f"--mode {mode}" in section
    # While the store was stuck the fold went on and the healthy stores got pushes; the stuck
    # store ended with an outcome for every command (main() waits for that).
    assert run.folded == run.events > 0
    assert run.healthy_pushes > 0
    assert sum(run.outcomes.values()) > 0 and "PENDING" not in run.outcomes
