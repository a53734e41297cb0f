"""The consumer the agents run with commits past the offsets it was told hold no record, and
never past offsets faust only guessed empty (faust's own `_new_offset` does the commit math)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from stocksync.streams.faust_consumer import agents_consumer_class

TOPIC_P0 = TP("sync-records", 0)


def consumer_state(cls: type, committed: int) -> Any:
    """The attributes faust's commit math reads, as faust's consumer keeps them."""
    state = SimpleNamespace(_acked=defaultdict(list), _acked_index=defaultdict(set),
                            _gap=defaultdict(IntervalTree),
                            _committed_offset=defaultdict(lambda: None))
    state._committed_offset[TOPIC_P0] = committed
    for name in ("_add_gap", "add_known_gap", "_new_offset"):
        if hasattr(cls, name):
            setattr(state, name, getattr(cls, name).__get__(state))
    return state


def ack(state: Any, *offsets: int) -> None:
    state._acked[TOPIC_P0].extend(offsets)
    state._acked_index[TOPIC_P0].update(offsets)


def commit(state: Any) -> int | None:
    """The offset a commit now would write, recorded as committed (as faust does)."""
    offset = state._new_offset(TOPIC_P0)
    if offset is not None:
        state._committed_offset[TOPIC_P0] = offset
    return offset


def commit_until_still(state: Any) -> int | None:
    """Commit (faust does so every second) until the committed offset stops moving."""
    for _ in range(1_000):
        before = state._committed_offset[TOPIC_P0]
        commit(state)
        if state._committed_offset[TOPIC_P0] == before:
            return before
    raise AssertionError("the committed offset kept moving")


def test_faust_commits_past_offsets_it_only_guessed_empty() -> None:
    """The fault: a message fetched from 513 arrives first after an assignment at 116."""
    state = consumer_state(Consumer, committed=116)
    asyncio.run(state._add_gap(TOPIC_P0, 117, 513))  # what _drain_messages does
    ack(state, *range(116, 131))  # sought back, the agent takes 116-130
    assert 514 == commit_until_still(state)  # 131-513 counted as done: no agent saw them


def test_ours_commits_only_what_was_acknowledged_or_reported_empty() -> None:
    state = consumer_state(agents_consumer_class(Consumer), committed=116)
    asyncio.run(state._add_gap(TOPIC_P0, 117, 513))  # faust's guess: not taken
    ack(state, *range(116, 118))
    assert 118 == commit_until_still(state)
    # A hole at the next offset (a compacted key, a transaction marker), reported by
    # InSequence before the message after it is acknowledged: commits step over it.
    asyncio.run(state.add_known_gap(TOPIC_P0, 118, 121))
    ack(state, 121, 122)
    assert 123 == commit_until_still(state)


def test_a_hole_at_the_committed_offset_itself_does_not_hold_commits_back() -> None:
    state = consumer_state(agents_consumer_class(Consumer), committed=40)
    asyncio.run(state.add_known_gap(TOPIC_P0, 40, 43))
    ack(state, 43)
    assert 44 == commit_until_still(state)


# -- delivery: the callback inline, faust's wait_first only when it has to wait ----------------

class Delivering:
    """What `_deliver` reads of faust's consumer: the callback, the flow's suspend event and
    mode's `wait_first` (the real one, from a mode Service)."""

    def __init__(self, callback: Any) -> None:
        from mode import Service

        self.callback = callback
        self.suspend_flow = asyncio.Event()
        self.wait_first = Service().wait_first
        cls = agents_consumer_class(Consumer)
        self.deliver = cls._deliver.__get__(self)


def test_a_callback_that_need_not_wait_is_run_inline() -> None:
    delivered: list[int] = []

    async def callback(message: int) -> None:
        delivered.append(message)

    async def main() -> int:
        consumer = Delivering(callback)
        created = 0

        def counting_factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            nonlocal created
            created += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        asyncio.get_running_loop().set_task_factory(counting_factory)
        for n in range(3):
            await consumer.deliver(n)
        return created

    assert 0 == asyncio.run(main())
    assert [0, 1, 2] == delivered


