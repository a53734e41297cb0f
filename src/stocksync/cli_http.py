"""What the CLI's commands against a worker's history API share: the client, the --url/--json
and paging options, errors as CLI errors naming the option, and following cursors."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import click

from stocksync.client import WorkerClient, WorkerError
from stocksync.settings import Settings

Params = dict[str, str | None]


def settings_of(ctx: click.Context) -> Settings:
    return ctx.find_root().obj["settings"]


def worker_client(ctx: click.Context, url: str | None) -> WorkerClient:
    return WorkerClient(url or settings_of(ctx).web_url,
                        token=os.environ.get("STOCKSYNC_API_TOKEN"))


def worker_options(fun: Any) -> Any:
    fun = click.option("--json", "as_json", is_flag=True,
                       help="Print the worker's JSON instead of a table.")(fun)
    return click.option("--url", default=None,
                        help="A worker's base URL (default: this settings' worker).")(fun)


def paging_options(fun: Any) -> Any:
    for option in reversed([
        click.option("--limit", type=click.IntRange(min=1), default=None,
                     help="Items per page (the worker's default: 50, at most 1000)."),
        click.option("--cursor", default=None, help="Continue after a page: its next_cursor."),
        click.option("--all", "follow_all", is_flag=True,
                     help="Every page, following next_cursor to the end."),
    ]):
        fun = option(fun)
    return fun


def listed(values: tuple[str, ...]) -> str | None:
    """A repeatable option as the API's comma-separated list (None when not given)."""
    return ",".join(values) if values else None


def paged(where: Params, limit: int | None, cursor: str | None) -> Params:
    """A filter's parameters with paging's."""
    return {**where, "limit": None if limit is None else str(limit), "cursor": cursor}


def failed(exc: WorkerError, options: Mapping[str, str]) -> click.ClickException:
    """The worker's refusal as a CLI error; a refused query parameter is named as its option."""
    option = options.get(exc.parameter or "")
    return click.ClickException(f"{exc} (option {option})" if option else str(exc))


def call(fetch: Callable[[], dict[str, Any]], options: Mapping[str, str] | None = None
         ) -> dict[str, Any]:
    try:
        return fetch()
    except WorkerError as exc:
        raise failed(exc, options or {}) from exc


def every_page(fetch: Callable[[Params], dict[str, Any]], params: Params, items: str,
               follow_all: bool, options: Mapping[str, str]) -> dict[str, Any]:
    """The answer to `params`; with `follow_all`, every later page's `items` appended, and
    `next_cursor` null at the end."""
    answer = call(lambda: fetch(params), options)
    found, cursor, seen = list(answer[items]), answer["next_cursor"], set()
    while follow_all and cursor is not None:
        if cursor in seen:  # a worker that loops would otherwise never let the command end
            raise click.ClickException(f"the worker served cursor {cursor} twice")
        seen.add(cursor)
        answer = call(lambda: fetch({**params, "cursor": cursor}), options)
        found += answer[items]
        cursor = answer["next_cursor"]
    return {**answer, items: found, "next_cursor": cursor}


def echo_json(answer: Any) -> None:
    click.echo(json.dumps(answer, indent=2))


def echo_answer(answer: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    """The API's JSON with `--json`, else the answer rendered for people."""
    click.echo(json.dumps(answer, indent=2) if as_json else render(answer))


def echo_page(answer: dict[str, Any], items: str, as_json: bool,
              render: Callable[[Any], str]) -> None:
    """A page: its JSON with `--json`, else the table of its `items` and where the next starts."""
    echo_answer(answer, as_json, lambda page: render(page[items]))
    if not as_json:
        echo_more(answer)


def echo_more(answer: dict[str, Any]) -> None:
    """Where the next page starts, on stderr so that the table alone goes to stdout."""
    if answer.get("next_cursor"):
        click.echo(f"more: --cursor {answer['next_cursor']} (or --all)", err=True)
