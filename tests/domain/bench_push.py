"""Microseconds per push decision (not a test): `.venv/bin/python -m tests.domain.bench_push`.

One SKU listed in 3 stores (one listing each), one enabled rule summing W1 and W2 at 30 % with a
buffer and a max, pushing to the 3 stores; a mix of orders, sales and stock-ins, 40 ms apart on
the log, so that windows of 1 s hold ~25 records per listing. The events are applied beforehand:
only `records_for_trigger` and `admit_all` (plus `close_all_due`) are timed.
"""

from __future__ import annotations

import random
import time

from stocksync.domain.dedup import admit_all, close_all_due
from stocksync.domain.events import StockEvent
from stocksync.domain.listings import SkuListings
from stocksync.domain.stock import Rejected, SkuStock, apply
from stocksync.domain.sync_records import records_for_trigger

from . import builders as b
from .push_builders import cause, config, rule

STORES = ("S1", "S2", "S3")
CONFIG = config(rule(warehouses=("W1", "W2"), stores=STORES, percent=30, buffer=2, max_qty=500))


def steps(count: int, seed: int = 7) -> list[tuple[StockEvent, SkuStock, SkuStock]]:
    """(event, before, after) for `count` applied events of one SKU."""
    rng = random.Random(seed)
    state = b.applied(*(b.mapping(s, f"apple-{s}") for s in STORES), b.received_manually(10**6))
    out, booked = [], []
    for n in range(count):
        env = {"wh": rng.choice(("W1", "W2")), "at": n * 40}
        roll = rng.random()
        if roll < 0.4:
            booked.append(f"O{n}")
            event: StockEvent = b.new_order(f"O{n}", rng.randint(1, 3), **{**env, "wh": "W1"})
        elif roll < 0.7 and booked:
            event = b.sale(1, order_id=booked.pop(0), **{**env, "wh": "W1"})
        else:
            event = b.received_manually(rng.randint(1, 20), **env)
        after = apply(state, event)
        assert not isinstance(after, Rejected), after
        out.append((event, state, after))
        state = after
    return out


def main(count: int = 20_000) -> None:
    prepared = steps(count)
    listings = SkuListings.empty(b.SKU)
    started = time.perf_counter()
    for offset, (event, before, after) in enumerate(prepared):
        log_time = event.occurred_at
        listings, _ = close_all_due(listings, log_time)
        made = records_for_trigger(
            event, cause(event, offset), log_time, before, after, CONFIG, listings
        )
        listings, _ = admit_all(listings, made)
    elapsed = time.perf_counter() - started
    print(f"records_for_trigger + admit_all (+ close_all_due), 3 listings: "
          f"{elapsed / count * 1e6:.1f} us per event")
    started = time.perf_counter()
    for offset, (event, before, after) in enumerate(prepared):
        records_for_trigger(event, cause(event, offset), 0, before, after, CONFIG, listings)
    elapsed = time.perf_counter() - started
    print(f"records_for_trigger alone: {elapsed / count * 1e6:.1f} us per event")


if __name__ == "__main__":
    main()
