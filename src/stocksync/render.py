"""Plain-text tables for the CLI."""

from __future__ import annotations

from typing import Any

STOCK_COLUMNS = ("in_stock", "booked", "available", "incoming")


def render_table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [tuple(str(value) for value in row) for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    line = "  ".join("{:<%d}" % w if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    out = [line.format(*headers), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in cells]
    return "\n".join(out)


def render_stock(view: dict[str, Any]) -> str:
    rows = [(wid, *(stock[c] for c in STOCK_COLUMNS)) for wid, stock in view["warehouses"].items()]
    rows.append(("TOTAL", *(view["total"][c] for c in STOCK_COLUMNS)))
    return f"{view['merchant_sku']}\n" + render_table(("warehouse", *STOCK_COLUMNS), rows)
