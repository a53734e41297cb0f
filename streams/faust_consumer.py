"""The consumer faust runs the agents with: faust's own guess at empty offsets switched off, and
only committed transactions read.

faust 0.15.3 (`Consumer._drain_messages`) takes a message whose offset is more than one past the
partition's last read offset as proof that the offsets between hold no record (compaction,
transaction markers), and counts them as acknowledged when it commits. After an assignment it
sets that read offset to the group's committed offset, and its fetcher may then hand over a
message fetched from hundreds of offsets further on (a read from before the assignment). The
crash test caught the result: 400 offsets of `sync-records` counted as done, committed after
the next acknowledgement, and 105 listings' Push Record pages missing records after the
following `kill -9`.

Here nothing is assumed: `InSequence` asks the broker which offsets are empty and reports
those (`add_known_gap`), so that a commit steps over real holes only.

faust reads with `isolation_level="read_committed"` only under `exactly_once`; otherwise an
upstream producer's aborted transactions would be folded as if they had happened. The agents'
consumer reads committed records only (without transactions, that is every record).

faust hands every fetched message to the agents through `wait_first(callback(message),
suspend_flow.wait())`: four tasks and an `asyncio.wait` per message, whether or not the callback
has to wait, and a tenth of a busy worker's time. `_drain_messages` here runs the callback
inline; only when it does wait (an agent's buffer full, flow control) does the rest of it go
through `wait_first` as before, so a suspended flow still abandons it. Running inline, the drain
hands over a whole fetch without pausing; messages of a partition `InSequence` sought back in
the meantime are stale and dropped (see `_seeks`), or faust's read offset would pass the sought
one and faust would then drop the sought messages as old (the crash test caught that: stuck).

A standby replica (a table partition this worker keeps warm for another one) reads the other
worker's changelog, several records for every event that worker folds. faust sends each through
the conductor into a queue, and its recovery loop takes them one at a time with
`asyncio.wait_for(queue.get())`, an event-loop turn each: with two workers, keeping its standbys
cost a worker about 70 µs for every event the other one folded (BENCHMARKS.md, fifth round).
The drain hands a standby record straight to the recovery's buffer instead, with faust's own
bookkeeping (`_standby_taker`); only while faust's flow is running and no rebalance is under
way, else it goes faust's way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING


def agents_consumer_class(consumer_class: type) -> type:
    """A subclass of faust's aiokafka consumer class that records only reported gaps and reads
    committed records only."""

    class AgentsConsumer(consumer_class):  # type: ignore[misc, valid-type]
        def _new_consumer_thread(self) -> Any:
            thread = super()._new_consumer_thread()
            create = thread._create_worker_consumer

            def reading_committed(transport: Any) -> Any:
                consumer = create(transport)
                consumer._isolation_level = "read_committed"  # read when it starts
                return consumer

            thread._create_worker_consumer = reading_committed
            return thread

        async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
            """faust's guess (see the module's docstring): not taken."""

        async def _drain_messages(self, fetcher: Any) -> None:
            """faust's `Consumer._drain_messages` (0.15.3), less its gap guess (see the module's
            docstring), delivering each message with `_deliver`."""
            getmany = self.getmany
            consumer_should_stop = self._stopped.is_set
            fetcher_should_stop = fetcher._stopped.is_set
            get_read_offset = self._read_offset.__getitem__
            set_read_offset = self._read_offset.__setitem__
            set_flag, unset_flag = self.diag.set_flag, self.diag.unset_flag
            commit_every = self._commit_every
            seeks = self._seeks
            take_standby = self._standby_taker()
            since_yield = 0
            try:
                while not (consumer_should_stop() or fetcher_should_stop()):
                    set_flag(CONSUMER_FETCHING)
                    batch = getmany(timeout=1.0)
                    await self.sleep(0)
                    if not self.should_stop:
                        fetched: dict[Any, int] | None = None
                        async for tp, message in batch:
                            if fetched is None:  # the seeks made when aiokafka handed these over
                                fetched = dict(seeks)
                            since_yield += 1
                            if since_yield > 100:  # let the loop breathe, as faust does
                                await asyncio.sleep(0)
                                since_yield = 0
                            made = fetched.get(tp, 0)
                            if seeks.get(tp, 0) != made or made % 2:
                                continue  # handed over before a seek of its partition: stale
                            r_offset = get_read_offset(tp)
                            if r_offset is None or message.offset >= r_offset:
                                if commit_every is not None and self._n_acked >= commit_every:
                                    self._n_acked = 0
                                    await self.commit()
                                if not take_standby(tp, message):
                                    await self._deliver(message)
                                if seeks.get(tp, 0) == made:  # else: sought
                                    set_read_offset(tp, message.offset)
                    unset_flag(CONSUMER_FETCHING)
            except self.consumer_stopped_errors:
                if self.transport.app.should_stop:
                    return  # stopping already
                raise
            except asyncio.CancelledError:
                if self.transport.app.should_stop:
                    return
                raise
            finally:
                unset_flag(CONSUMER_FETCHING)

        def _standby_taker(self) -> Callable[[Any, Any], bool]:
            """A function that applies a standby changelog record as faust's recovery loop
            (`Recovery._slurp_changelogs`, 0.15.3) does: a record newer than the partition's
            last goes into the table's buffer, and a full buffer is written to the table's
            store. True when it took the record; False leaves it to faust's way."""
            app = self.transport.app
            recovery = app.tables.recovery
            flowing = app.flow_control.is_active

            def take_standby(tp: Any, message: Any) -> bool:
                if (tp not in recovery.standby_tps or tp in recovery.active_tps
                        or app.rebalancing or not flowing()):
                    return False
                table = recovery.tp_to_table.get(tp)
                if table is None or table._on_changelog_event is not None:
                    return False  # (faust's loop calls that back: none of ours has one)
                offsets = recovery.standby_offsets
                seen = offsets.get(tp)
                if seen is None or message.offset > seen:
                    offsets[tp] = message.offset
                    buffer = recovery.buffers[table]
                    buffer.append(_ChangelogEvent(message))
                    if len(buffer) >= table.standby_buffer_size:
                        table.apply_changelog_batch(buffer)
                        buffer.clear()
                return True

            return take_standby

        @property
        def _seeks(self) -> dict[Any, int]:
            """Seeks made per partition (two counts each), so that the drain drops what
            aiokafka handed over before one."""
            seeks = self.__dict__.get("_seeks_made")
            if seeks is None:
                seeks = self.__dict__["_seeks_made"] = {}
            return seeks

        async def seek(self, partition: Any, offset: int) -> None:
            # Counted before and after: the drain drops a partition's messages that aiokafka
            # handed over before the seek ran, or while it ran (odd count). What aiokafka hands
            # over after it is fresh: a seek on its thread drops what it had fetched before.
            seeks = self._seeks
            seeks[partition] = seeks.get(partition, 0) + 1
            await super().seek(partition, offset)
            seeks[partition] += 1

        async def _seek(self, partition: Any, offset: int) -> None:
            """On the consumer thread, where aiokafka runs (faust calls aiokafka's seek from
            the agents' loop, another thread: aiokafka is not thread-safe)."""
            thread = self._thread
            await thread.call_thread(_seek, thread._ensure_consumer(), partition, offset)

        async def _deliver(self, message: Any) -> None:
            """faust's callback for `message`, run inline until it has to wait."""
            coro = self.callback(message)
            try:
                waiting_on = coro.send(None)
            except StopIteration:
                return  # delivered without waiting: nearly always
            await self.wait_first(finish(coro, waiting_on), self.suspend_flow.wait())

        async def add_known_gap(self, tp: Any, start: int, end: int) -> None:
            """Offsets [start, end) of `tp` hold no record: commits may step over them. (Not
            faust's `_add_gap`: it starts at the committed offset + 1, so a hole at the
            committed offset itself would hold commits back for ever.)"""
            if start < end:
                gaps = self._gap[tp]
                gaps.addi(start, end)
                gaps.merge_overlaps()

    return AgentsConsumer  # (not renamed: mode registers a service's tasks by its class name)


