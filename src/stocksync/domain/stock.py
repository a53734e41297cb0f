"""The pure stock fold: the one entry point the Faust agent, replays and tests import.

    state = SkuStock.empty("APPLE")
    outcome = apply(state, event)          # SkuStock, or Rejected (then keep `state`)
    result = fold(events)                  # result.states, result.rejected
    stock_view(result.state("APPLE"))      # plain data for JSON

No Faust, Kafka, I/O, clock or randomness here: only event time and the standard library.
"""

from stocksync.domain.orders import Order, OrderBook, OrderState
from stocksync.domain.rejections import Rejected, RejectionReason
from stocksync.domain.replay import FoldResult, fold
from stocksync.domain.sku_stock import SkuStock, WarehouseStock
from stocksync.domain.transitions import DEFAULT_CLOSED_ORDER_RETENTION_MS, Outcome, apply
from stocksync.domain.views import stock_view

__all__ = [
    "DEFAULT_CLOSED_ORDER_RETENTION_MS",
    "FoldResult",
    "Order",
    "OrderBook",
    "OrderState",
    "Outcome",
    "Rejected",
    "RejectionReason",
    "SkuStock",
    "WarehouseStock",
    "apply",
    "fold",
    "stock_view",
]
