"""`stocksync export`: a topic's messages, decoded, into an Avro, Parquet or CSV file; and
`stocksync publish` of an Avro export of stock-events (the way back)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

import click

from stocksync.cli_http import settings_of
from stocksync.projections.query_errors import QueryError
from stocksync.projections.time_ranges import TimeRange, time_range_from_query
from stocksync.settings import Settings


@click.command("export")
@click.argument("topic")
@click.option("--since", help="From this time on (epoch ms, ISO date or time; a time without "
                              "offset is in STOCKSYNC_TIME_ZONE).")
@click.option("--until", help="Before this time (the same forms; a date includes that day).")
@click.option("--format", "fmt", type=click.Choice(["avro", "parquet", "csv"]), default="avro",
              show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (replaced when the export is complete).")
@click.pass_context
def export(ctx: click.Context, topic: str, since: str | None, until: str | None, fmt: str,
           out: Path) -> None:
    """Export a topic's messages, decoded, to an Avro, Parquet or CSV file.

    TOPIC is a registry name (stock-events, sync-records, push-results, config, ...; see
    `stocksync topics list`). Every message whose timestamp falls in --since/--until is written
    with its partition, offset, timestamp, key and headers: in Avro as an object container file
    with the topic's schemas embedded, in Parquet and CSV with one column per field."""
    from stocksync.exporting.bounded_read import TopicMissing
    from stocksync.exporting.exporter import TopicExport
    from stocksync.exporting.values import NotExportable

    settings = settings_of(ctx)
    window = _window(since, until, settings.time_zone)
    try:
        topic_export = TopicExport(settings, topic, window)
    except NotExportable as exc:
        raise click.UsageError(str(exc)) from exc
    except TopicMissing as exc:
        raise click.ClickException(f"{exc} (stocksync topics create makes it)") from exc
    with topic_export, click.progressbar(
            length=topic_export.total, label=f"exporting {settings.topic(topic)}",
            file=click.get_text_stream("stderr"), show_pos=True, show_eta=True,
            item_show_func=lambda rate: rate) as bar:
        started = time.monotonic()

        def advance(offsets: int) -> None:
            rate = (bar.pos + offsets) / max(time.monotonic() - started, 1e-3)
            bar.update(offsets, f"{rate:,.0f} msg/s")

        try:
            summary = topic_export.write(fmt, out, advance)
        except TimeoutError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {summary.exported} messages of {settings.topic(topic)} to {out} "
               f"({fmt})")
    if summary.undecodable:
        click.echo(f"left out {summary.undecodable} message(s) that do not decode (the fold "
                   f"dead-letters them); the first at {summary.first_undecodable}", err=True)


def _window(since: str | None, until: str | None, zone: str) -> TimeRange:
    given = {name: value for name, value in (("since", since), ("until", until)) if value}
    try:
        return time_range_from_query(given, now_ms=0, tz=zone)  # now_ms serves range= only
    except QueryError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.parameter}") from exc


def publish_avro_export(settings: Settings, file: IO[bytes]) -> None:
    """Publish every message of an Avro export of stock-events to the partition it came from,
    or nothing when a row is bad or the partition counts differ."""
    from stocksync.exporting.reimport import ExportFileError, read_stock_events_export
    from stocksync.publisher import StockEventPublisher
    from stocksync.topic_reader import end_offsets
    from stocksync.topics import STOCK_EVENTS

    try:
        exported = read_stock_events_export(file)
    except ExportFileError as exc:
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(2) from exc
    topic = settings.topic(STOCK_EVENTS.name)
    partitions = len(end_offsets(settings, topic))
    if partitions == 0:
        raise click.ClickException(f"topic {topic} does not exist (stocksync topics create "
                                   "makes it)")
    if partitions != exported.partitions:
        raise click.ClickException(
            f"{topic} has {partitions} partitions and the export's topic had "
            f"{exported.partitions}: each message must go back to its own partition, so "
            f"publish into a topic with {exported.partitions} (STOCKSYNC_PARTITIONS)")
    with StockEventPublisher(settings) as publisher:
        count = publisher.publish_placed(exported.messages)
    click.echo(f"published {count} messages of the export to {topic}, each to the partition "
               "it came from")
