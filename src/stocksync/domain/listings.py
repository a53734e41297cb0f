"""What the push pipeline remembers per listing of one merchant SKU, beside its `SkuStock`.

Per listing (store_id, store_sku): the after qty of its latest record, which is the next record's
before qty, and its open dedup window, if any. States are immutable: never mutate a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stocksync.domain.sku_stock import Listing
from stocksync.domain.sync import SyncRecord


@dataclass(frozen=True, slots=True)
class OpenWindow:
    """A tumbling window on log time, [start, end), holding the record it would push."""

    start: int  # aligned: a multiple of the window length (epoch ms, log time)
    end: int  # start + window length; the window closes once the watermark reaches it
    latest: SyncRecord  # the last record admitted: pushed unless a later one replaces it


@dataclass(frozen=True, slots=True)
class ListingState:
    last_after_qty: int | None = None  # after qty of the listing's latest record; None: none yet
    window: OpenWindow | None = None


NO_LISTING_STATE = ListingState()


@dataclass(frozen=True, slots=True)
class SkuListings:
    """The listing states of one merchant SKU; a listing never recorded has none."""

    merchant_sku: str
    listings: Mapping[Listing, ListingState] = field(default_factory=dict)

    @classmethod
    def empty(cls, merchant_sku: str) -> SkuListings:
        return cls(merchant_sku)

    def get(self, listing: Listing) -> ListingState:
        """The state of `listing`; empty when it has had no record."""
        return self.listings.get(listing, NO_LISTING_STATE)

    def with_listing(self, listing: Listing, state: ListingState) -> SkuListings:
        """These listings with `listing` in `state`."""
        return SkuListings(self.merchant_sku, {**self.listings, listing: state})

    def next_window_end(self) -> int | None:
        """The earliest end of an open window (when a watermark can close one); None: none open."""
        ends = [s.window.end for s in self.listings.values() if s.window is not None]
        return min(ends, default=None)
