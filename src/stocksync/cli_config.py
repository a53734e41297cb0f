"""`stocksync stores ...` and `stocksync rules ...`: the push configuration from the shell."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from stocksync.config_admin import ConfigError, ConfigWriter, read_config
from stocksync.domain.sync import ConnectorSettings, Rounding, SoldOutPolicy, Store, SyncRule
from stocksync.render import render_table
from stocksync.schemas.push_codec import rule_to_avro, store_to_avro
from stocksync.settings import Settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_root().obj["settings"]


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


# -- stores ------------------------------------------------------------------------------------

@click.group()
def stores() -> None:
    """Connected stores: id, nickname, marketplace and how to reach it."""


def _store_options(fun: Any) -> Any:
    for option in reversed([
        click.option("--nickname"),
        click.option("--marketplace", help="shopee, lazada, tiktok, shopify, etsy, amazon, ..."),
        click.option("--connector", "kind", help="simulated | shopify | shopee | webhook"),
        click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
                     help="A non-secret connector setting, e.g. base_url=http://127.0.0.1:8070"),
        click.option("--secret-ref", help="The connector worker's environment variable that "
                                          "holds the credential (never the credential)."),
        click.option("--rps", type=float, help="Our own request-rate limit for this store."),
    ]):
        fun = option(fun)
    return fun


def _parse_options(options: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{option!r} is not KEY=VALUE", param_hint="--option")
        pairs.append((key, value))
    return tuple(sorted(pairs))


@stores.command("add")
@click.argument("store_id")
@_store_options
@click.pass_context
def stores_add(ctx: click.Context, store_id: str, nickname: str | None, marketplace: str | None,
               kind: str | None, options: tuple[str, ...], secret_ref: str | None,
               rps: float | None) -> None:
    """Add a store."""
    settings = _settings(ctx)
    if store_id in read_config(settings).stores:
        raise click.ClickException(f"store {store_id!r} exists; use `stocksync stores change`")
    if not marketplace:
        raise click.UsageError("--marketplace is required")
    store = Store(store_id=store_id, nickname=nickname or store_id, marketplace=marketplace,
                  connector=ConnectorSettings(kind=kind or "simulated",
                                              options=_parse_options(options),
                                              secret_ref=secret_ref,
                                              requests_per_second=rps or 5.0))
    ConfigWriter(settings).put_store(store)
    click.echo(f"store {store_id} added")


@stores.command("change")
@click.argument("store_id")
@_store_options
@click.pass_context
def stores_change(ctx: click.Context, store_id: str, nickname: str | None,
                  marketplace: str | None, kind: str | None, options: tuple[str, ...],
                  secret_ref: str | None, rps: float | None) -> None:
    """Change the given fields of a store."""
    settings = _settings(ctx)
    store = read_config(settings).stores.get(store_id)
    if store is None:
        raise click.ClickException(f"no store {store_id!r}")
    connector = store.connector
    connector = dataclasses.replace(
        connector,
        kind=kind or connector.kind,
        options=tuple(sorted({**dict(connector.options), **dict(_parse_options(options))}
                             .items())),
        secret_ref=secret_ref if secret_ref is not None else connector.secret_ref,
        requests_per_second=rps if rps is not None else connector.requests_per_second,
    )
    changed = dataclasses.replace(store, nickname=nickname or store.nickname,
                                  marketplace=marketplace or store.marketplace,
                                  connector=connector)
    ConfigWriter(settings).put_store(changed)
    click.echo(f"store {store_id} changed")


@stores.command("remove")
@click.argument("store_id")
@click.pass_context
def stores_remove(ctx: click.Context, store_id: str) -> None:
    """Remove a store (no rule may push to it)."""
    try:
        ConfigWriter(_settings(ctx)).remove_store(store_id)
    except ConfigError as exc:
        raise _fail(exc) from exc
    click.echo(f"store {store_id} removed")


@stores.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stores_list(ctx: click.Context, as_json: bool) -> None:
    """List the stores."""
    found = sorted(read_config(_settings(ctx)).stores.values(), key=lambda s: s.store_id)
    if as_json:
        click.echo(json.dumps([store_to_avro(s) for s in found], indent=2))
        return
    click.echo(render_table(
        ("store", "nickname", "marketplace", "connector", "rps"),
        [(s.store_id, s.nickname, s.marketplace, s.connector.kind,
          s.connector.requests_per_second) for s in found]))


# -- rules -------------------------------------------------------------------------------------

@click.group()
def rules() -> None:
    """Sync rules: which warehouses' stock is pushed to which stores, and how."""


