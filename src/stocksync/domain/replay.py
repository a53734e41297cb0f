"""`fold`: the plain-Python reference fold over a log of stock events (tests, replays, as-of).

Stock as of an instant is the fold of the log's prefix up to that instant; nothing more is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stocksync.domain.events import StockEvent
from stocksync.domain.rejections import Rejected, RejectionReason
from stocksync.domain.sku_stock import SkuStock
from stocksync.domain.transitions import DEFAULT_CLOSED_ORDER_RETENTION_MS, apply


@dataclass(frozen=True, slots=True)
class FoldResult:
    states: Mapping[str, SkuStock]  # by merchant SKU; only SKUs some event applied to
    rejected: tuple[tuple[StockEvent, Rejected], ...]  # in log order
    # (merchant_sku, event_id) pairs: pass on to continue the fold with more events.
    seen_event_ids: frozenset[tuple[str, str]]

    def state(self, merchant_sku: str) -> SkuStock:
        """The stock of `merchant_sku`; empty when no event applied to it."""
        return self.states.get(merchant_sku) or SkuStock.empty(merchant_sku)


def fold(
    events: Iterable[StockEvent],
    states: Mapping[str, SkuStock] | None = None,
    *,
    seen_event_ids: Iterable[tuple[str, str]] = (),
    closed_order_retention_ms: int = DEFAULT_CLOSED_ORDER_RETENTION_MS,
) -> FoldResult:
    """Apply `events` in order, each to its merchant SKU's state; a repeated event_id only once.

    A repeat (of an applied or a rejected event) of the same merchant SKU is rejected as
    DUPLICATE_EVENT. Ids are remembered per SKU, as the live fold does: a SKU's events, and so
    its remembered ids, live on one partition, and no worker sees every partition.
    """
    folded = dict(states or {})
    seen = set(seen_event_ids)
    rejected: list[tuple[StockEvent, Rejected]] = []
    for event in events:
        identity = (event.merchant_sku, event.event_id)
        if identity in seen:
            rejected.append((event, _duplicate(event)))
            continue
        seen.add(identity)
        state = folded.get(event.merchant_sku) or SkuStock.empty(event.merchant_sku)
        outcome = apply(state, event, closed_order_retention_ms=closed_order_retention_ms)
        if isinstance(outcome, Rejected):
            rejected.append((event, outcome))
        else:
            folded[event.merchant_sku] = outcome
    return FoldResult(folded, tuple(rejected), frozenset(seen))


def _duplicate(event: StockEvent) -> Rejected:
    return Rejected(RejectionReason.DUPLICATE_EVENT, f"event {event.event_id!r} was seen before")
