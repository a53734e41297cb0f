"""A hostile input campaign against a worker on the real broker (issue 7, item 2).

Hypothesis draws batches of messages no honest producer sends: random bytes, truncated and
re-stamped messages, unknown fingerprints, half-megabyte values, null values, and schema-valid
but absurd events (quantities of 0, negative or near 2^63, unknown orders, times in 1970, before
it and in 2999, empty, NUL-led, 10 kB and Unicode SKUs, repeated event ids, keys that are not the
SKU, wrong partitions). After each batch the worker must still serve, and every message of the
log must have ended exactly one way: applied, rejected with the reason a plain-Python fold gives,
or dead-lettered; the counts reconcile with the worker's /stats, and the stock it shows for each
SKU is that fold's.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import StockEvent
from stocksync.domain.replay import fold
from stocksync.domain.stock import stock_view
from stocksync.domain.sync import ConnectorSettings, Store
from stocksync.publisher import ordered_producer
from stocksync.schemas.codec import EventDecodeError, default_codec
from stocksync.schemas.push_codec import is_control
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of, sku_key_problem
from stocksync.topic_reader import read_to_end
from stocksync.topics import STOCK_EVENTS, STOCK_EVENTS_DLQ, STOCK_EVENTS_REJECTED
from tests.e2e.pipeline import rule, wait_for_config
from tests.harness import WorkerProcess, eventually
from tests.strategies import LONGS, stock_events

pytestmark = pytest.mark.kafka

SKUS = st.one_of(
    st.sampled_from(["H-1", "H-2", "Ω-ü-😀", "\u202eRTL", "a b/c?d#e%"]),
    st.sampled_from(["H-1", "H-2"]),
    st.text(min_size=0, max_size=12),
    st.just("\x00config"),
    st.just("L" * 10_000),
)
# Near the limits often enough that two of them meet in one warehouse (their sum is past 2^63).
HUGE = st.sampled_from([10**15, 10**15 + 1, 2**62, 2**63 - 1])
QUANTITIES = st.one_of(st.integers(-3, 40), HUGE, HUGE, LONGS)
TIMES = st.one_of(st.sampled_from([0, -1, 32_503_680_000_000, 1_767_225_600_000]), LONGS)
ABSURD_EVENTS = stock_events(
    merchant_sku=SKUS, warehouse_id=st.sampled_from(["WH-1", "WH-1", "WH-2", ""]),
    event_id=st.sampled_from([f"id-{n}" for n in range(12)]),  # repeats are the point
    order_id=st.sampled_from(["O-1", "O-2", "no-such-order"]), qty=QUANTITIES,
    counted_qty=QUANTITIES, occurred_at=TIMES, store_id=st.sampled_from(["HS", "nowhere"]))

Message = tuple[bytes | None, bytes | None, int | None]  # key, value, partition (None: the key's)


@st.composite
def hostile_messages(draw: st.DrawFn, partitions: int) -> Message:
    codec = default_codec()
    event = draw(ABSURD_EVENTS)
    valid = codec.encode(event)
    key = event.merchant_sku.encode()
    kind = draw(st.sampled_from(["event"] * 6 + ["bytes", "truncated", "magic", "fingerprint",
                                                  "huge", "null", "other key", "wrong partition"]))
    if kind == "event":
        return key, valid, None
    if kind == "bytes":
        return key, draw(st.binary(max_size=64)), None
    if kind == "truncated":
        return key, valid[:draw(st.integers(0, len(valid) - 1))], None
    if kind == "magic":
        return key, draw(st.binary(min_size=2, max_size=2).filter(lambda b: b != b"\xc3\x01")) \
            + valid[2:], None
    if kind == "fingerprint":
        return key, b"\xc3\x01" + draw(st.binary(min_size=8, max_size=8)) + valid[10:], None
    if kind == "huge":
        return key, b"\xc3\x01" + bytes(512 * 1024), None
    if kind == "null":
        return key, None, None  # (a null key as well the client refuses to send)
    if kind == "other key":
        return draw(st.sampled_from([b"H-1", b"", key + b"x"])), valid, None
    right = partition_of(key, partitions)
    return key, valid, (right + 1) % partitions


@pytest.fixture(scope="module")
def worker(workers, topics: Settings) -> WorkerProcess:
    # A store and a rule, so that applied triggers also go through records and dedup.
    writer = ConfigWriter(topics)
    writer.put_store(Store("HS", "Hostile shop", "shopee", ConnectorSettings("memory")))
    writer.put_rule(rule("hostile", "WH-1", ["HS"]))
    started = workers.start("hostile")
    wait_for_config(started, topics)
    return started


class Expected:
    """How each message of the log must have ended, from a plain-Python reading of it."""

    def __init__(self, settings: Settings) -> None:
        self.applied = 0
        self.rejected: dict[tuple[int, int], str] = {}  # (partition, offset) -> reason
        self.dead_lettered: set[tuple[int, int]] = set()
        self.states: dict[str, Any] = {}
        codec, seen = default_codec(), frozenset()
        for message in read_to_end(settings, settings.topic(STOCK_EVENTS.name), timeout_s=120):
            at = (message.partition, message.offset)
            if is_control(message.value):
                continue
            try:
                event: StockEvent = codec.decode(message.value)
            except EventDecodeError:
                self.dead_lettered.add(at)
                continue
            key = event.merchant_sku.encode()
            if sku_key_problem(key) is not None:
                self.rejected[at] = "INVALID_SKU"
            elif message.key != key:
                self.rejected[at] = "KEY_MISMATCH"
            elif partition_of(key, settings.partitions) != message.partition:
                self.rejected[at] = "WRONG_PARTITION"
            else:
                result = fold([event], self.states, seen_event_ids=seen)
                self.states, seen = dict(result.states), result.seen_event_ids
                if result.rejected:
                    self.rejected[at] = result.rejected[0][1].reason.value
                else:
                    self.applied += 1


def outcomes(settings: Settings, spec: Any) -> Iterator[tuple[tuple[int, int], dict[str, bytes]]]:
    for message in read_to_end(settings, settings.topic(spec.name), timeout_s=120):
        headers = dict(message.headers)
        yield (int(headers["stocksync.source_partition"]),
               int(headers["stocksync.source_offset"])), headers


# No shrinking: the worker's log keeps every earlier batch, so a smaller batch is no simpler case.
@settings(max_examples=5, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_every_hostile_message_ends_applied_rejected_or_dead_lettered(
        data: st.DataObject, worker: WorkerProcess, topics: Settings) -> None:
    batch = data.draw(st.lists(hostile_messages(topics.partitions), min_size=20, max_size=60))
    producer = ordered_producer(topics, "hostile")
    try:
        for key, value, partition in batch:
            producer.send(topics.topic(STOCK_EVENTS.name), key=key, value=value,
                          partition=partition)
        producer.flush(timeout=60)
    finally:
        producer.close()
    expected = Expected(topics)

    def all_ended() -> tuple[dict, dict] | None:
        assert worker.alive(), worker.log_tail()
        dead = dict(outcomes(topics, STOCK_EVENTS_DLQ))
        rejected = {at: headers["stocksync.rejection"].decode()
                    for at, headers in outcomes(topics, STOCK_EVENTS_REJECTED)}
        stats = worker.stats()
        done = (len(dead) >= len(expected.dead_lettered) and len(rejected) >= len(
            expected.rejected) and stats["applied"] >= expected.applied)
        return (dead, rejected) if done else None

    dead, rejected = eventually(all_ended, timeout_s=120, interval_s=0.5,
                                what="every hostile message to end somewhere")
    assert expected.dead_lettered == set(dead)
    assert expected.rejected == rejected
    assert not set(dead) & set(rejected)
    stats = worker.stats()
    assert (expected.applied, len(expected.rejected), len(expected.dead_lettered)) == (
        stats["applied"], stats["rejected"], stats["dead_lettered"])
    for sku, state in expected.states.items():
        path = "/stock/" + urllib.parse.quote(sku, safe="")
        assert (200, stock_view(state)) == worker.get(path), sku


INJECTIONS = ["' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "${jndi:x}",
              "%00", "\x00", "😀" * 50, "a" * 5000, "{{7*7}}", "; rm -rf /"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(INJECTIONS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["store_id", "nickname", "rules", "filter", "record_ids", "percent",
                         "merchant_skus", "store_ids", "warehouses", "stores", "x"])
        | st.text(max_size=8), inner, max_size=5),
    max_leaves=12)
BODIES = st.one_of(
    JSON_VALUES.map(lambda value: __import__("json").dumps(value).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"{", b"[1,", b'{"a":', b"\xff\xfe", b"null", b"[]", b"\"text\"",
                     b"{" * 5000, b" " * (3 * 1024 * 1024)]))


def hostile_requests(routes: list[tuple[str, str]]) -> st.SearchStrategy[tuple[str, str, bytes]]:
    def build(route: tuple[str, str], fill: str, query: str, body: bytes) -> tuple[str, str, bytes]:
        method, template = route
        path = template
        while "{" in path:
            start, end = path.index("{"), path.index("}")
            path = path[:start] + urllib.parse.quote(fill, safe="") + path[end + 1:]
        return method, f"{path}?{query}" if query else path, body

    return st.builds(build, st.sampled_from(routes), st.sampled_from(INJECTIONS) | st.text(
        min_size=1, max_size=10), st.sampled_from(["", "limit=-1", "limit=abc", "since=never",
                                                   "range=forever", "cursor=%ff%fe",
                                                   "status=FAILED&status=x", "as_of=1e99"]),
        BODIES)


class ChangeableTopics:
    """The end offsets of every topic a request could write to, through one open consumer."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaConsumer, TopicPartition

        from stocksync.topics import CONFIG, SYNC_LOG_RESYNC, SYNC_LOGS

        self._bootstrap = settings.kafka_bootstrap_servers
        self._consumer = KafkaConsumer(bootstrap_servers=self._bootstrap)
        self._partitions = [TopicPartition(settings.topic(spec.name), p)
                            for spec in (CONFIG, STOCK_EVENTS, SYNC_LOG_RESYNC, SYNC_LOGS)
                            for p in range(spec.partition_count(settings))]

    def ends(self) -> dict[Any, int]:
        return self._consumer.end_offsets(self._partitions)

    def changes(self, before: dict[Any, int], after: dict[Any, int]) -> list[str]:
        """What was appended between two readings, less what the worker appends on its own
        (configuration snapshots relayed from an earlier accepted change, window ticks)."""
        from kafka import KafkaConsumer

        from stocksync.schemas.push_codec import ConfigSnapshot, WindowTick, decode_control

        grown = [tp for tp in self._partitions if after[tp] > before[tp]]
        if not grown:
            return []
        reader = KafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        found = []
        try:
            reader.assign(grown)
            for tp in grown:
                reader.seek(tp, before[tp])
            while any(reader.position(tp) < after[tp] for tp in grown):
                for tp, batch in reader.poll(timeout_ms=500).items():
                    for message in batch:
                        if message.offset >= after[tp]:
                            continue
                        if is_control(message.value) and isinstance(
                                decode_control(message.value), ConfigSnapshot | WindowTick):
                            continue
                        found.append(f"{tp.topic}[{tp.partition}]@{message.offset}")
        finally:
            reader.close()
        return found

    def close(self) -> None:
        self._consumer.close()