def _rule_options(fun: Any) -> Any:
    for option in reversed([
        click.option("--warehouse", "warehouses", multiple=True, help="Repeat for several."),
        click.option("--store", "store_ids", multiple=True, help="Repeat for several."),
        click.option("--percent", help="x % of the summed available stock (default 100)."),
        click.option("--plus", "plus_units", type=int, help="N units added (default 0)."),
        click.option("--buffer", type=int, help="Units held back (default 0)."),
        click.option("--zero-below", type=int, help="Push 0 when the sum is below this."),
        click.option("--max", "max_qty", type=int, help="Never list more than this."),
        click.option("--rounding", type=click.Choice([r.value for r in Rounding],
                                                     case_sensitive=False)),
        click.option("--enabled/--disabled", default=None),
        click.option("--sold-out-threshold", type=int,
                     help="Below this, every unit goes to --sold-out-store, 0 to the others."),
        click.option("--sold-out-store"),
    ]):
        fun = option(fun)
    return fun


def _rule_fields(**given: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if given["warehouses"]:
        fields["warehouses"] = frozenset(given["warehouses"])
    if given["store_ids"]:
        fields["store_ids"] = frozenset(given["store_ids"])
    if given["percent"] is not None:
        try:
            fields["percent"] = Decimal(given["percent"])
        except InvalidOperation:
            raise click.BadParameter("not a number", param_hint="--percent") from None
    for name in ("plus_units", "buffer", "zero_below", "max_qty", "enabled"):
        if given[name] is not None:
            fields[name] = given[name]
    if given["rounding"]:
        fields["rounding"] = Rounding(given["rounding"].upper())
    if given["sold_out_threshold"] is not None and given["sold_out_store"]:
        fields["sold_out"] = SoldOutPolicy(given["sold_out_threshold"], given["sold_out_store"])
    return fields


@rules.command("add")
@click.argument("name")
@_rule_options
@click.pass_context
def rules_add(ctx: click.Context, name: str, **given: Any) -> None:
    """Add a sync rule."""
    settings = _settings(ctx)
    if name in read_config(settings).rules:
        raise click.ClickException(f"rule {name!r} exists; use `stocksync rules change`")
    fields = _rule_fields(**given)
    rule = SyncRule(name=name, warehouses=fields.pop("warehouses", frozenset()),
                    store_ids=fields.pop("store_ids", frozenset()), **fields)
    try:
        ConfigWriter(settings).put_rule(rule)
    except ConfigError as exc:
        raise _fail(exc) from exc
    click.echo(f"rule {name} added")


@rules.command("change")
@click.argument("name")
@_rule_options
@click.pass_context
def rules_change(ctx: click.Context, name: str, **given: Any) -> None:
    """Change the given fields of a rule (its pushes are re-sent)."""
    settings = _settings(ctx)
    rule = read_config(settings).rules.get(name)
    if rule is None:
        raise click.ClickException(f"no rule {name!r}")
    try:
        ConfigWriter(settings).put_rule(dataclasses.replace(rule, **_rule_fields(**given)))
    except ConfigError as exc:
        raise _fail(exc) from exc
    click.echo(f"rule {name} changed")


@rules.command("remove")
@click.argument("name")
@click.pass_context
def rules_remove(ctx: click.Context, name: str) -> None:
    """Remove a rule."""
    try:
        ConfigWriter(_settings(ctx)).remove_rule(name)
    except ConfigError as exc:
        raise _fail(exc) from exc
    click.echo(f"rule {name} removed")


@rules.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rules_list(ctx: click.Context, as_json: bool) -> None:
    """List the sync rules."""
    found = sorted(read_config(_settings(ctx)).rules.values(), key=lambda r: r.name)
    if as_json:
        click.echo(json.dumps([rule_to_avro(r) for r in found], indent=2))
        return
    click.echo(render_table(
        ("rule", "warehouses", "stores", "percent", "plus", "buffer", "zero<", "max",
         "rounding", "enabled"),
        [(r.name, ",".join(sorted(r.warehouses)), ",".join(sorted(r.store_ids)), r.percent,
          r.plus_units, r.buffer, r.zero_below, r.max_qty if r.max_qty is not None else "-",
          r.rounding.value, "yes" if r.enabled else "no") for r in found]))
