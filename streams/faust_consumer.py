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
"""

from __future__ import annotations

from typing import Any


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

        async def add_known_gap(self, tp: Any, start: int, end: int) -> None:
            """Offsets [start, end) of `tp` hold no record: commits may step over them. (Not
            faust's `_add_gap`: it starts at the committed offset + 1, so a hole at the
            committed offset itself would hold commits back for ever.)"""
            if start < end:
                gaps = self._gap[tp]
                gaps.addi(start, end)
                gaps.merge_overlaps()

    return AgentsConsumer  # (not renamed: mode registers a service's tasks by its class name)


def use_agents_consumer(app: Any) -> None:
    """Make `app` create its consumer from `agents_consumer_class` (before it starts)."""
    transport = app.transport
    transport.Consumer = agents_consumer_class(transport.Consumer)
