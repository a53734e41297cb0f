"""`stocksync sync-logs ...`: the product, order, customer and refund sync logs (PRODUCT.md §3)
from the shell, read from a worker's HTTP API, and their re-sync. Times show in
STOCKSYNC_TIME_ZONE."""

from __future__ import annotations

from typing import Any

import click

from stocksync.cli_http import (
    Params,
    call,
    echo_answer,
    echo_page,
    every_page,
    listed,
    paged,
    paging_options,
    settings_of,
    worker_client,
    worker_options,
)
from stocksync.projections.time_ranges import RANGES
from stocksync.render import render_resync, render_sync_log, render_sync_logs

OPTIONS = {
    "kind": "--kind", "store_id": "--store", "marketplace": "--marketplace",
    "subject_id": "--subject", "status": "--status", "failure_reason": "--failure-reason",
    "since": "--since", "until": "--until", "range": "--range", "limit": "--limit",
    "cursor": "--cursor",
}


def log_filters(fun: Any) -> Any:
    for option in reversed([
        click.option("--kind", "kinds", multiple=True,
                     help="PRODUCT, ORDER, CUSTOMER or REFUND; repeat or comma-separate."),
        click.option("--store", help="A store id."),
        click.option("--marketplace", help="shopee, lazada, tiktok, ... (any case)."),
        click.option("--subject", help="The product SKU, order, customer or refund id."),
        click.option("--status", "statuses", multiple=True,
                     help="PENDING, PROCESSING, SYNCED or FAILED; repeat or comma-separate."),
        click.option("--failure-reason", "failure_reasons", multiple=True,
                     help="VALIDATION, TIMEOUT, ...; repeat or comma-separate."),
        click.option("--since", help="From: epoch ms, ISO time or date (the worker's zone)."),
        click.option("--until", help="Until (excluded; a date includes its whole day)."),
        click.option("--range", "time_range", type=click.Choice(RANGES, case_sensitive=False),
                     help="Today, this week (from Monday) or this month, in the worker's zone."),
    ]):
        fun = option(fun)
    return fun


def log_filter_params(kinds: tuple[str, ...], store: str | None, marketplace: str | None,
                      subject: str | None, statuses: tuple[str, ...],
                      failure_reasons: tuple[str, ...], since: str | None, until: str | None,
                      time_range: str | None) -> Params:
    """The `GET /sync-logs` parameters of the filter options."""
    return {"kind": listed(kinds), "store_id": store, "marketplace": marketplace,
            "subject_id": subject, "status": listed(statuses),
            "failure_reason": listed(failure_reasons), "since": since, "until": until,
            "range": time_range.lower() if time_range else None}


@click.group("sync-logs")
def sync_logs() -> None:
    """Product, order, customer and refund sync logs, from a worker; `resync` retries failed
    ones. Stock pushes: `stocksync records`."""


@sync_logs.command("list")
@log_filters
@paging_options
@worker_options
@click.pass_context
def sync_logs_list(ctx: click.Context, limit: int | None, cursor: str | None, follow_all: bool,
                   url: str | None, as_json: bool, **filters: Any) -> None:
    """Sync log entries, newest first (by the time they reached the log)."""
    answer = every_page(worker_client(ctx, url).sync_logs,
                        paged(log_filter_params(**filters), limit, cursor), "entries",
                        follow_all, OPTIONS)
    zone = settings_of(ctx).time_zone
    echo_page(answer, "entries", as_json, lambda items: render_sync_logs(items, zone))


@sync_logs.command("show")
@click.argument("record_id")
@worker_options
@click.pass_context
def sync_logs_show(ctx: click.Context, record_id: str, url: str | None, as_json: bool) -> None:
    """One sync log entry, every field and detail."""
    entry = call(lambda: worker_client(ctx, url).sync_log(record_id))
    zone = settings_of(ctx).time_zone
    echo_answer(entry, as_json, lambda answer: render_sync_log(answer, zone))


@sync_logs.command("resync")
@click.option("--id", "record_ids", multiple=True,
              help="A FAILED entry's record id (repeat for several).")
@log_filters
@worker_options
@click.pass_context
def sync_logs_resync(ctx: click.Context, record_ids: tuple[str, ...], url: str | None,
                     as_json: bool, **filters: Any) -> None:
    """Sync the subjects of FAILED entries again, by --id or by filter (e.g. --kind ORDER
    --failure-reason TIMEOUT --range today; --status FAILED alone: every failed entry)."""
    where = {name: value for name, value in log_filter_params(**filters).items()
             if value is not None}
    if record_ids and where:
        raise click.UsageError("give --id or filter options, not both")
    if not record_ids and not where:
        raise click.UsageError("name entries with --id, or filter them (e.g. --kind ORDER "
                               "--range today; --status FAILED for every one)")
    client = worker_client(ctx, url)
    answer = call(lambda: client.resync(list(record_ids)) if record_ids
                  else client.resync(where=where), OPTIONS)
    echo_answer(answer, as_json, render_resync)
