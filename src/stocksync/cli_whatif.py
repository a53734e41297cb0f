"""`stocksync whatif`: the log replayed with another rule set, against what it pushed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from stocksync.render import render_table
from stocksync.settings import Settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_root().obj["settings"]


@contextmanager
def reading_the_log(settings: Settings) -> Iterator[None]:
    """Kafka's failures as a click error naming the cluster."""
    from kafka.errors import KafkaError

    try:
        yield
    except (KafkaError, TimeoutError) as exc:
        raise click.ClickException(f"cannot read the log from "
                                   f"{settings.kafka_bootstrap_servers}: {exc}") from None


@click.command("whatif")
@click.option("--rules", "rules_file", type=click.File("r", encoding="utf-8"), required=True,
              help="JSON list of rules (fields of SyncRule.avsc), or one rule per line.")
@click.option("--since", required=True,
              help="Report pushes of triggers logged from then: epoch ms, ISO time or date.")
@click.option("--until", help="Up to then, excluded (a date includes its whole day); the log "
                              "after it is not read. Default: the log's end now.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def whatif(ctx: click.Context, rules_file: Any, since: str, until: str | None,
           as_json: bool) -> None:
    """Replay stock-events with the rules of FILE in place of the logged ones (stores as
    logged) and report, per listing, how pushes, zero-outs and pushed quantities would have
    differed. Reads the whole log; writes nothing, the live application is not touched."""
    from stocksync.config_admin import read_config
    from stocksync.domain.what_if import what_if
    from stocksync.projections.query_errors import QueryError
    from stocksync.projections.time_ranges import parse_instant
    from stocksync.rules_file import RulesFileError, check_rules, parse_rules
    from stocksync.stock_log import read_stock_log

    settings = _settings(ctx)
    tz = settings.time_zone
    try:
        since_ms = parse_instant(since, tz, "--since")
        until_ms = parse_instant(until, tz, "--until", end_of_day=True) if until else None
    except QueryError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.parameter) from None
    if until_ms is not None and until_ms <= since_ms:
        raise click.BadParameter("must be after --since", param_hint="--until")
    try:
        rules = parse_rules(rules_file.read())
        with reading_the_log(settings):
            stores = read_config(settings).stores
        check_rules(rules, stores)
    except RulesFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--rules") from None
    with reading_the_log(settings):
        log = list(read_stock_log(settings, until_ms=None if until_ms is None else until_ms - 1))
    report = what_if(log, rules, since=since_ms, until=until_ms, window_ms=settings.window_ms)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(render_report(report.as_dict()))


def render_report(report: dict[str, Any]) -> str:
    """The differing listings as a table, then the totals."""
    totals = report["totals"]
    summary = (f"{report['differing']} of {report['listings']} listings differ; pushes "
               f"{_change(totals, 'pushes')}, zero-outs {_change(totals, 'zero_outs')}, "
               f"qty difference {totals['qty_diff_sum']:+d}")
    if not report["rows"]:
        return summary
    table = render_table(
        ("store", "store SKU", "merchant SKU", "pushes", "zero-outs", "last qty",
         "qty diff sum", "mean", "max |diff|"),
        [(row["store_id"], row["store_sku"], row["merchant_sku"], _change(row, "pushes"),
          _change(row, "zero_outs"), _change(row, "last_qty"), f"{row['qty_diff_sum']:+d}",
          "-" if row["qty_diff_mean"] is None else f"{row['qty_diff_mean']:+.1f}",
          row["max_abs_diff"]) for row in report["rows"]],
        "lll" + "r" * 6)
    return f"{table}\n{summary}"


def _change(pair: dict[str, Any], field: str) -> str:
    """actual -> what-if."""
    before, after = pair["actual"][field], pair["what_if"][field]
    return f"{'-' if before is None else before} -> {'-' if after is None else after}"
