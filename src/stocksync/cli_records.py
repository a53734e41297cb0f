"""`stocksync records ...` and `stocksync retry`: the sync history (PRODUCT.md §3-§4) from the
shell, read from a worker's HTTP API. Times show in STOCKSYNC_TIME_ZONE."""

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
from stocksync.render import (
    render_listing,
    render_record,
    render_recording,
    render_records,
    render_retry,
    render_sku_history,
)

# The API's query parameters and the options that set them, to name an option the worker refused.
OPTIONS = {
    "merchant_sku": "--sku", "store_id": "--store", "store_sku": "--store-sku",
    "marketplace": "--marketplace", "status": "--status", "reason": "--reason",
    "failure_reason": "--failure-reason", "since": "--since", "until": "--until",
    "range": "--range", "limit": "--limit", "cursor": "--cursor",
}


def record_filters(fun: Any) -> Any:
    for option in reversed([
        click.option("--sku", help="A merchant SKU."),
        click.option("--store", help="A store id."),
        click.option("--store-sku", help="A store SKU (the listing's SKU in its store)."),
        click.option("--marketplace", help="shopee, lazada, tiktok, ... (any case)."),
        click.option("--status", "statuses", multiple=True,
                     help="PENDING, SKIPPED, SUCCESSFULLY or FAILED; repeat or comma-separate."),
        click.option("--reason", "reasons", multiple=True,
                     help="A reason symbol or trigger number 1-17; repeat or comma-separate."),
        click.option("--failure-reason", "failure_reasons", multiple=True,
                     help="AUTH_EXPIRED, LISTING_NOT_FOUND, VALIDATION, ...; repeat or "
                          "comma-separate."),
        click.option("--since", help="From: epoch ms, ISO time or date (the worker's zone)."),
        click.option("--until", help="Until (excluded; a date includes its whole day)."),
        click.option("--range", "time_range", type=click.Choice(RANGES, case_sensitive=False),
                     help="Today, this week (from Monday) or this month, in the worker's zone."),
    ]):
        fun = option(fun)
    return fun


def filter_params(sku: str | None, store: str | None, store_sku: str | None,
                  marketplace: str | None, statuses: tuple[str, ...], reasons: tuple[str, ...],
                  failure_reasons: tuple[str, ...], since: str | None, until: str | None,
                  time_range: str | None) -> Params:
    """The `GET /sync-records` parameters of the filter options."""
    return {"merchant_sku": sku, "store_id": store, "store_sku": store_sku,
            "marketplace": marketplace, "status": listed(statuses), "reason": listed(reasons),
            "failure_reason": listed(failure_reasons), "since": since, "until": until,
            "range": time_range.lower() if time_range else None}


@click.group()
def records() -> None:
    """Sync records: every push decision per listing, with its status, from a worker.
    Product, order, customer and refund sync logs: `stocksync sync-logs`."""


@records.command("list")
@record_filters
@paging_options
@worker_options
@click.pass_context
def records_list(ctx: click.Context, limit: int | None, cursor: str | None, follow_all: bool,
                 url: str | None, as_json: bool, **filters: Any) -> None:
    """Sync records, newest first (by the time their trigger reached the log)."""
    client = worker_client(ctx, url)
    answer = every_page(client.sync_records, paged(filter_params(**filters), limit, cursor),
                        "records", follow_all, OPTIONS)
    zone = settings_of(ctx).time_zone
    echo_page(answer, "records", as_json, lambda items: render_records(items, zone))


@records.command("show")
@click.argument("record_id")
@worker_options
@click.pass_context
def records_show(ctx: click.Context, record_id: str, url: str | None, as_json: bool) -> None:
    """One sync record, every field."""
    record = call(lambda: worker_client(ctx, url).sync_record(record_id))
    zone = settings_of(ctx).time_zone
    echo_answer(record, as_json, lambda answer: render_record(answer, zone))


@records.command("skus")
@record_filters
@paging_options
@worker_options
@click.pass_context
def records_skus(ctx: click.Context, limit: int | None, cursor: str | None, follow_all: bool,
                 url: str | None, as_json: bool, **filters: Any) -> None:
    """Sync Recording: each merchant SKU's last sync (qty, time, status); the filters apply to
    that last sync."""
    client = worker_client(ctx, url)
    answer = every_page(client.sync_recording, paged(filter_params(**filters), limit, cursor),
                        "merchant_skus", follow_all, OPTIONS)
    zone = settings_of(ctx).time_zone
    echo_page(answer, "merchant_skus", as_json, lambda items: render_recording(items, zone))


@records.command("sku")
@click.argument("merchant_sku")
@worker_options
@click.pass_context
def records_sku(ctx: click.Context, merchant_sku: str, url: str | None, as_json: bool) -> None:
    """One merchant SKU's last sync and its sync records."""
    row = call(lambda: worker_client(ctx, url).sync_recording_of(merchant_sku))
    zone = settings_of(ctx).time_zone
    echo_answer(row, as_json, lambda answer: render_sku_history(answer, zone))


@records.command("listing")
@click.argument("store_id")
@click.argument("store_sku")
@worker_options
@click.pass_context
def records_listing(ctx: click.Context, store_id: str, store_sku: str, url: str | None,
                    as_json: bool) -> None:
    """Push Record: one store SKU's last push and its latest records, newest first."""
    listing = call(lambda: worker_client(ctx, url).push_records(store_id, store_sku))
    zone = settings_of(ctx).time_zone
    echo_answer(listing, as_json, lambda answer: render_listing(answer, zone))


@click.command()
@click.option("--id", "record_ids", multiple=True,
              help="A FAILED record's id (repeat for several).")
@record_filters
@worker_options
@click.pass_context
def retry(ctx: click.Context, record_ids: tuple[str, ...], url: str | None, as_json: bool,
          **filters: Any) -> None:
    """Re-push the listings of FAILED sync records, by --id or by filter (e.g. --failure-reason
    AUTH_EXPIRED --store S1 --range week; --status FAILED alone: every failed record). Each
    listing gets its current quantity, once however many of its records failed."""
    where = {name: value for name, value in filter_params(**filters).items() if value is not None}
    if record_ids and where:
        raise click.UsageError("give --id or filter options, not both")
    if not record_ids and not where:
        raise click.UsageError("name records with --id, or filter them (e.g. --failure-reason "
                               "AUTH_EXPIRED --range week; --status FAILED for every one)")
    client = worker_client(ctx, url)
    answer = call(lambda: client.retry(list(record_ids)) if record_ids
                  else client.retry(where=where), OPTIONS)
    echo_answer(answer, as_json, render_retry)
