"""What the push pipeline is made of: stores, sync rules, sync records and push outcomes
(PRODUCT.md §1 and §3). Plain frozen data; the decisions live in sibling modules."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from stocksync.domain.events import Reason


class Rounding(str, enum.Enum):
    DOWN = "DOWN"  # the default: never list a unit that is not there
    UP = "UP"
    NEAREST = "NEAREST"  # half up


@dataclass(frozen=True, slots=True)
class SoldOutPolicy:
    """BigSeller's "about to be sold out": below `threshold` units, every remaining unit goes to
    `store_id` and every other store of the rule gets 0."""

    threshold: int
    store_id: str


@dataclass(frozen=True, slots=True)
class SyncRule:
    name: str  # unique; the rule's id
    warehouses: frozenset[str]  # whose available stock is summed
    store_ids: frozenset[str]  # the stores it pushes to
    percent: Decimal = Decimal(100)  # above 100 allowed ("virtual stock")
    plus_units: int = 0  # N, added after the percentage
    buffer: int = 0  # units held back
    zero_below: int = 0  # push 0 when the summed available stock is below this
    max_qty: int | None = None  # cap on the listed quantity
    rounding: Rounding = Rounding.DOWN
    enabled: bool = True
    sold_out: SoldOutPolicy | None = None


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    """How to reach a store's marketplace. Secrets are never stored here: `secret_ref` names an
    environment variable of the connector worker that holds the credential."""

    kind: str  # simulated | shopify | shopee | webhook | memory
    options: tuple[tuple[str, str], ...] = ()  # non-secret settings, e.g. ("base_url", ...)
    secret_ref: str | None = None
    requests_per_second: float = 5.0  # our own limit per store

    def option(self, name: str, default: str | None = None) -> str | None:
        return dict(self.options).get(name, default)


@dataclass(frozen=True, slots=True)
class Store:
    store_id: str
    nickname: str
    marketplace: str  # shopee, lazada, tiktok, shopify, etsy, amazon, takealot, ...
    connector: ConnectorSettings = field(default_factory=lambda: ConnectorSettings("simulated"))


class SyncStatus(str, enum.Enum):
    PENDING = "PENDING"
    SKIPPED = "SKIPPED"
    SUCCESSFULLY = "SUCCESSFULLY"
    FAILED = "FAILED"


class FailureCode(str, enum.Enum):
    AUTH_EXPIRED = "AUTH_EXPIRED"
    LISTING_NOT_FOUND = "LISTING_NOT_FOUND"
    VALIDATION = "VALIDATION"
    RATE_LIMITED = "RATE_LIMITED"  # still limited after every retry
    CONFLICT = "CONFLICT"  # compare-and-swap lost (e.g. Shopify changeFromQuantity)
    TIMEOUT = "TIMEOUT"
    MARKETPLACE_ERROR = "MARKETPLACE_ERROR"  # 5xx after every retry
    STORE_NOT_CONFIGURED = "STORE_NOT_CONFIGURED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Cause:
    """What caused a record: the trigger event and its position in the log."""

    event_id: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """One push decision for one listing (PRODUCT.md §3)."""

    record_id: str  # deterministic: derived from the trigger and the listing
    sync_time: int  # event time of the trigger, epoch ms
    log_time: int  # the time the trigger reached the log (LogAppendTime), epoch ms: windows use it
    marketplace: str
    store_id: str
    store_nickname: str
    store_sku: str
    merchant_sku: str
    warehouse_id: str  # the warehouse whose stock moved
    before_qty: int
    movement: int  # change of available stock the trigger caused
    after_qty: int  # what the listing must show
    rule_name: str
    reason: Reason
    cause: Cause
    status: SyncStatus = SyncStatus.PENDING
    superseded_by: str | None = None  # for SKIPPED: the record that replaced it in its window
    failure_code: FailureCode | None = None  # for FAILED
    failure_message: str | None = None
    title: str | None = None

    def skipped_by(self, record_id: str) -> SyncRecord:
        """This record SKIPPED, superseded by `record_id`. (Spelled out: `dataclasses.replace`
        inspects the fields on every call, and every record of a busy window goes through here.)"""
        return SyncRecord(
            self.record_id, self.sync_time, self.log_time, self.marketplace, self.store_id,
            self.store_nickname, self.store_sku, self.merchant_sku, self.warehouse_id,
            self.before_qty, self.movement, self.after_qty, self.rule_name, self.reason,
            self.cause, SyncStatus.SKIPPED, record_id, self.failure_code, self.failure_message,
            self.title)


@dataclass(frozen=True, slots=True)
class PushCommand:
    """A kept record, sent to the connector of its store (topic push-commands, keyed by store SKU)."""

    record: SyncRecord


@dataclass(frozen=True, slots=True)
class PushResult:
    """What a connector reports for a push command (topic push-results)."""

    record_id: str
    store_id: str
    store_sku: str
    status: SyncStatus  # SUCCESSFULLY or FAILED
    pushed_qty: int
    attempts: int
    completed_at: int  # epoch ms, the connector's clock (outcomes are facts, not replayed)
    failure_code: FailureCode | None = None
    failure_message: str | None = None
