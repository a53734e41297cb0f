"""Folds a batch of stock-event messages into the stock table: the translation between Kafka and
the pure fold in ``stocksync.domain.stock``.

Delivery is at-least-once, so every step is idempotent:
- each SKU's stored state carries the source offset it has applied (all events of a SKU share a
  partition); a redelivered message at or below it is skipped;
- a repeated ``event_id`` of the same SKU is rejected as DUPLICATE_EVENT, however late;
- a batch's outputs (rejected, dead-lettered) are sent and acknowledged *before* its state is
  written, so a crash can repeat an output but never lose one. A state written but whose
  changelog record was lost is written again when the batch is redelivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka.partitioner import murmur2

from stocksync.domain.events import StockEvent
from stocksync.domain.stock import Rejected, SkuStock, apply
from stocksync.logs import get_logger
from stocksync.schemas.codec import EventCodec, EventDecodeError
from stocksync.streams.event_context import event_context
from stocksync.streams.state_codec import StoredStock, decode_stored, encode_stored

log = get_logger(__name__)

HEADER_ERROR = "stocksync.error"
HEADER_ERROR_TYPE = "stocksync.error_type"
HEADER_REJECTION = "stocksync.rejection"
HEADER_DETAIL = "stocksync.detail"
HEADER_SOURCE_TOPIC = "stocksync.source_topic"
HEADER_SOURCE_PARTITION = "stocksync.source_partition"
HEADER_SOURCE_OFFSET = "stocksync.source_offset"

# Rejections decided here, before the domain sees the event.
KEY_MISMATCH = "KEY_MISMATCH"
WRONG_PARTITION = "WRONG_PARTITION"
DUPLICATE_EVENT = "DUPLICATE_EVENT"
FOLD_ERROR = "FOLD_ERROR"  # a fault in our fold, not in the event: logged with its traceback


@dataclass
class FoldCounters:
    """What this worker did with the messages it consumed (since it started)."""

    applied: int = 0
    rejected: int = 0
    dead_lettered: int = 0
    redelivered_skipped: int = 0
    rejections_by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "rejected": self.rejected,
            "dead_lettered": self.dead_lettered,
            "redelivered_skipped": self.redelivered_skipped,
            "rejections_by_reason": dict(sorted(self.rejections_by_reason.items())),
        }


@dataclass(frozen=True)
class Output:
    """A message to send before the batch's state may be written."""

    topic: Any  # faust TopicT
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class StockFold:
    """Applies batches of faust events (raw key/value bytes) to the stock tables."""

    def __init__(
        self,
        *,
        codec: EventCodec,
        stock_table: Any,
        event_ids_table: Any,
        dlq_topic: Any,
        rejected_topic: Any,
        partitions: int,
    ) -> None:
        self._codec = codec
        self._stock = stock_table
        self._event_ids = event_ids_table
        self._dlq = dlq_topic
        self._rejected = rejected_topic
        self._partitions = partitions
        self.counters = FoldCounters()

    async def process(self, events: Sequence[Any]) -> None:
        outputs: list[Output] = []
        pending_states: list[tuple[Any, bytes, StoredStock, list[bytes]]] = []
        for key, items in self._decode_and_group(events, outputs).items():
            first = items[0][0]
            with event_context(first):
                folded = self._fold_sku(key, items, outputs)
            if folded is not None:
                pending_states.append((first, key, *folded))
        await self._send_all(outputs)
        for first, key, stored, new_ids in pending_states:
            with event_context(first):
                for event_id_key in new_ids:
                    self._event_ids[event_id_key] = b""
                self._stock[key] = encode_stored(stored)

    # -- decoding ------------------------------------------------------------------------------

    def _decode_and_group(
        self, events: Sequence[Any], outputs: list[Output]
    ) -> dict[bytes, list[tuple[Any, StockEvent]]]:
        by_sku: dict[bytes, list[tuple[Any, StockEvent]]] = {}
        checked_keys: set[bytes] = set()
        for faust_event in events:
            message = faust_event.message
            try:
                event = self._codec.decode(message.value)
            except EventDecodeError as exc:
                outputs.append(self._dead_letter(message, exc))
                continue
            key = event.merchant_sku.encode()
            if message.key != key:
                outputs.append(self._reject(message, KEY_MISMATCH,
                                            "the message key must be the event's merchant_sku"))
                continue
            if key not in checked_keys:
                if self._partition_for(key) != message.partition:
                    outputs.append(self._reject(message, WRONG_PARTITION,
                                                "keys must be partitioned with murmur2, "
                                                "as the Java client does"))
                    continue
                checked_keys.add(key)
            by_sku.setdefault(key, []).append((faust_event, event))
        return by_sku

    def _partition_for(self, key: bytes) -> int:
        return (murmur2(key) & 0x7FFFFFFF) % self._partitions

    # -- folding -------------------------------------------------------------------------------

    def _fold_sku(
        self, key: bytes, items: list[tuple[Any, StockEvent]], outputs: list[Output]
    ) -> tuple[StoredStock, list[bytes]] | None:
        raw = self._stock.get(key)
        stored = decode_stored(raw) if raw is not None else None
        applied_offset = stored.applied_offset if stored else -1
        state = stored.stock if stored else SkuStock.empty(items[0][1].merchant_sku)
        new_ids: list[bytes] = []
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
            if id_key in seen_in_batch or self._event_ids.get(id_key) is not None:
                outputs.append(self._reject(message, DUPLICATE_EVENT,
                                            f"event_id {event.event_id} was already folded"))
                continue
            seen_in_batch.add(id_key)
            new_ids.append(id_key)
            try:
                result = apply(state, event)
            except Exception as exc:  # noqa: BLE001 - one poisonous event must not stop the fold
                log.exception("fold_error", event_id=event.event_id, partition=message.partition,
                              offset=message.offset)
                outputs.append(self._reject(message, FOLD_ERROR, f"{type(exc).__name__}: {exc}"))
                continue
            if isinstance(result, Rejected):
                outputs.append(self._reject(message, result.reason.value, result.detail))
            else:
                state = result
                self.counters.applied += 1
        if stored is not None and applied_offset == stored.applied_offset and not redelivered:
            return None
        return StoredStock(applied_offset=applied_offset, stock=state), new_ids

    # -- outputs -------------------------------------------------------------------------------

    def _dead_letter(self, message: Any, exc: EventDecodeError) -> Output:
        self.counters.dead_lettered += 1
        log.warning("event_dead_lettered", error=str(exc), error_type=type(exc).__name__,
                    partition=message.partition, offset=message.offset)
        headers = [(HEADER_ERROR, str(exc).encode()),
                   (HEADER_ERROR_TYPE, type(exc).__name__.encode()),
                   *_source_headers(message)]
        return Output(self._dlq, message.key, message.value, headers)

    def _reject(self, message: Any, reason: str, detail: str) -> Output:
        self.counters.rejected += 1
        by_reason = self.counters.rejections_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + 1
        log.info("event_rejected", reason=reason, detail=detail,
                 partition=message.partition, offset=message.offset)
        headers = [(HEADER_REJECTION, reason.encode()), (HEADER_DETAIL, detail.encode()),
                   *_source_headers(message)]
        return Output(self._rejected, message.key, message.value, headers)

    @staticmethod
    async def _send_all(outputs: list[Output]) -> None:
        futures = [
            await output.topic.send(key=output.key, value=output.value, headers=output.headers)
            for output in outputs
        ]
        for future in futures:
            await future


def _source_headers(message: Any) -> list[tuple[str, bytes]]:
    return [
        (HEADER_SOURCE_TOPIC, message.topic.encode()),
        (HEADER_SOURCE_PARTITION, str(message.partition).encode()),
        (HEADER_SOURCE_OFFSET, str(message.offset).encode()),
    ]
