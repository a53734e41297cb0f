"""Plain-text tables for the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

STOCK_COLUMNS = ("in_stock", "booked", "available", "incoming")


def render_table(headers: tuple[str, ...], rows: list[tuple[Any, ...]],
                 align: str | None = None) -> str:
    """`align` has one letter per column, `l` or `r`; by default the first column is left-aligned
    and the others right-aligned."""
    cells = [tuple(str(value) for value in row) for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    align = align or "l" + "r" * (len(headers) - 1)
    line = "  ".join("{:<%d}" % w if a == "l" else "{:>%d}" % w for a, w in zip(align, widths))
    out = [line.format(*headers), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in cells]
    return "\n".join(row.rstrip() for row in out)


def render_stock(view: dict[str, Any]) -> str:
    rows = [(wid, *(stock[c] for c in STOCK_COLUMNS)) for wid, stock in view["warehouses"].items()]
    rows.append(("TOTAL", *(view["total"][c] for c in STOCK_COLUMNS)))
    return f"{view['merchant_sku']}\n" + render_table(("warehouse", *STOCK_COLUMNS), rows)


# -- sync history (the API's JSON, PRODUCT.md §3) -----------------------------------------------

RECORD_COLUMNS = ("sync time", "record", "store", "store SKU", "merchant SKU", "warehouse",
                  "before", "movement", "after", "rule", "reason", "status", "failure")
RECORD_ALIGN = "llllllrrrllll"
FAILURE_WIDTH = 48  # the table shows the start of a failure message; `show` prints all of it


def local_time(ms: int | None, tz: str) -> str:
    """Epoch milliseconds as ISO local time in the zone `tz`, to the second, with its offset."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).isoformat(sep=" ", timespec="seconds")


def render_fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """One `name  value` line per pair, values aligned; None shows as `-`."""
    pairs = list(pairs)
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name:<{width}}  {'-' if value is None else value}" for name, value in pairs)


def render_records(records: list[dict[str, Any]], tz: str) -> str:
    if not records:
        return "no sync records"
    return render_table(RECORD_COLUMNS, [_record_row(r, tz) for r in records], RECORD_ALIGN)


def render_record(record: dict[str, Any], tz: str) -> str:
    return render_fields([
        ("record", record["record_id"]),
        ("sync time", local_time(record["sync_time"], tz)),
        ("log time", local_time(record["log_time"], tz)),
        ("marketplace", record["marketplace"]),
        ("store", f"{record['store_nickname']} ({record['store_id']})"),
        ("store SKU", record["store_sku"]),
        ("merchant SKU", record["merchant_sku"]),
        ("title", record["title"]),
        ("warehouse", record["warehouse_id"]),
        ("before sync qty", record["before_qty"]),
        ("movement", _signed(record["movement"])),
        ("after sync qty", record["after_qty"]),
        ("rule", record["rule_name"]),
        ("reason", record["reason"]),
        ("status", record["status"]),
        ("superseded by", record["superseded_by"]),
        ("failure reason", record["failure_code"]),
        ("failure message", record["failure_message"]),
        ("cause", f"event {record['cause_event_id']} at {record['cause_topic']}"
                  f"[{record['cause_partition']}]@{record['cause_offset']}"),
    ])


def render_recording(rows: list[dict[str, Any]], tz: str) -> str:
    """The Sync Recording page: each merchant SKU's latest sync."""
    if not rows:
        return "no synced merchant SKUs"
    return render_table(
        ("merchant SKU", "title", "last sync qty", "last sync time", "status", "store",
         "reason", "failure", "records"),
        [(row["merchant_sku"], row["title"] or "-", row["last_sync_qty"],
          local_time(row["last_sync_time"], tz), row["last_sync_status"],
          row["latest"]["store_nickname"], row["latest"]["reason"], _failure(row["latest"]),
          len(row["sync_record_ids"])) for row in rows],
        "llrlllllr")


def render_sku_history(row: dict[str, Any], tz: str) -> str:
    """One merchant SKU's Sync Recording row, then its records newest first."""
    head = render_fields([
        ("merchant SKU", row["merchant_sku"]), ("title", row["title"]),
        ("last sync qty", row["last_sync_qty"]),
        ("last sync time", local_time(row["last_sync_time"], tz)),
        ("last sync status", row["last_sync_status"]),
    ])
    records = sorted(row["records"], key=lambda r: (r["log_time"], r["record_id"]), reverse=True)
    return f"{head}\n\n{render_records(records, tz)}"


