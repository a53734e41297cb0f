"""The fold without Kafka or faust: what stocksync's own code costs an event (issue 5).

The pipeline's workload (setup, then the shop's traffic), encoded as the publisher encodes it,
is folded by `StockFold` in-process: batches per partition as the worker takes them, the tables
in RocksDB (one database per table and partition, written by WriteBatch as `TableWriter` does,
without the changelog), and topics that take the outputs and acknowledge them at once. So the
rate is decode + fold + push decision + encoding + RocksDB: the most one worker's main thread
could fold if faust, aiokafka and the broker cost nothing.

    .venv/bin/python -m bench.fold_floor                   # 10,000 SKUs, 100,000 traffic events
    .venv/bin/python -m bench.fold_floor --events 20000 --profile /tmp/fold.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rocksdict

from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import ConfigSnapshot, WindowTick, encode_control
from stocksync.streams.fold_io import partition_of
from stocksync.streams.stock_fold import FoldTopics, StockFold
from stocksync.streams.table_writer import write_batch

from bench.kafka_io import Message, encode
from bench.workload import WorkloadShape, setup_events, stores_and_rules, traffic

PARTITIONS = 6  # the worker's default
BATCH = 1000  # about the mean batch the worker folded in the pipeline runs (681 to 1,247)
START_S = 1_767_225_600.0  # log time of the first message (any fixed time: runs repeat)
LOG_RATE = 10_000  # messages a second of log time: traffic as fast as a worker takes it
TICK_AFTER_S = 10.0  # past any window and grace


class _Table:
    """`TableWriter`'s surface over one RocksDB database per partition, without a changelog."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._dbs: dict[int, rocksdict.Rdict] = {}

    def _db(self, partition: int) -> rocksdict.Rdict:
        db = self._dbs.get(partition)
        if db is None:
            options = rocksdict.Options(raw_mode=True)
            options.create_if_missing(True)
            db = self._dbs[partition] = rocksdict.Rdict(str(self._folder / str(partition)),
                                                       options=options)
        return db

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._db(partition).get(key)

    def keys(self, partition: int) -> Iterable[bytes]:
        return self._db(partition).keys()

    def items_with_prefix(self, partition: int, prefix: bytes) -> Iterable[tuple[bytes, bytes]]:
        for key, value in self._db(partition).items(from_key=prefix):
            if not key.startswith(prefix):
                return
            yield key, value

    async def write(self, partition: int, items: Sequence[tuple[bytes, bytes | None]]) -> None:
        self._db(partition).write(write_batch(items))

    def close(self) -> None:
        for db in self._dbs.values():
            db.close()


class _Topic:
    """Takes outputs and acknowledges them at once; counts them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent = 0

    async def send_many(self, outputs: Sequence[Any]) -> list[asyncio.Future[None]]:
        self.sent += len(outputs)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return [future]

    async def send(self, **_: Any) -> asyncio.Future[None]:
        return (await self.send_many([None]))[0]


@dataclass(frozen=True)
class _Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    timestamp: float  # log append time, seconds


@dataclass(frozen=True)
class _Event:
    message: _Message


def batches(config: bytes, messages: list[Message], start_s: float = START_S
            ) -> list[list[_Event]]:
    """Each partition's log, cut into batches of `BATCH` messages taken in turn, partition
    after partition: the config snapshot first, then the messages (log time advancing as at
    `LOG_RATE` events a second), then a window tick past every window, as the worker's idle
    check writes at the end of a partition's traffic."""
    logs: dict[int, list[_Event]] = {p: [] for p in range(PARTITIONS)}
    for partition, log in logs.items():
        log.append(_Event(_Message("stock-events", partition, 0, b"", config, start_s)))
    for n, (key, value) in enumerate(messages):
        log = logs[partition_of(key, PARTITIONS)]
        log.append(_Event(_Message("stock-events", log[0].message.partition, len(log), key,
                                   value, start_s + n / LOG_RATE)))
    end_s = start_s + len(messages) / LOG_RATE + TICK_AFTER_S
    for partition, log in logs.items():
        tick = encode_control(WindowTick(f"tick-{partition}"))
        log.append(_Event(_Message("stock-events", partition, len(log), b"", tick, end_s)))
    cut = [[log[i:i + BATCH] for i in range(0, len(log), BATCH)] for log in logs.values()]
    return [batch for turn in range(max(map(len, cut))) for part in cut
            if turn < len(part) for batch in [part[turn]]]


async def fold_all(fold: StockFold, taken: list[list[_Event]]) -> None:
    for batch in taken:
        await fold.process(batch)


@dataclass(frozen=True)
class FloorRate:
    events: int
    seconds: float
    records: int  # sync records emitted (SKIPPED and PENDING)
    commands: int

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def measure_floor(shape: WorkloadShape, messages: list[Message],
                  profile_to: str | None = None) -> FloorRate:
    """Fold `messages` (the workload's, encoded) in-process, after the workload's config."""
    stores, rules = stores_and_rules(shape, "http://127.0.0.1:9", 100_000.0)
    config = encode_control(ConfigSnapshot(control_id="config-1", version=1,
                                           stores=tuple(stores), rules=tuple(rules)))
    taken = batches(config, messages)
    topics = {name: _Topic(name) for name in ("dlq", "rejected", "records", "commands", "log")}
    with tempfile.TemporaryDirectory(prefix="fold-floor-") as folder:
        tables = [_Table(Path(folder) / name) for name in ("stock", "event-ids", "orders")]
        fold = StockFold(codec=default_codec(), stock_table=tables[0], event_ids_table=tables[1],
                         orders_table=tables[2], topics=FoldTopics(**topics),
                         partitions=PARTITIONS)
        profile = cProfile.Profile() if profile_to else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        asyncio.run(fold_all(fold, taken))
        if profile:
            profile.disable()
            profile.dump_stats(profile_to)
        seconds = time.perf_counter() - started
        for table in tables:
            table.close()
    counters = fold.counters
    if (counters.dead_lettered or counters.applied + counters.rejected != len(messages)
            or counters.controls_applied != 2 * PARTITIONS):
        raise RuntimeError(f"{len(messages)} events, but the fold counted {counters}")
    return FloorRate(len(messages), seconds, topics["records"].sent, topics["commands"].sent)


def run(args: argparse.Namespace) -> None:
    shape = WorkloadShape(skus=args.skus, seed=args.seed)
    messages = encode(setup_events(shape)) + encode(list(traffic(shape, args.events,
                                                                 start_ms=10**6)))
    floor = measure_floor(shape, messages, args.profile)
    print(f"{floor.events:,} events folded in {floor.seconds:.2f} s: "
          f"{floor.per_second:,.0f} events/s, {floor.seconds / floor.events * 1e6:.1f} us an "
          f"event; {floor.records:,} sync records, {floor.commands:,} push commands")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000,
                        help="traffic events after the setup (mappings, first stock)")
    parser.add_argument("--seed", type=int, default=WorkloadShape.seed)
    parser.add_argument("--profile", help="write a cProfile of the fold to this file")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
