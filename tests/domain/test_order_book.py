"""OrderBook: the persistent map of orders behind SkuStock.orders."""

from __future__ import annotations

import pickle
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain import orders as orders_module
from stocksync.domain.orders import EMPTY_ORDER_BOOK, Order, OrderBook, OrderState

BOOKED, SHIPPED = OrderState.BOOKED, OrderState.SHIPPED


def shipped_at(at: int) -> Order:
    return Order("W1", 1, SHIPPED, closed_at=at)


def is_closed_before(order: Order, cutoff: int) -> bool:
    return order.closed_at is not None and order.closed_at < cutoff


def test_set_returns_a_new_book_and_leaves_the_old_one_alone() -> None:
    """set gives a book with the order; the book it was called on is unchanged."""
    # an empty book, then O1 booked in a new book
    book = EMPTY_ORDER_BOOK.set("O1", Order("W1", 2, BOOKED))
    assert ({}, {"O1": Order("W1", 2, BOOKED)}) == (dict(EMPTY_ORDER_BOOK), dict(book))


def test_pruning_drops_only_orders_closed_before_the_cutoff() -> None:
    """pruned(cutoff) drops closed orders with closed_at < cutoff and keeps open ones."""
    # O1 closed at 5, O2 closed at 10, O3 open
    book = OrderBook({"O1": shipped_at(5), "O2": shipped_at(10), "O3": Order("W1", 1, BOOKED)})
    # prune before 10
    assert {"O2", "O3"} == set(book.pruned(10))


def test_pruning_with_nothing_due_returns_the_same_book() -> None:
    """pruned returns the very same book while no closed order is due."""
    # O1 closed at 5
    book = OrderBook({"O1": shipped_at(5)})
    assert book is book.pruned(5)


def test_a_big_book_behaves_as_a_dict() -> None:
    """Thousands of orders (spread over many shards) read, prune and compare as a dict would."""
    # 3000 orders, closed at 0..2999
    model = {f"O{n}": shipped_at(n) for n in range(3000)}
    book = EMPTY_ORDER_BOOK
    for order_id, order in model.items():
        book = book.set(order_id, order)
    # prune those closed before 1000
    pruned = book.pruned(1000)
    assert (model, 3000) == (dict(book), len(book))
    assert {k: v for k, v in model.items() if (v.closed_at or 0) >= 1000} == pruned
    assert pruned == OrderBook(dict(pruned))


def test_a_book_pickles() -> None:
    """A book survives pickling (the stock table may store states that way)."""
    # a book of 300 orders
    book = OrderBook({f"O{n}": shipped_at(n) for n in range(300)})
    assert book == pickle.loads(pickle.dumps(book))


orders = st.builds(
    lambda state, at: Order("W1", 1, state, None if state is BOOKED else at),
    st.sampled_from(OrderState), st.integers(0, 100))
operations = st.lists(
    st.tuples(st.just("set"), st.integers(0, 30).map(lambda n: f"O{n}"), orders)
    | st.tuples(st.just("prune"), st.integers(0, 100)),
    max_size=60,
)


@settings(max_examples=100, deadline=None)
@given(operations)
def test_a_book_matches_a_dict_under_any_sets_and_prunes(ops: list[tuple[Any, ...]]) -> None:
    """With tiny shards, any sequence of set and pruned keeps the book equal to a plain dict."""
    with mock.patch.object(orders_module, "_SHARD_TARGET", 2):
        book, model = EMPTY_ORDER_BOOK, dict[str, Order]()
        history: list[tuple[OrderBook, dict[str, Order]]] = []
        for op in ops:
            if op[0] == "set":
                book, model = book.set(op[1], op[2]), {**model, op[1]: op[2]}
            else:
                book = book.pruned(op[1])
                model = {k: o for k, o in model.items() if not is_closed_before(o, op[1])}
            history.append((book, model))
        # every book ever made still reads as its model did
        for old_book, old_model in history:
            assert old_model == dict(old_book)
            assert old_model == {k: old_book.get(k) for k in old_model}
            assert len(old_model) == len(old_book)
        assert book == OrderBook(model)
