"""Closed orders are forgotten after a retention measured in event time, never on the clock."""

from stocksync.domain.stock import (
    DEFAULT_CLOSED_ORDER_RETENTION_MS,
    Order,
    OrderState,
    RejectionReason,
)

from .builders import (
    DAY_MS,
    applied,
    cancelled_order,
    new_order,
    received_manually,
    refresh,
    rejection,
    voided,
)


def test_the_default_retention_is_thirty_days() -> None:
    """Closed orders are kept 30 days by default."""
    assert 30 * DAY_MS == DEFAULT_CLOSED_ORDER_RETENTION_MS


def test_an_order_closed_longer_than_the_retention_is_forgotten() -> None:
    """Any event more than the retention after an order closed drops that order."""
    # O1 booked and cancelled on day 0
    state = applied(new_order("O1", 3), cancelled_order("O1"))
    # a refresh 30 days and 1 ms later
    state = applied(refresh(at=30 * DAY_MS + 1), state=state)
    assert {} == dict(state.orders)


def test_an_order_closed_exactly_the_retention_ago_is_kept() -> None:
    """An order closed exactly one retention before the event is still known."""
    # O1 booked and cancelled at t=0
    state = applied(new_order("O1", 3), cancelled_order("O1"))
    # a refresh exactly 30 days later
    state = applied(refresh(at=30 * DAY_MS), state=state)
    assert Order("W1", 3, OrderState.CANCELLED, closed_at=0) == state.orders["O1"]


def test_a_late_event_for_a_forgotten_order_is_an_unknown_order() -> None:
    """After pruning, a late void for the forgotten order is UNKNOWN_ORDER."""
    # O1 booked and cancelled on day 0, then stock arrives on day 31
    state = applied(new_order("O1", 3), cancelled_order("O1"), received_manually(5, at=31 * DAY_MS))
    # a void for O1 arrives on day 32
    assert RejectionReason.UNKNOWN_ORDER == rejection(state, voided("O1", at=32 * DAY_MS))


def test_booked_orders_are_never_forgotten() -> None:
    """An open order is kept however old; only closed orders are pruned."""
    # O1 booked on day 0, O2 booked and cancelled on day 0
    state = applied(new_order("O1", 3), new_order("O2", 1), cancelled_order("O2"))
    # a refresh a year later
    state = applied(refresh(at=365 * DAY_MS), state=state)
    assert {"O1": Order("W1", 3, OrderState.BOOKED)} == dict(state.orders)


def test_the_retention_is_an_argument_of_apply() -> None:
    """closed_order_retention_ms sets how long closed orders are kept."""
    # O1 booked and cancelled at t=0, with a retention of 10 ms
    state = applied(new_order("O1", 3), cancelled_order("O1"), closed_order_retention_ms=10)
    # an event at t=11
    state = applied(refresh(at=11), state=state, closed_order_retention_ms=10)
    assert 0 == len(state.orders)