def test_a_callback_that_waits_for_room_is_finished_once_there_is_room() -> None:
    async def main() -> list[int]:
        buffer: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        consumer = Delivering(buffer.put)
        await consumer.deliver(1)
        delivering = asyncio.create_task(consumer.deliver(2))  # the buffer is full: it waits
        await asyncio.sleep(0.05)
        assert not delivering.done()
        taken = [await buffer.get()]
        await asyncio.wait_for(delivering, 1)
        return taken + [await buffer.get()]

    assert [1, 2] == asyncio.run(main())


def test_a_suspended_flow_abandons_a_waiting_callback() -> None:
    """As faust's `wait_first` did: the message is not put once the flow is suspended (the
    group delivers it again after the rebalance)."""
    async def main() -> tuple[list[int], int]:
        buffer: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        consumer = Delivering(buffer.put)
        await consumer.deliver(1)
        delivering = asyncio.create_task(consumer.deliver(2))
        await asyncio.sleep(0.05)
        consumer.suspend_flow.set()
        await asyncio.wait_for(delivering, 1)
        taken = [buffer.get_nowait()]
        await asyncio.sleep(0.05)
        return taken, buffer.qsize() + len(buffer._putters)  # type: ignore[attr-defined]

    assert ([1], 0) == asyncio.run(main())


def test_a_failing_callback_raises_to_the_fetcher() -> None:
    async def callback(message: int) -> None:
        if message:
            await asyncio.sleep(0.01)
            raise ValueError("on its way")
        raise KeyError("at once")

    async def main() -> list[str]:
        consumer = Delivering(callback)
        errors = []
        for message in (0, 1):
            try:
                await consumer.deliver(message)
            except (KeyError, ValueError) as exc:
                errors.append(type(exc).__name__)
        return errors

    assert ["KeyError", "ValueError"] == asyncio.run(main())


def test_a_fetch_from_before_a_seek_is_dropped_and_the_sought_messages_delivered() -> None:
    """InSequence seeks a partition back to 5 while 20 is delivered; the rest of the fetch made
    before (21) must not be delivered, nor may 20 set faust's read offset, or it would pass 5
    and faust would drop 5 and 6 when they come as old messages."""
    cls = agents_consumer_class(Consumer)
    tp = TP("stock-events", 0)
    delivered: list[int] = []

    async def main() -> None:
        consumer = cls.__new__(cls)
        fetches = [[19, 20, 21], [5, 6]]

        async def getmany(timeout: float) -> Any:
            for offset in fetches.pop(0) if fetches else []:
                yield tp, SimpleNamespace(offset=offset, tp=tp)
            if not fetches:
                consumer._stopped.set()

        async def callback(message: Any) -> None:
            delivered.append(message.offset)
            if message.offset == 20:  # the agent sees a gap: back to 5
                await cls.seek(consumer, tp, 5)

        async def no_sleep(seconds: float) -> None:
            await asyncio.sleep(0)

        async def no_thread_seek(partition: Any, offset: int) -> None:
            pass

        consumer.__dict__.update(
            getmany=getmany, callback=callback, sleep=no_sleep, _seek=no_thread_seek,
            log=SimpleNamespace(dev=lambda *args: None),
            _stopped=asyncio.Event(), _crashed=asyncio.Event(),
            _read_offset=defaultdict(lambda: None),
            diag=SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None),
            _commit_every=None, suspend_flow=asyncio.Event(),
            transport=SimpleNamespace(app=faust_app()))
        fetcher = SimpleNamespace(_stopped=asyncio.Event())
        await asyncio.wait_for(consumer._drain_messages(fetcher), 5)

    asyncio.run(main())
    assert [19, 20, 5, 6] == delivered


# -- standby replicas: their changelog records go straight to the recovery's buffers ----------

class ChangelogTable:
    """What the drain reads of a faust table: its buffer size, its callback, its batch write."""

    def __init__(self, standby_buffer_size: int) -> None:
        self.standby_buffer_size = standby_buffer_size
        self._on_changelog_event = None
        self.written: list[list[tuple[Any, int, bytes]]] = []

    def apply_changelog_batch(self, batch: list[Any]) -> None:
        self.written.append([(e.message.tp, e.message.offset, e.value) for e in batch])


