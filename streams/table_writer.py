"""Batch reads and writes of a faust table's own partition, below faust's per-key machinery.

A faust `table[key] = value` builds a FutureMessage, a callback and a buffered changelog send,
writes RocksDB and then rewrites the partition's persisted offset, for every key. The fold writes
a SKU's state and each event id once per batch, tens of thousands of keys a second, and that
per-key path cost more than the fold itself. `TableWriter` keeps faust's contract with the same
pieces: the changelog topic is still the table's truth (recovery and standbys read it as
usual), and the persisted offset still names the last changelog offset the local database holds.

Order of a write: the changelog messages are sent and acknowledged first, then the partition's
RocksDB gets them in one WriteBatch with the new persisted offset. The local database never
holds what the changelog does not, so a crash between the two steps only leaves the database
behind, and recovery replays the changelog from its persisted offset to catch up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import rocksdict
from faust.types import TP

from stocksync.streams.fold_io import Output, send_outputs


FEW_ROWS = 4


class TableWriter:
    """Direct access to the local partitions of one faust table (RocksDB store)."""

    def __init__(self, table: Any, producer_of: Any) -> None:
        self._table = table
        self._producer_of = producer_of  # the app: its producer exists only once it starts

    @property
    def changelog(self) -> str:
        return self._table.changelog_topic.get_topic_name()

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._table.data._db_for_partition(partition).get(key)

    def keys(self, partition: int) -> Iterable[bytes]:
        store = self._table.data
        return store._visible_keys(store._db_for_partition(partition))

    def items_with_prefix(self, partition: int, prefix: bytes) -> Iterable[tuple[bytes, bytes]]:
        """The partition's keys that start with `prefix`, and their values (RocksDB keeps keys
        sorted: the read starts at the prefix and stops after it)."""
        for key, value in self._table.data._db_for_partition(partition).items(from_key=prefix):
            if not key.startswith(prefix):
                return
            yield key, value

    async def write(self, partition: int, items: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Put (value None: delete) `items` into the table's `partition`, changelog first."""
        if not items:
            return
        topic = self.changelog
        # A row or two (the push agent's, a command each, from many lanes at once) joins the
        # partition's open batch: a batch each would wait on the previous one, a round trip each.
        # The fold's writes, a partition's rows of a batch, stay batches of their own.
        batches = await send_outputs(self._producer_of, topic,
                                     [Output(None, key, value, (), partition)
                                      for key, value in items], batch_at_least=FEW_ROWS)
        last = None
        for future, count in batches:
            last = (await future).offset + count - 1
        store = self._table.data
        store._db_for_partition(partition).write(write_batch(items))
        if last is not None:
            store.set_persisted_offset(TP(topic, partition), last)


def write_batch(items: Iterable[tuple[bytes, bytes | None]]) -> rocksdict.WriteBatch:
    """One RocksDB write of `items` (value None: delete the key)."""
    batch = rocksdict.WriteBatch(raw_mode=True)
    for key, value in items:
        if value is None:
            batch.delete(key)
        else:
            batch.put(key, value)
    return batch