def render_listing(listing: dict[str, Any], tz: str) -> str:
    """The Push Record page of one store SKU: its last push, then its latest records."""
    head = render_fields([
        ("store", listing["store_id"]), ("store SKU", listing["store_sku"]),
        ("last push qty", listing["last_push_qty"]),
        ("last push status", listing["last_push_status"]),
        ("last push time", local_time(listing["last_push_time"], tz)),
    ])
    return f"{head}\n\n{render_records(listing['records'], tz)}"


def render_retry(answer: dict[str, Any]) -> str:
    """What `POST /push-records/retry` queued (one row per listing) and what it refused."""
    listings = [(q["merchant_sku"], listing["store_id"], listing["store_sku"],
                 ",".join(listing["record_ids"]), q["event_id"])
                for q in answer["queued"] for listing in q["listings"]]
    parts = [f"queued {_count(len(answer['queued']), 'push-now event')} for "
             f"{_count(len(listings), 'listing')}"]
    if listings:
        parts.append(render_table(("merchant SKU", "store", "store SKU", "failed records",
                                   "event"), listings, "lllll"))
    return "\n\n".join(parts + _refusals(answer["not_retryable"]))


# -- the other sync logs: products, orders, customers, refunds ------------------------------------

LOG_COLUMNS = ("sync time", "record", "kind", "store", "marketplace", "subject", "status",
               "attempt", "failure", "details")


def render_sync_logs(entries: list[dict[str, Any]], tz: str) -> str:
    if not entries:
        return "no sync log entries"
    return render_table(LOG_COLUMNS, [
        (local_time(e["occurred_at"], tz), e["record_id"], e["kind"], e["store_id"],
         e["marketplace"], e["subject_id"], e["status"], e["attempt"], _failure(e),
         _shortened(_details(e)) or "-") for e in entries], "lllllllrll")


def render_sync_log(entry: dict[str, Any], tz: str) -> str:
    return render_fields([
        ("record", entry["record_id"]), ("kind", entry["kind"]),
        ("subject", entry["subject_id"]), ("store", entry["store_id"]),
        ("marketplace", entry["marketplace"]), ("status", entry["status"]),
        ("attempt", entry["attempt"]),
        ("sync time", local_time(entry["occurred_at"], tz)),
        ("log time", local_time(entry["log_time"], tz)),
        ("failure reason", entry["failure_code"]),
        ("failure message", entry["failure_message"]),
        *sorted((entry.get("details") or {}).items()),
    ])


def render_resync(answer: dict[str, Any]) -> str:
    """What `POST /sync-logs/resync` queued (one row per subject) and what it refused."""
    queued = [(q["kind"], q["store_id"], q["subject_id"], q["attempt"], ",".join(q["record_ids"]),
               q["request_id"]) for q in answer["queued"]]
    parts = [f"queued {_count(len(queued), 're-sync')}"]
    if queued:
        parts.append(render_table(("kind", "store", "subject", "attempt", "failed entries",
                                   "request"), queued, "lllrll"))
    return "\n\n".join(parts + _refusals(answer["not_retryable"]))


def _refusals(refused: list[dict[str, Any]]) -> list[str]:
    if not refused:
        return []
    return [f"not retried: {_count(len(refused), 'record')}", render_table(
        ("record", "refusal", "status", "message"),
        [(n["record_id"], n["refusal"], n.get("status") or "-", n.get("message") or "-")
         for n in refused], "llll")]


def _record_row(r: dict[str, Any], tz: str) -> tuple[Any, ...]:
    return (local_time(r["sync_time"], tz), r["record_id"], r["store_nickname"], r["store_sku"],
            r["merchant_sku"], r["warehouse_id"], r["before_qty"], _signed(r["movement"]),
            r["after_qty"], r["rule_name"], r["reason"], r["status"], _failure(r))


def _failure(item: dict[str, Any]) -> str:
    code, message = item.get("failure_code"), item.get("failure_message")
    if not code:
        return "-"
    return _shortened(f"{code}: {message}" if message else code)


def _details(entry: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted((entry.get("details") or {})
                                                                 .items()))


def _shortened(text: str) -> str:
    return text if len(text) <= FAILURE_WIDTH else text[:FAILURE_WIDTH - 3] + "..."


def _signed(movement: int) -> str:
    return f"{movement:+d}" if movement else "0"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
