"""Microseconds per `apply` (not a test): `.venv/bin/python -m tests.domain.bench_apply`.

typical: 200 SKUs, 3 warehouses, a mix of order flow (book, ship, cancel, void), stock-ins and
-outs, counts, refreshes, pushes, purchase orders and mappings, one event every 50 ms.
busy SKU: one SKU whose closed orders are pruned continuously while ~N of them are retained.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

from stocksync.domain.events import MappingAction, StockEvent
from stocksync.domain.stock import Rejected, SkuStock, apply

from . import builders as b


def typical_log(count: int, sku_count: int = 200, seed: int = 7) -> list[StockEvent]:
    rng = random.Random(seed)
    booked: dict[str, list[tuple[str, str]]] = {}
    log: list[StockEvent] = []
    for n in range(count):
        sku, wh, at = f"SKU{rng.randrange(sku_count)}", rng.choice(("W1", "W2", "W3")), n * 50
        env = {"sku": sku, "wh": wh, "at": at}
        roll, open_orders = rng.random(), booked.setdefault(sku, [])
        if roll < 0.30:
            open_orders.append((f"O{n}", wh))
            log.append(b.new_order(f"O{n}", rng.randint(1, 3), **env))
        elif roll < 0.55 and open_orders:
            order_id, order_wh = open_orders.pop(0)
            log.append(b.sale(1, order_id=order_id, **{**env, "wh": order_wh}))
        elif roll < 0.60 and open_orders:
            log.append(b.cancelled_order(open_orders.pop()[0], **env))
        elif roll < 0.62 and open_orders:
            log.append(b.voided(open_orders.pop()[0], **env))
        elif roll < 0.72:
            log.append(b.received_manually(rng.randint(5, 20), **env))
        elif roll < 0.77:
            log.append(b.removed_manually(1, **env))
        elif roll < 0.87:
            log.append(b.refresh(**env))
        elif roll < 0.92:
            log.append(b.push_now("S1", **env))
        elif roll < 0.95:
            log.append(b.counted(rng.randint(0, 50), **env))
        elif roll < 0.97:
            log.append(b.po_placed(f"PO{n}", 10, **env))
        elif roll < 0.99:
            log.append(b.purchase_received(5, po_id=f"PO{n - 40}", **env))
        else:
            log.append(b.mapping("S1", f"{sku}-s1", rng.choice(tuple(MappingAction)), **env))
    return log


def busy_sku_log(retained: int, count: int) -> Iterator[StockEvent]:
    """Book then ship one order per two events; closed orders live `retained` orders long."""
    yield b.received_manually(10**9)
    for n in range(count):
        yield b.new_order(f"O{n}", 1, at=n * 10)
        yield b.sale(1, order_id=f"O{n}", at=n * 10 + 5)


def microseconds_per_apply(log: list[StockEvent], retention_ms: int) -> tuple[float, int]:
    states: dict[str, SkuStock] = {}
    rejected = 0
    started = time.perf_counter()
    for event in log:
        state = states.get(event.merchant_sku) or SkuStock.empty(event.merchant_sku)
        outcome = apply(state, event, closed_order_retention_ms=retention_ms)
        if isinstance(outcome, Rejected):
            rejected += 1
        else:
            states[event.merchant_sku] = outcome
    return (time.perf_counter() - started) / len(log) * 1e6, rejected


def main() -> None:
    log = typical_log(200_000)
    for run in range(3):
        us, rejected = microseconds_per_apply(log, b.DAY_MS * 30)
        print(f"typical mix, run {run}: {us:.2f} us/apply ({len(log)} events, {rejected} rejected)")
    for retained in (100, 2_000, 20_000):
        warm_and_measure = list(busy_sku_log(retained, 3 * retained))
        us, _ = microseconds_per_apply(warm_and_measure, retained * 10)
        print(f"busy SKU, ~{retained} closed orders retained: {us:.2f} us/apply")


if __name__ == "__main__":
    main()
