"""Folds batches of stock-events messages into the stock table and the push pipeline: the
translation between Kafka and the pure domain (stocksync.domain.stock, .push).

Per message: decode (undecodable → DLQ), apply to the SKU's stock (inapplicable → rejected), and
for a trigger, make one sync record per rule and listing and pass it through the listing's
tumbling window: superseded records leave as SKIPPED, the kept one as PENDING + a push command
when its window closes. Control messages (configuration snapshots, refresh requests) are applied
at their position in the partition's log.

Delivery is at-least-once, so every step is idempotent:
- a SKU's stored state carries the source offset it has applied (a SKU's events share one
  partition); a redelivered message at or below it is skipped;
- a repeated ``event_id`` of the same SKU is rejected as DUPLICATE_EVENT, however late (its
  event-ids row holds the offset it was folded at, and counts once the SKU's value includes it);
- a SKU's orders are rows of their own, written before its value and each carrying what it
  replaced (streams/order_entries.py), so a value read with its rows is always consistent;
- a batch's outputs are sent and acknowledged *before* its states are written, so a crash can
  repeat an output (same record ids: consumers dedup by id) but never lose one.

Windows close on a watermark of log time (LogAppendTime, stored in the log): the highest log time
a partition has shown, or, once the partition is idle (everything on the broker processed), the
wall clock minus a grace. Which records are SKIPPED or pushed depends on the log alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stocksync.domain.events import Reason, StockEvent
from stocksync.domain.push import (
    SkuListings,
    SyncConfig,
    admit_all,
    affected_stores,
    close_all_due,
    records_for_refresh,
    records_for_trigger,
)
from stocksync.domain.orders import EMPTY_ORDER_BOOK
from stocksync.domain.stock import OrderBook, Rejected, SkuStock, apply
from stocksync.domain.sync import Cause, SyncRecord
from stocksync.logs import get_logger
from stocksync.schemas.codec import EventCodec, EventDecodeError
from stocksync.schemas.push_codec import (
    ConfigSnapshot,
    RefreshRequested,
    WindowTick,
    decode_control,
    encode_control,
    is_control,
)
from stocksync.streams.fold_io import (
    CONFIG_KEY,
    HEADER_DETAIL,
    HEADER_ERROR,
    HEADER_ERROR_TYPE,
    HEADER_REJECTION,
    Output,
    is_sku_key,
    partition_of,
    record_outputs,
    send_all,
    sku_key_problem,
    source_headers,
    start_sending,
)
from stocksync.streams.order_entries import order_rows, orders_as_of, orders_prefix
from stocksync.streams.state_codec import StoredStock, decode_stored, encode_stored

log = get_logger(__name__)

# Rejections decided here, before the domain sees the event.
KEY_MISMATCH = "KEY_MISMATCH"
WRONG_PARTITION = "WRONG_PARTITION"
DUPLICATE_EVENT = "DUPLICATE_EVENT"
INVALID_SKU = "INVALID_SKU"  # empty, too long, or a key the stock table keeps for itself
FOLD_ERROR = "FOLD_ERROR"  # a fault in our fold, not in the event: logged with its traceback
# A tick not folded back within this long (lost, or its log time was still before the window's
# end) is sent again.
TICK_RESEND_S = 1.0


@dataclass
class FoldCounters:
    """What this worker did with the messages it consumed (since it started)."""

    applied: int = 0
    rejected: int = 0
    dead_lettered: int = 0
    redelivered_skipped: int = 0
    controls_applied: int = 0
    records_skipped: int = 0
    records_pushed: int = 0
    beyond_until: int = 0  # a replay's messages logged after its --until: read, not folded
    batches: int = 0  # batches taken from the stream: messages / batches is the mean size
    # Where the batches' time went (seconds): folding, waiting for the outputs' acks, writing.
    fold_s: float = 0.0
    send_s: float = 0.0
    write_s: float = 0.0
    rejections_by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "rejected": self.rejected,
            "dead_lettered": self.dead_lettered,
            "redelivered_skipped": self.redelivered_skipped,
            "controls_applied": self.controls_applied,
            "records_skipped": self.records_skipped,
            "records_pushed": self.records_pushed,
            "beyond_until": self.beyond_until,
            "batches": self.batches,
            "fold_s": round(self.fold_s, 3),
            "send_s": round(self.send_s, 3),
            "write_s": round(self.write_s, 3),
            "rejections_by_reason": dict(sorted(self.rejections_by_reason.items())),
        }


@dataclass(frozen=True)
class FoldTopics:
    dlq: Any
    rejected: Any
    records: Any
    commands: Any
    log: Any = None  # stock-events itself, for window ticks (None: a replay, which never writes)


@dataclass
class _Pending:
    """A SKU state to write once the batch's outputs are acknowledged."""

    partition: int
    key: bytes
    stored: StoredStock
    new_event_ids: list[tuple[bytes, int]]  # event-ids key, the offset of the event
    orders_before: OrderBook  # the orders as stored: only what differs from them is written