class _ChangelogEvent:
    """What a table's `apply_changelog_batch` reads of a faust event: its message (and, for
    stores other than RocksDB, its key and value)."""

    __slots__ = ("message",)

    def __init__(self, message: Any) -> None:
        self.message = message

    @property
    def key(self) -> Any:
        return self.message.key

    @property
    def value(self) -> Any:
        return self.message.value


async def _seek(consumer: Any, partition: Any, offset: int) -> None:
    consumer.seek(partition, offset)


async def finish(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
    """Drive `coro`, which has run up to its first wait (`waiting_on`, what it yielded), to its
    end, as an asyncio task would: wait for the future it yielded, then resume it (it reads the
    future's result or exception itself). Cancelled, it cancels `coro` where it waits."""
    try:
        while True:
            if waiting_on is None:  # a bare yield (sleep(0)): just let the loop run
                await asyncio.sleep(0)
            else:
                waiting_on._asyncio_future_blocking = False
                await asyncio.wait([waiting_on])
            try:
                waiting_on = coro.send(None)
            except StopIteration:
                return
    except asyncio.CancelledError:
        if getattr(waiting_on, "cancel", None) is not None:
            waiting_on.cancel()
        try:
            coro.throw(asyncio.CancelledError())
        except (asyncio.CancelledError, StopIteration):
            pass
        raise


def use_agents_consumer(app: Any) -> None:
    """Make `app` create its consumer from `agents_consumer_class` (before it starts)."""
    transport = app.transport
    transport.Consumer = agents_consumer_class(transport.Consumer)