def faust_app(**recovery: Any) -> Any:
    """The parts of a faust app the drain reads: the table recovery's sets and buffers (faust's
    `Recovery` keeps them), the flow control, the rebalancing flag."""
    state = SimpleNamespace(standby_tps=set(), active_tps=set(), tp_to_table={},
                            standby_offsets={}, buffers=defaultdict(list))
    state.__dict__.update(recovery)
    flow = asyncio.Event()
    flow.set()
    return SimpleNamespace(should_stop=False, rebalancing=False,
                           tables=SimpleNamespace(recovery=state),
                           flow_control=SimpleNamespace(is_active=flow.is_set, flow=flow))


def drained(app: Any, fetches: list[list[Any]]) -> list[tuple[Any, int]]:
    """Run the drain over `fetches` (lists of messages); what reached faust's callback."""
    cls = agents_consumer_class(Consumer)
    delivered: list[tuple[Any, int]] = []

    async def main() -> None:
        consumer = cls.__new__(cls)
        pending = list(fetches)

        async def getmany(timeout: float) -> Any:
            for message in pending.pop(0) if pending else []:
                yield message.tp, message
            if not pending:
                consumer._stopped.set()

        async def callback(message: Any) -> None:
            delivered.append((message.tp, message.offset))

        async def no_sleep(seconds: float) -> None:
            await asyncio.sleep(0)

        consumer.__dict__.update(
            getmany=getmany, callback=callback, sleep=no_sleep,
            _stopped=asyncio.Event(), _crashed=asyncio.Event(),
            _read_offset=defaultdict(lambda: None),
            diag=SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None),
            _commit_every=None, suspend_flow=asyncio.Event(), transport=SimpleNamespace(app=app))
        await asyncio.wait_for(consumer._drain_messages(SimpleNamespace(
            _stopped=asyncio.Event())), 5)

    asyncio.run(main())
    return delivered


def records(tp: TP, *offsets: int) -> list[Any]:
    return [SimpleNamespace(tp=tp, offset=o, key=b"k%d" % o, value=b"v%d" % o) for o in offsets]


STANDBY = TP("app-stock-changelog", 1)
ACTIVE = TP("app-stock-changelog", 0)
EVENTS = TP("stock-events", 0)


def test_standby_records_fill_the_tables_buffer_and_a_full_one_is_written() -> None:
    table = ChangelogTable(standby_buffer_size=3)
    app = faust_app(standby_tps={STANDBY}, active_tps={ACTIVE},
                    tp_to_table={STANDBY: table, ACTIVE: table})
    delivered = drained(app, [records(STANDBY, 10, 11) + records(EVENTS, 0),
                              records(STANDBY, 12, 13) + records(ACTIVE, 4)])
    assert [(EVENTS, 0), (ACTIVE, 4)] == delivered  # faust's way: the agents', an active's
    assert [[(STANDBY, 10, b"v10"), (STANDBY, 11, b"v11"), (STANDBY, 12, b"v12")]] == table.written
    recovery = app.tables.recovery
    assert [13] == [e.message.offset for e in recovery.buffers[table]]  # until it fills
    assert {STANDBY: 13} == recovery.standby_offsets


def test_a_standby_record_at_or_below_the_last_one_is_not_applied_again() -> None:
    table = ChangelogTable(standby_buffer_size=2)
    app = faust_app(standby_tps={STANDBY}, tp_to_table={STANDBY: table},
                    standby_offsets={STANDBY: 11})
    assert [] == drained(app, [records(STANDBY, 10, 11, 12, 13)])
    assert [[(STANDBY, 12, b"v12"), (STANDBY, 13, b"v13")]] == table.written


def test_standby_records_go_faust_s_way_while_its_flow_is_suspended_or_it_rebalances() -> None:
    table = ChangelogTable(standby_buffer_size=1)
    suspended = faust_app(standby_tps={STANDBY}, tp_to_table={STANDBY: table})
    suspended.flow_control.flow.clear()
    rebalancing = faust_app(standby_tps={STANDBY}, tp_to_table={STANDBY: table})
    rebalancing.rebalancing = True
    with_callback = ChangelogTable(standby_buffer_size=1)
    with_callback._on_changelog_event = lambda event: None
    called_back = faust_app(standby_tps={STANDBY}, tp_to_table={STANDBY: with_callback})
    for app in (suspended, rebalancing, called_back):
        assert [(STANDBY, 7)] == drained(app, [records(STANDBY, 7)])
    assert [] == table.written == with_callback.written