def log_time_ms(message: Any) -> int:
    """The message's log time in epoch ms (faust gives seconds as a float)."""
    return int(round(message.timestamp * 1000))


class StockFold:
    """Applies batches of faust events (raw key/value bytes) to the stock table."""

    def __init__(
        self,
        *,
        codec: EventCodec,
        stock_table: Any,
        event_ids_table: Any,
        orders_table: Any,
        topics: FoldTopics,
        partitions: int,
        window_ms: int = 1000,
        grace_ms: int = 100,
        state_cache_size: int = 20_000,
        until_ms: int | None = None,
    ) -> None:
        self._codec = codec
        self._stock = stock_table
        self._event_ids = event_ids_table
        self._orders = orders_table
        self._topics = topics
        self._partitions = partitions
        self._window_ms = window_ms
        self._grace_ms = grace_ms
        self._until_ms = until_ms
        self.counters = FoldCounters()
        self._lock = asyncio.Lock()
        self._last_batch_at = 0.0  # monotonic time the last batch finished
        self._configs: dict[int, tuple[int, SyncConfig]] = {}  # partition -> (version, config)
        self._window_ends: dict[int, dict[bytes, int]] = {}  # partition -> SKU -> next end
        self._watermarks: dict[int, int] = {}  # partition -> log time (ms)
        self._last_offsets: dict[int, int] = {}  # partition -> last offset processed
        self._states: OrderedDict[bytes, StoredStock] = OrderedDict()  # SKU -> decoded state
        self._state_cache_size = state_cache_size
        self._unpersisted_orders: set[bytes] = set()  # SKUs whose orders are in their value
        self._forgotten_rows: dict[int, list[bytes]] = {}  # partition -> order rows to delete
        self._ticks_sent: dict[int, float] = {}  # partition -> when its tick was sent (monotonic)

    # -- batches -------------------------------------------------------------------------------

    async def process(self, events: Sequence[Any]) -> None:
        """Fold a batch; control messages split it, so each applies at its log position."""
        async with self._lock:
            self.counters.batches += 1
            segment: list[Any] = []
            for event in events:
                if self._beyond_until(event.message):
                    continue
                if is_control(event.message.value):
                    await self._fold_segment(segment)
                    segment = []
                    await self._apply_control(event)
                else:
                    segment.append(event)
            await self._fold_segment(segment)
            self._last_batch_at = time.monotonic()

    def _beyond_until(self, message: Any) -> bool:
        """A replay with --until reads what was logged later but folds none of it (the
        partition still counts as processed up to it, so its windows close when idle)."""
        if self._until_ms is None or log_time_ms(message) <= self._until_ms:
            return False
        self._last_offsets[message.partition] = message.offset
        self.counters.beyond_until += 1
        return True

    def open_windows(self) -> int:
        """Listings' windows not yet closed, in the partitions this worker has indexed."""
        return sum(len(index) for index in self._window_ends.values())

    def quiet_for(self, seconds: float) -> bool:
        """No batch is being folded, and none finished within `seconds`."""
        return not self._lock.locked() and time.monotonic() - self._last_batch_at >= seconds

    async def _fold_segment(self, events: Sequence[Any]) -> None:
        if not events:
            return
        started = time.perf_counter()
        outputs: list[Output] = []
        pending: dict[bytes, _Pending] = {}
        closing = await self._close_before(events, pending)
        for key, items in self._decode_and_group(events, outputs).items():
            folded = self._fold_sku(key, items, outputs, pending.get(key))
            if folded is not None:
                pending[key] = _Pending(items[0][0].message.partition, key, *folded)
        touched: set[int] = set()
        for event in events:
            message = event.message
            touched.add(message.partition)
            self._last_offsets[message.partition] = max(
                self._last_offsets.get(message.partition, -1), message.offset)
            self._watermarks[message.partition] = max(
                self._watermarks.get(message.partition, 0), log_time_ms(message))
        # Windows the batch's log time closes go out with the batch, and a SKU folded and
        # closed in it is encoded and written once.
        for partition in sorted(touched):
            self._close_due(partition, self._watermarks[partition], outputs, pending)
        folded_at = time.perf_counter()
        await send_all(outputs)
        for future in closing:
            await future
        sent_at = time.perf_counter()
        await self._write(pending.values())
        counters = self.counters
        counters.fold_s += folded_at - started
        counters.send_s += sent_at - folded_at
        counters.write_s += time.perf_counter() - sent_at

    async def _close_before(self, events: Sequence[Any], pending: dict[bytes, _Pending]
                            ) -> list[Any]:
        """Close the windows that ended before the segment's first message of their partition,
        and start sending their records at once, not after the whole segment is folded: that
        message's log time is a watermark no record still to come is below (log time only
        grows in a partition). The futures of the sends; the SKUs' closed states in `pending`."""
        firsts: dict[int, int] = {}
        for event in events:
            firsts.setdefault(event.message.partition, log_time_ms(event.message))
        outputs: list[Output] = []
        for partition, log_time in sorted(firsts.items()):
            watermark = max(self._watermarks.get(partition, 0), log_time)
            self._watermarks[partition] = watermark
            self._close_due(partition, watermark, outputs, pending)
        return await start_sending(outputs)

    # -- decoding ------------------------------------------------------------------------------

    def _decode_and_group(
        self, events: Sequence[Any], outputs: list[Output]
    ) -> dict[bytes, list[tuple[Any, StockEvent]]]:
        by_sku: dict[bytes, list[tuple[Any, StockEvent]]] = {}
        # A key is right on one partition only: checked per (key, partition), since a batch
        # spans partitions and a foreign producer may put one SKU on several.
        checked: set[tuple[bytes, int]] = set()
        for faust_event in events:
            message = faust_event.message
            try:
                event = self._codec.decode(message.value)
            except EventDecodeError as exc:
                outputs.append(self._dead_letter(message, exc))
                continue
            key = event.merchant_sku.encode()
            problem = sku_key_problem(key)
            if problem is not None:
                outputs.append(self._reject(message, INVALID_SKU, problem))
                continue
            if message.key != key:
                outputs.append(self._reject(message, KEY_MISMATCH,
                                            "the message key must be the event's merchant_sku"))
                continue
            if (key, message.partition) not in checked:
                if partition_of(key, self._partitions) != message.partition:
                    outputs.append(self._reject(message, WRONG_PARTITION,
                                                "keys must be partitioned with murmur2, "
                                                "as the Java client does"))
                    continue
                checked.add((key, message.partition))
            by_sku.setdefault(key, []).append((faust_event, event))
        return by_sku

    # -- folding -------------------------------------------------------------------------------

    def _fold_sku(
        self, key: bytes, items: list[tuple[Any, StockEvent]], outputs: list[Output],
        closed: _Pending | None = None,
    ) -> tuple[StoredStock, list[tuple[bytes, int]], OrderBook] | None:
        """Fold one SKU's events of the segment; `closed`: its state after windows closed
        before the segment (not written yet). None when nothing changed."""
        stored = closed.stored if closed is not None else self._load(key)
        applied_offset = stored.applied_offset if stored else -1
        state = stored.stock if stored else SkuStock.empty(items[0][1].merchant_sku)
        listings = stored.listings_or_empty() if stored else None
        partition = items[0][0].message.partition
        config = self._config(partition)
        durable = applied_offset  # what the stored value includes
        new_ids: list[tuple[bytes, int]] = []
        seen_in_batch: set[bytes] = set()
        redelivered = False
        for faust_event, event in items:
            message = faust_event.message
            if message.offset <= applied_offset:
                self.counters.redelivered_skipped += 1
                redelivered = True
                continue
            applied_offset = message.offset
            id_key = key + b"\x00" + event.event_id.encode()
            if id_key in seen_in_batch or _folded(self._event_ids.get(partition, id_key), durable):
                outputs.append(self._reject(message, DUPLICATE_EVENT,
                                            f"event_id {event.event_id} was already folded"))
                continue
            seen_in_batch.add(id_key)
            new_ids.append((id_key, message.offset))
            try:
                result = apply(state, event)
            except Exception as exc:  # noqa: BLE001 - one poisonous event must not stop the fold
                log.exception("fold_error", event_id=event.event_id, partition=message.partition,
                              offset=message.offset)
                outputs.append(self._reject(message, FOLD_ERROR, f"{type(exc).__name__}: {exc}"))
                continue
            if isinstance(result, Rejected):
                outputs.append(self._reject(message, result.reason.value, result.detail))
                continue
            before, state = state, result
            self.counters.applied += 1
            if config.enabled_rules and event.reason.trigger_number is not None:
                if listings is None:
                    listings = SkuListings.empty(state.merchant_sku)
                cause = Cause(event.event_id, message.topic, message.partition, message.offset)
                records = records_for_trigger(event, cause, log_time_ms(message), before, state,
                                              config, listings)
                listings, emitted = admit_all(listings, records, self._window_ms)
                outputs += self._emit(emitted)
        if stored is not None and applied_offset == stored.applied_offset and not redelivered:
            return None
        return (StoredStock(applied_offset=applied_offset, stock=state, listings=listings), new_ids,
                stored.stock.orders if stored else EMPTY_ORDER_BOOK)

    # -- control messages ----------------------------------------------------------------------

    async def _apply_control(self, faust_event: Any) -> None:
        message = faust_event.message
        self._last_offsets[message.partition] = message.offset
        try:
            control = decode_control(message.value)
        except EventDecodeError as exc:
            await send_all([self._dead_letter(message, exc)])
            return
        if isinstance(control, ConfigSnapshot):
            await self._apply_config(faust_event, control)
        elif isinstance(control, WindowTick):
            await self._apply_tick(message)
        else:
            await self._apply_refresh(faust_event, control)
        self.counters.controls_applied += 1

    async def _apply_config(self, faust_event: Any, snapshot: ConfigSnapshot) -> None:
        message = faust_event.message
        version, old = self._configs_entry(message.partition)
        if snapshot.version <= version:
            return  # redelivered, or relayed again: this partition has it already
        new = snapshot.sync_config()
        affected = affected_stores(old, new)
        if affected:
            # Re-push what the change affects, before the new version is recorded: a crash in
            # between repeats the re-push (SKUs already done are skipped by their offsets).
            cause = Cause(snapshot.control_id, message.topic, message.partition, message.offset)
            await self._refresh_partition(faust_event, cause, new, affected)
        await self._stock.write(message.partition, [(CONFIG_KEY, message.value)])
        self._configs[message.partition] = (snapshot.version, new)
        log.info("config_applied", partition=message.partition, version=snapshot.version,
                 rules=len(new.rules), stores=len(new.stores), repushed_stores=sorted(affected))

    async def _apply_refresh(self, faust_event: Any, request: RefreshRequested) -> None:
        message = faust_event.message
        config = self._config(message.partition)
        cause = Cause(request.control_id, message.topic, message.partition, message.offset)
        stores = frozenset(request.store_ids) if request.store_ids else None
        await self._refresh_partition(faust_event, cause, config, stores)

    async def _refresh_partition(self, faust_event: Any, cause: Cause, config: SyncConfig,
                                 store_ids: frozenset[str] | None) -> None:
        """Push the current quantity of every SKU of the partition to `store_ids` (None: all)."""
        message = faust_event.message
        outputs: list[Output] = []
        pending: dict[bytes, _Pending] = {}
        for key in self._partition_keys(message.partition):
            stored = self._load(key)
            if stored is None or stored.applied_offset >= message.offset:
                continue
            records = records_for_refresh(
                stored.stock.merchant_sku, stored.stock, cause, log_time_ms(message),
                Reason.REFRESH_INVENTORY, config, stored.listings_or_empty(), store_ids)
            listings, emitted = admit_all(stored.listings_or_empty(), records, self._window_ms)
            outputs += self._emit(emitted)
            pending[key] = _Pending(message.partition, key,
                                    StoredStock(message.offset, stored.stock, listings), [],
                                    stored.stock.orders)
        self._watermarks[message.partition] = max(self._watermarks.get(message.partition, 0),
                                                  log_time_ms(message))
        await send_all(outputs)
        await self._write(pending.values())

    # -- windows -------------------------------------------------------------------------------

    async def tick_idle_partitions(self, now_ms: int, idle_partitions: Iterable[int]) -> None:
        """Ask the log to close the windows of idle partitions that are due by the wall clock
        (less the grace): a WindowTick into the partition closes them once it is folded, at its
        log time, so they close at a position of the log and a replay closes them there too.
        (Closing on the wall clock alone would not replay: a message appended just before can
        still be on its way to this worker.) One tick at a time per partition."""
        due_by = now_ms - self._grace_ms
        outputs = []
        for partition in idle_partitions:
            sent = self._ticks_sent.get(partition)
            if sent is not None and time.monotonic() - sent < TICK_RESEND_S:
                continue
            index = self._window_index(partition)
            if index and min(index.values()) <= due_by:
                self._ticks_sent[partition] = time.monotonic()
                tick = WindowTick(f"tick-{partition}-{now_ms}")
                outputs.append(Output(self._topics.log, None, encode_control(tick),
                                      partition=partition))
        await send_all(outputs)

    async def _apply_tick(self, message: Any) -> None:
        partition = message.partition
        self._ticks_sent.pop(partition, None)
        watermark = self._watermarks[partition] = max(self._watermarks.get(partition, 0),
                                                      log_time_ms(message))
        outputs: list[Output] = []
        pending: dict[bytes, _Pending] = {}
        self._close_due(partition, watermark, outputs, pending)
        await send_all(outputs)
        await self._write(pending.values())

    def _close_due(self, partition: int, watermark: int, outputs: list[Output],
                   pending: dict[bytes, _Pending]) -> None:
        """Close the partition's windows that end at or before `watermark`: their records go to
        `outputs`, the SKUs' new states to `pending` (on top of what the batch folded)."""
        ends = self._window_index(partition)
        due = [key for key, end in ends.items() if end <= watermark]
        if not due:
            return
        for key in due:
            folded = pending.get(key)
            stored = folded.stored if folded is not None else self._load(key)
            if stored is None:
                ends.pop(key, None)
                continue
            listings, emitted = close_all_due(stored.listings_or_empty(), watermark)
            outputs += self._emit(emitted)
            closed = StoredStock(stored.applied_offset, stored.stock, listings)
            if folded is not None:
                pending[key] = _Pending(partition, key, closed, folded.new_event_ids,
                                        folded.orders_before)
            else:
                pending[key] = _Pending(partition, key, closed, [], stored.stock.orders)

    def _window_index(self, partition: int) -> dict[bytes, int]:
        """SKU -> earliest open window end, for one partition; built from the table once."""
        index = self._window_ends.get(partition)
        if index is None:
            index = self._window_ends[partition] = {}
            for key in self._partition_keys(partition):
                stored = self._load(key)
                end = stored.listings_or_empty().next_window_end() if stored else None
                if end is not None:
                    index[key] = end
        return index

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        """Drop what this worker remembers of partitions it no longer owns."""
        partitions = set(partitions)
        for key in [key for key in self._states
                    if partition_of(key, self._partitions) in partitions]:
            del self._states[key]
        self._unpersisted_orders = {key for key in self._unpersisted_orders
                                    if partition_of(key, self._partitions) not in partitions}
        for partition in partitions:
            self._forgotten_rows.pop(partition, None)
            self._configs.pop(partition, None)
            self._window_ends.pop(partition, None)
            self._watermarks.pop(partition, None)
            self._last_offsets.pop(partition, None)
            self._ticks_sent.pop(partition, None)

    def last_offset(self, partition: int) -> int | None:
        return self._last_offsets.get(partition)

    def config_versions(self) -> dict[int, int]:
        """The configuration version each partition this worker has seen has applied."""
        return {partition: entry[0] for partition, entry in sorted(self._configs.items())}

    # -- state ---------------------------------------------------------------------------------

    def _load(self, key: bytes) -> StoredStock | None:
        cached = self._states.get(key)
        if cached is not None:
            self._states.move_to_end(key)
            return cached
        partition = partition_of(key, self._partitions)
        raw = self._stock.get(partition, key)
        if raw is None:
            return None
        stored = decode_stored(raw)
        orders, forgotten = orders_as_of(
            self._orders.items_with_prefix(partition, orders_prefix(key)), stored.applied_offset)
        if forgotten:
            self._forgotten_rows.setdefault(partition, []).extend(forgotten)
        if stored.stock.orders:  # written before orders had rows of their own
            self._unpersisted_orders.add(key)
            orders.update(stored.stock.orders.items())
        if orders:
            stored = dataclasses.replace(
                stored, stock=dataclasses.replace(stored.stock, orders=OrderBook(orders)))
        self._cache(key, stored)
        return stored

    def _cache(self, key: bytes, stored: StoredStock) -> None:
        """Keep the decoded state of recently folded SKUs: a hot SKU is folded in almost every
        batch, and decoding it each time cost more than folding its events. Bounded (LRU), and
        always equal to the table: every write goes through `_write`."""
        self._states[key] = stored
        self._states.move_to_end(key)
        if len(self._states) > self._state_cache_size:
            self._states.popitem(last=False)

    async def _write(self, pending: Iterable[_Pending]) -> None:
        """Write the batch's event ids and changed orders, then the SKUs' values, one batch per
        table and partition: a SKU's value is never stored before the ids and orders it
        includes (order rows carry what they replaced, for a value that is not written)."""
        ids: dict[int, list[tuple[bytes, bytes | None]]] = {}
        orders: dict[int, list[tuple[bytes, bytes | None]]] = {
            partition: [(key, None) for key in keys]  # deletes first: a row may come back
            for partition, keys in self._forgotten_rows.items()}
        self._forgotten_rows = {}
        forgotten: dict[int, list[bytes]] = {}
        states: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for item in pending:
            partition, stored = item.partition, item.stored
            if item.new_event_ids:
                ids.setdefault(partition, []).extend(
                    (id_key, str(offset).encode()) for id_key, offset in item.new_event_ids)
            before = item.orders_before
            if item.key in self._unpersisted_orders:
                before = EMPTY_ORDER_BOOK
                self._unpersisted_orders.discard(item.key)
            rows, gone = order_rows(item.key, stored.applied_offset, before, stored.stock.orders)
            if rows:
                orders.setdefault(partition, []).extend(rows)
            if gone:
                forgotten.setdefault(partition, []).extend(gone)
            states.setdefault(partition, []).append(
                (item.key, encode_stored(stored, with_orders=False)))
            self._cache(item.key, stored)
            end = stored.listings_or_empty().next_window_end()
            index = self._window_index(partition)
            if end is None:
                index.pop(item.key, None)
            else:
                index[item.key] = end
        await asyncio.gather(*(self._event_ids.write(p, items) for p, items in ids.items()),
                             *(self._orders.write(p, items) for p, items in orders.items()))
        await asyncio.gather(*(self._stock.write(p, items) for p, items in states.items()))
        # The values say these orders are gone: their rows go with the next batch's.
        for partition, keys in forgotten.items():
            self._forgotten_rows.setdefault(partition, []).extend(keys)

    def _partition_keys(self, partition: int) -> list[bytes]:
        return [key for key in self._stock.keys(partition) if is_sku_key(key)]

    def _configs_entry(self, partition: int) -> tuple[int, SyncConfig]:
        entry = self._configs.get(partition)
        if entry is None:
            raw = self._stock.get(partition, CONFIG_KEY)  # each partition has its own copy
            snapshot = decode_control(raw) if raw is not None else None
            if isinstance(snapshot, ConfigSnapshot):
                entry = (snapshot.version, snapshot.sync_config())
            else:
                entry = (-1, SyncConfig({}, {}))
            self._configs[partition] = entry
        return entry

    def _config(self, partition: int) -> SyncConfig:
        return self._configs_entry(partition)[1]

    # -- outputs -------------------------------------------------------------------------------

    def _emit(self, records: Sequence[SyncRecord]) -> list[Output]:
        for record in records:
            if record.superseded_by is not None:
                self.counters.records_skipped += 1
            else:
                self.counters.records_pushed += 1
        return record_outputs(records, self._topics.records, self._topics.commands,
                              self._partitions)

    def _dead_letter(self, message: Any, exc: EventDecodeError) -> Output:
        self.counters.dead_lettered += 1
        log.warning("event_dead_lettered", error=str(exc), error_type=type(exc).__name__,
                    partition=message.partition, offset=message.offset)
        headers = [(HEADER_ERROR, str(exc).encode()),
                   (HEADER_ERROR_TYPE, type(exc).__name__.encode()),
                   *source_headers(message)]
        return Output(self._topics.dlq, message.key, message.value, headers)

    def _reject(self, message: Any, reason: str, detail: str) -> Output:
        self.counters.rejected += 1
        by_reason = self.counters.rejections_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1
        log.info("event_rejected", reason=reason, detail=detail,
                 partition=message.partition, offset=message.offset)
        headers = [(HEADER_REJECTION, reason.encode()), (HEADER_DETAIL, detail.encode()),
                   *source_headers(message)]
        return Output(self._topics.rejected, message.key, message.value, headers)


def _folded(event_id_row: bytes | None, durable_offset: int) -> bool:
    """Whether the event an event-ids row names is in the SKU's stored value. The row holds the
    offset it was folded at; a row the value does not include yet (a crash between the two
    writes) is no duplicate: that event is being folded again. Rows of old workers are empty."""
    if event_id_row is None:
        return False
    return not event_id_row or int(event_id_row) <= durable_offset
