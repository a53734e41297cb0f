"""`stocksync replay` and `stocksync compare`: rebuild an application from the log, and check
two applications against each other."""

from __future__ import annotations

import json
import signal
import sys
import time

import click

from stocksync.settings import Settings

# Without a terminal, a progress line every this many seconds (logs, CI).
PLAIN_PROGRESS_EVERY_S = 5.0


def _settings(ctx: click.Context) -> Settings:
    return ctx.ensure_object(dict)["settings"]


class ProgressLine:
    """One line on stderr, rewritten in place on a terminal, printed now and then otherwise."""

    def __init__(self, stream=None) -> None:  # noqa: ANN001 - a text stream
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._printed_at = 0.0
        self._open = False

    def progress(self, progress) -> None:  # noqa: ANN001 - replay_run.Progress
        share = progress.done / progress.total if progress.total else 1.0
        width = 30
        bar = "#" * int(share * width) + "-" * (width - int(share * width))
        left = progress.seconds_left
        text = (f"[{bar}] {progress.done:,}/{progress.total:,} events  {progress.rate:,.0f}/s  "
                f"{_duration(left) + ' left' if left is not None else ''}")
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + text.ljust(100))
            self._open = True
        elif now - self._printed_at >= PLAIN_PROGRESS_EVERY_S or progress.done == progress.total:
            self._stream.write(text + "\n")
            self._printed_at = now
        self._stream.flush()

    def phase(self, text: str) -> None:
        if self._open:
            self._stream.write("\n")
            self._open = False
        self._stream.write(f"replay: {text}\n")
        self._stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


def _until_ms(value: str | None, tz: str) -> int | None:
    from stocksync.projections.time_ranges import QueryError, parse_instant

    if value is None:
        return None
    try:
        if len(value) <= 10 and not value.isdigit():  # a date: the whole of it
            return parse_instant(value, tz, "until", end_of_day=True) - 1
        return parse_instant(value, tz, "until")
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from None


@click.command()
@click.option("--app-id", "app_id", required=True,
              help="The new application's id: its topics, changelogs and consumer group.")
@click.option("--until", default=None,
              help="Fold only what reached the log by then: epoch ms, ISO time or date "
                   "(in STOCKSYNC_TIME_ZONE).")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Replay workers to run (the result does not depend on it).")
@click.option("--timeout", "timeout_s", type=float, default=24 * 3600.0, show_default=True,
              help="Give up after this many seconds.")
@click.pass_context
def replay(ctx: click.Context, app_id: str, until: str | None, workers: int,
           timeout_s: float) -> None:
    """Rebuild every table and projection from the log into application APP_ID, without
    touching the live one; pushes are not sent again: their outcomes come from push-results."""
    from stocksync.replay_run import ReplayError, run_replay

    settings = _settings(ctx)
    # Stopped with SIGTERM, unwind so that the replay's workers are stopped too (they run in
    # sessions of their own and would outlive this process).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    line = ProgressLine()
    try:
        summary = run_replay(settings, app_id, until_ms=_until_ms(until, settings.time_zone),
                             workers=workers, timeout_s=timeout_s, on_progress=line.progress,
                             on_phase=line.phase)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from exc
    line.phase(f"done: {summary.events:,} messages in {summary.seconds:.1f} s")
    click.echo(f"replayed into {summary.app_id}; compare it with:\n"
               f"  stocksync compare --app-id {settings.app_id} --app-id {summary.app_id}")


@click.command()
@click.option("--app-id", "app_ids", multiple=True, required=True,
              help="Give it twice: the two applications to compare.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--limit", type=int, default=20, show_default=True,
              help="Differences shown per section.")
@click.pass_context
def compare(ctx: click.Context, app_ids: tuple[str, ...], as_json: bool, limit: int) -> None:
    """Report every difference in stock, sync records and views between two applications
    (the live one and replays). Exits 1 when they differ."""
    from stocksync.app_compare import UnknownApplication, compare_apps, render

    if len(app_ids) != 2:
        raise click.UsageError("give --app-id exactly twice")
    try:
        comparison = compare_apps(_settings(ctx), *app_ids)
    except UnknownApplication as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(comparison.as_dict(), indent=2))
    else:
        for line in render(comparison, limit):
            click.echo(line)
    ctx.exit(0 if comparison.identical else 1)