def test_hostile_requests_get_clear_4xx_answers_and_change_nothing(
        worker: WorkerProcess, topics: Settings) -> None:
    status, document = worker.get("/openapi.json")
    assert 200 == status
    routes = sorted((method.upper(), path) for path, item in document["paths"].items()
                    for method in item if method in ("get", "put", "post", "delete"))
    assert len(routes) > 10
    changeable = ChangeableTopics(topics)
    refused = []

    @settings(max_examples=150, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.reuse, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=hostile_requests(routes))
    def one_request(request: tuple[str, str, bytes]) -> None:
        method, path, body = request
        before = changeable.ends() if method != "GET" else None
        status, answer = raw_call(worker, method, path, body)
        assert status < 500, (method, path, body[:200], answer)
        if status >= 400:
            assert isinstance(answer, dict) and answer.get("error"), (method, path, answer)
            if before is not None:
                refused.append(method)
                assert not changeable.changes(before, changeable.ends()), (
                    "a refused request changed a topic", method, path, body[:200])

    try:
        one_request()
    finally:
        changeable.close()
    assert worker.alive() and len(refused) > 30


def raw_call(worker: WorkerProcess, method: str, path: str, body: bytes) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(worker.url + path, data=body if method != "GET" else None,
                                     method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw[:200]
