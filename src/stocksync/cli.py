"""The `stocksync` command. Settings are read once here and handed down."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from stocksync.logs import configure_logging
from stocksync.settings import Settings, SettingsError


def _settings(ctx: click.Context) -> Settings:
    return ctx.ensure_object(dict)["settings"]


@click.group()
@click.option("--bootstrap", envvar="KAFKA_BOOTSTRAP_SERVERS", default=None,
              help="Kafka bootstrap servers (default: the local broker, 127.0.0.1:19092).")
@click.pass_context
def main(ctx: click.Context, bootstrap: str | None) -> None:
    """stocksync: event-sourced multichannel inventory sync on Kafka."""
    try:
        settings = Settings.from_env(kafka_bootstrap_servers=bootstrap)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    configure_logging(settings.log_format, settings.log_level, settings.secrets)
    ctx.ensure_object(dict)["settings"] = settings
    if ctx.invoked_subcommand not in _NO_KAFKA_CLIENT:
        _check_kafka_login(settings)


# Commands that talk only to a worker's API, a local process or nothing.
_NO_KAFKA_CLIENT = frozenset({"kafka", "marketplace", "records", "retry", "sync-logs", "refresh",
                              "demo"})


def _check_kafka_login(settings: Settings) -> None:
    """A wrong password or certificate fails now, clearly, rather than as a bootstrap timeout."""
    from stocksync.kafka_security import KafkaLoginError, check_login

    try:
        check_login(settings)
    except KafkaLoginError as exc:
        raise click.ClickException(str(exc)) from None


# -- the local broker --------------------------------------------------------------------------

@main.group()
def kafka() -> None:
    """Run a local single-node Kafka broker (KRaft) from Maven Central jars."""


def _local_broker(settings: Settings):  # noqa: ANN202 - import kept lazy for CLI start-up time
    from stocksync.local_kafka import LocalBroker

    return LocalBroker.from_bootstrap(settings.home, settings.kafka_bootstrap_servers)


@kafka.command("start")
@click.pass_context
def kafka_start(ctx: click.Context) -> None:
    """Start the broker (fetching its jars with Maven the first time) and wait until it serves."""
    from stocksync.local_kafka import BrokerError

    broker = _local_broker(_settings(ctx))
    try:
        started = broker.start()
    except BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"kafka {'started' if started else 'already running'} at {broker.bootstrap}")


@kafka.command("stop")
@click.pass_context
def kafka_stop(ctx: click.Context) -> None:
    """Stop the local broker."""
    broker = _local_broker(_settings(ctx))
    click.echo("kafka stopped" if broker.stop() else "kafka was not running")


@kafka.command("status")
@click.pass_context
def kafka_status(ctx: click.Context) -> None:
    """Print whether the local broker runs (exit 1 when it does not)."""
    broker = _local_broker(_settings(ctx))
    status = broker.status()
    click.echo(f"kafka {status} at {broker.bootstrap}")
    ctx.exit(0 if status == "running" else 1)


# -- topics ------------------------------------------------------------------------------------

@main.group()
def topics() -> None:
    """The project's topics."""


@topics.command("create")
@click.pass_context
def topics_create(ctx: click.Context) -> None:
    """Create every project topic that is missing (existing ones are checked)."""
    from stocksync.topic_admin import create_topics

    for state in create_topics(_settings(ctx)):
        verb = "created" if state.created else "exists "
        click.echo(f"{verb} {state.name} ({state.partitions} partitions)")


@topics.command("list")
@click.pass_context
def topics_list(ctx: click.Context) -> None:
    """List the registry: every project topic with its key and value format."""
    from stocksync.topics import ALL_TOPICS

    settings = _settings(ctx)
    for spec in ALL_TOPICS:
        click.echo(f"{settings.topic(spec.name)}\n  key:   {spec.key}\n  value: {spec.value}")
        for name, value in spec.config_for(settings).items():
            click.echo(f"  {name}={value}")


# -- publishing --------------------------------------------------------------------------------

@main.command()
@click.argument("file", type=click.File("rb"))
@click.pass_context
def publish(ctx: click.Context, file: click.utils.LazyFile) -> None:
    """Publish stock events from a JSON-lines FILE (- for stdin), or an Avro export of
    stock-events (`stocksync export stock-events`) to the partitions it came from. Nothing is
    sent unless every line or row is valid."""
    import io

    from stocksync.cli_export import publish_avro_export
    from stocksync.event_json import EventFileError, read_event_lines
    from stocksync.exporting.reimport import is_avro_file
    from stocksync.publisher import StockEventPublisher

    content = io.BytesIO(file.read())
    if is_avro_file(content.getvalue()):
        publish_avro_export(_settings(ctx), content)
        return
    try:
        events = read_event_lines(io.TextIOWrapper(content, encoding="utf-8"))
    except EventFileError as exc:
        click.echo(str(exc), err=True)
        ctx.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"neither JSON lines (UTF-8) nor an Avro export: {exc}", err=True)
        ctx.exit(2)
    with StockEventPublisher(_settings(ctx)) as publisher:
        count = publisher.publish(events)
    click.echo(f"published {count} events to {_settings(ctx).topic('stock-events')}")


