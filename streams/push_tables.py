"""The push agent's two tables, co-partitioned with push-commands: per listing, the last
successful push (`last-pushed`) and the offset of the newest command whose outcome is logged
(`push-progress`).

Both are written through `TableWriter`: changelog first, and awaited. A command is acknowledged
only after its writes are on the broker; faust's own `table[key] = value` only buffers the
changelog send, so a worker killed right after committing a command could lose the write, and a
restore would then take the listing's last push back (every later compare and swap of that
listing failed CONFLICT).
"""

from __future__ import annotations

from typing import Any

from faust.streams import current_event

from stocksync.connectors.last_pushed import LastPush, LastPushed
from stocksync.domain.sync import SyncRecord
from stocksync.streams.fold_io import listing_key
from stocksync.streams.table_options import bytes_table
from stocksync.streams.table_writer import TableWriter


class TableLastPushed(LastPushed):
    """`LastPushed` in the `last-pushed` table (`of_app`). The Pusher reads and puts synchronously, in the
    event context of the command in hand (its partition is the table's); a put waits in memory,
    where reads see it, until `save` makes it durable."""

    def __init__(self, writer: TableWriter) -> None:
        self._writer = writer
        self._unsaved: dict[tuple[int, bytes], bytes] = {}

    @classmethod
    def of_app(cls, app: Any, partitions: int) -> TableLastPushed:
        """On `app`'s `last-pushed` table (the push agent's, or the outcome replay's)."""
        return cls(TableWriter(bytes_table(app, "last-pushed", partitions), app))

    def get(self, store_id: str, store_sku: str) -> LastPush | None:
        slot = (_event_partition(), listing_key(store_id, store_sku))
        raw = self._unsaved.get(slot)
        if raw is None:
            raw = self._writer.get(*slot)
        if raw is None:
            return None
        qty, _, record_id = raw.decode().partition(" ")
        return LastPush(int(qty), record_id)

    def put(self, store_id: str, store_sku: str, push: LastPush) -> None:
        slot = (_event_partition(), listing_key(store_id, store_sku))
        self._unsaved[slot] = f"{push.qty} {push.record_id}".encode()

    @property
    def unsaved(self) -> int:
        return len(self._unsaved)

    async def save(self, partition: int, store_id: str, store_sku: str) -> None:
        """Write the listing's unsaved put, if any, and wait for the broker to have it."""
        slot = (partition, listing_key(store_id, store_sku))
        await self._save({slot: self._unsaved[slot]} if slot in self._unsaved else {})

    async def save_all(self) -> None:
        await self._save(dict(self._unsaved))

    async def _save(self, saving: dict[tuple[int, bytes], bytes]) -> None:
        by_partition: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for (partition, key), value in saving.items():
            by_partition.setdefault(partition, []).append((key, value))
        for partition, items in by_partition.items():
            await self._writer.write(partition, items)
        for slot, value in saving.items():
            if self._unsaved.get(slot) is value:  # not put again meanwhile
                del self._unsaved[slot]

    def forget(self) -> None:
        """Drop unsaved puts: their commands were released, and come again."""
        self._unsaved.clear()


class PushProgress:
    """Per listing, the push-commands offset of the newest command whose outcome is logged."""

    def __init__(self, writer: TableWriter) -> None:
        self._writer = writer

    def get(self, partition: int, record: SyncRecord) -> int | None:
        raw = self._writer.get(partition, listing_key(record.store_id, record.store_sku))
        return None if raw is None else int(raw)

    async def save(self, partition: int, record: SyncRecord, offset: int) -> None:
        handled = self.get(partition, record)
        if handled is None or handled < offset:
            await self._writer.write(
                partition, [(listing_key(record.store_id, record.store_sku),
                             str(offset).encode())])


def _event_partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("the push tables are read and written in a command's event context")
    return int(event.message.partition)
