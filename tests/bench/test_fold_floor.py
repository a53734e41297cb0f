"""The in-process fold benchmark, CI-sized: it folds the workload as the worker would take it.
No timing is asserted."""

from __future__ import annotations

from stocksync.schemas.push_codec import is_control

from bench.fold_floor import batches, measure_floor
from bench.kafka_io import encode
from bench.workload import WorkloadShape, setup_events, traffic


def _messages(shape: WorkloadShape, events: int) -> list[tuple[bytes, bytes]]:
    return encode(setup_events(shape)) + encode(list(traffic(shape, events, start_ms=10**6)))


def test_batches_keep_each_partition_in_log_order_between_its_config_and_a_tick() -> None:
    messages = _messages(WorkloadShape(skus=60), 3000)
    taken = batches(b"config", messages)
    seen: dict[int, list[int]] = {}
    for batch in taken:
        assert len({event.message.partition for event in batch}) == 1
        for event in batch:
            seen.setdefault(event.message.partition, []).append(event.message.offset)
    assert all(offsets == list(range(len(offsets))) for offsets in seen.values())
    assert sum(map(len, seen.values())) == len(messages) + 2 * len(seen)
    firsts = [batch[0] for batch in taken if batch[0].message.offset == 0]
    assert {event.message.value for event in firsts} == {b"config"}
    lasts = {batch[-1].message.partition: batch[-1] for batch in taken}
    assert all(is_control(event.message.value) for event in lasts.values())
    assert all(event.message.offset == len(seen[p]) - 1 for p, event in lasts.items())


def test_a_small_floor_run_folds_every_event_and_emits_records() -> None:
    shape = WorkloadShape(skus=60)
    messages = _messages(shape, 3000)
    floor = measure_floor(shape, messages)
    assert floor.events == len(messages)
    assert floor.records > 0 and floor.commands > 0
    assert floor.per_second > 0
