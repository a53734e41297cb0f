"""The push agent's tables: a put is seen at once and durable only once saved."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from stocksync.connectors.last_pushed import LastPush
from stocksync.streams.event_context import event_context
from stocksync.streams.push_tables import PushProgress, TableLastPushed, listing_key
from tests.connectors.helpers import record


class Writer:
    """TableWriter's surface over dicts; a write is acknowledged when `ack` is set."""

    def __init__(self) -> None:
        self.partitions: dict[int, dict[bytes, bytes | None]] = {}
        self.writes: list[tuple[int, list[tuple[bytes, bytes | None]]]] = []
        self.ack = asyncio.Event()
        self.ack.set()

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.partitions.get(partition, {}).get(key)

    async def write(self, partition: int, items: list[tuple[bytes, bytes | None]]) -> None:
        await self.ack.wait()
        self.writes.append((partition, list(items)))
        self.partitions.setdefault(partition, {}).update(items)


class Command:
    """A push command's faust event, as the tables see it (weakly referenced, like faust's)."""

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition, offset=0)


def command_on(partition: int) -> Command:
    return Command(partition)


def test_a_put_is_read_back_at_once_and_written_only_when_saved() -> None:
    async def main() -> None:
        writer = Writer()
        last = TableLastPushed(writer)  # type: ignore[arg-type]
        with event_context(command_on(2)):  # type: ignore[arg-type]
            last.put("S1", "SKU-1", LastPush(5, "R1"))
            assert LastPush(5, "R1") == last.get("S1", "SKU-1")
        assert [] == writer.writes
        await last.save(2, "S1", "SKU-1")
        assert [(2, [(listing_key("S1", "SKU-1"), b"5 R1")])] == writer.writes
        assert 0 == last.unsaved
        with event_context(command_on(2)):  # type: ignore[arg-type]
            assert LastPush(5, "R1") == last.get("S1", "SKU-1")
        with event_context(command_on(1)):  # type: ignore[arg-type]
            assert last.get("S1", "SKU-1") is None  # another partition's store

    asyncio.run(main())


def test_a_put_made_while_saving_stays_unsaved() -> None:
    async def main() -> None:
        writer = Writer()
        writer.ack.clear()
        last = TableLastPushed(writer)  # type: ignore[arg-type]
        with event_context(command_on(0)):  # type: ignore[arg-type]
            last.put("S1", "SKU-1", LastPush(5, "R1"))
        saving = asyncio.create_task(last.save(0, "S1", "SKU-1"))
        await asyncio.sleep(0)
        with event_context(command_on(0)):  # type: ignore[arg-type]
            last.put("S1", "SKU-1", LastPush(4, "R2"))
        writer.ack.set()
        await saving
        assert 1 == last.unsaved
        with event_context(command_on(0)):  # type: ignore[arg-type]
            assert LastPush(4, "R2") == last.get("S1", "SKU-1")
        await last.save_all()
        assert (0, b"4 R2") == (last.unsaved, writer.get(0, listing_key("S1", "SKU-1")))

    asyncio.run(main())


def test_released_puts_are_forgotten() -> None:
    writer = Writer()
    last = TableLastPushed(writer)  # type: ignore[arg-type]
    with event_context(command_on(0)):  # type: ignore[arg-type]
        last.put("S1", "SKU-1", LastPush(5, "R1"))
        last.forget()
        assert last.get("S1", "SKU-1") is None


def test_the_table_is_only_used_for_a_command() -> None:
    with pytest.raises(RuntimeError, match="event context"):
        TableLastPushed(Writer()).get("S1", "SKU-1")  # type: ignore[arg-type]


def test_progress_only_moves_forward() -> None:
    async def main() -> None:
        writer = Writer()
        progress = PushProgress(writer)  # type: ignore[arg-type]
        pending = record("R1")
        assert progress.get(3, pending) is None
        await progress.save(3, pending, 10)
        await progress.save(3, pending, 7)  # an older command's outcome, logged late
        assert (10, 1) == (progress.get(3, pending), len(writer.writes))

    asyncio.run(main())