# -- the worker --------------------------------------------------------------------------------

@main.command()
@click.option("--web-port", type=int, default=None, envvar="STOCKSYNC_WEB_PORT",
              help="HTTP port (default 6066).")
@click.option("--web-host", default=None, help="HTTP bind address (default 127.0.0.1).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where this worker keeps its RocksDB state.")
@click.pass_context
def worker(ctx: click.Context, web_port: int | None, web_host: str | None,
           data_dir: Path | None) -> None:
    """Run a stream-processing worker: folds stock events and serves HTTP."""
    from stocksync.worker import run_worker

    settings = _settings(ctx).with_overrides(web_port=web_port, web_host=web_host,
                                             data_dir=data_dir.resolve() if data_dir else None)
    run_worker(settings)


# -- queries -----------------------------------------------------------------------------------

@main.command()
@click.argument("sku")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--url", default=None, help="A worker's base URL (default: this settings' worker).")
@click.option("--as-of", help="The stock as it was at this instant, folded from the log (no "
                              "worker needed): epoch ms, ISO time or date (STOCKSYNC_TIME_ZONE).")
@click.pass_context
def stock(ctx: click.Context, sku: str, as_json: bool, url: str | None,
          as_of: str | None) -> None:
    """Print a merchant SKU's stock per warehouse and in total."""
    from stocksync.client import WorkerClient, WorkerError
    from stocksync.render import render_stock

    if as_of is not None:
        view = _stock_as_of(_settings(ctx), sku, as_of)
    else:
        client = WorkerClient(url or _settings(ctx).web_url,
                              token=os.environ.get("STOCKSYNC_API_TOKEN"))
        try:
            view = client.stock(sku)
        except WorkerError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(view, indent=2) if as_json else render_stock(view))


def _stock_as_of(settings: Settings, sku: str, as_of: str) -> dict:
    from stocksync.cli_whatif import reading_the_log
    from stocksync.projections.query_errors import QueryError
    from stocksync.stock_as_of import parse_as_of, stock_as_of

    try:
        instant = parse_as_of(as_of, settings)
    except QueryError as exc:
        raise click.BadParameter(exc.message, param_hint="--as-of") from None
    with reading_the_log(settings):
        view = stock_as_of(settings, sku, instant)
    if view is None:
        raise click.ClickException(f"unknown merchant SKU {sku!r}: no event of it was logged "
                                   f"by {as_of}")
    return view


@main.command()
@click.option("--port", type=int, default=8089, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--latency", type=float, default=0.005, show_default=True,
              help="Seconds each answer takes.")
@click.option("--rate-limit", type=float, default=10.0, show_default=True,
              help="Requests per second per store before it answers 429.")
def marketplace(port: int, host: str, latency: float, rate_limit: float) -> None:
    """Serve the simulated marketplace (listing quantities per store, 429s, idempotency keys)."""
    import asyncio

    from stocksync.connectors.simulated_marketplace import run_marketplace

    def ready(url: str) -> None:
        click.echo(f"simulated marketplace at {url}", err=True)

    try:
        asyncio.run(run_marketplace(host, port, ready=ready, latency=latency,
                                    rate_limit=rate_limit))
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--sku", "skus", multiple=True, help="A merchant SKU (repeat for several).")
@click.option("--store", "stores", multiple=True, help="A store id (repeat for several).")
@click.option("--url", default=None, help="A worker's base URL (default: this settings' worker).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def refresh(ctx: click.Context, skus: tuple[str, ...], stores: tuple[str, ...], url: str | None,
            as_json: bool) -> None:
    """Push current quantities again: of SKUs (all their listings), of stores, or both."""
    from stocksync.client import WorkerClient, WorkerError

    if not skus and not stores:
        raise click.UsageError("name --sku, --store or both")
    client = WorkerClient(url or _settings(ctx).web_url, token=os.environ.get("STOCKSYNC_API_TOKEN"))
    try:
        answer = client.refresh(list(skus), list(stores))
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(answer, indent=2))
    elif isinstance(answer["queued"], int):
        click.echo(f"queued {answer['queued']} {answer['reason']} events")
    else:
        click.echo(f"queued a refresh of every SKU for "
                   f"{', '.join(answer['store_ids']) or 'every store'} ({answer['control_id']})")


@main.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Start the local broker and a worker, publish a small scenario, print the stock."""
    from stocksync.demo import run_demo

    sys.exit(run_demo(_settings(ctx)))


def _register_groups() -> None:
    from stocksync.cli_config import rules, stores
    from stocksync.cli_export import export
    from stocksync.cli_records import records, retry
    from stocksync.cli_replay import compare, replay
    from stocksync.cli_sync_logs import sync_logs
    from stocksync.cli_whatif import whatif

    main.add_command(stores)
    main.add_command(rules)
    main.add_command(records)
    main.add_command(retry)
    main.add_command(sync_logs)
    main.add_command(export)
    main.add_command(whatif)
    main.add_command(replay)
    main.add_command(compare)


_register_groups()

if __name__ == "__main__":  # pragma: no cover
    main()
