"""MemoryConnector: the in-memory twin of a marketplace behind the connector port."""

from stocksync.connectors import MemoryConnector, OutcomeKind, PushOutcome, PushRequest
from stocksync.domain.sync import FailureCode

from .helpers import run


def test_it_sets_the_quantity_of_a_listing() -> None:
    """A push sets the listing's quantity and counts its key as applied once."""
    connector = MemoryConnector({"SKU-1": 3})
    outcome = run(connector.set_quantity(PushRequest("R1", "SKU-1", 9, 3)))
    assert PushOutcome.ok() == outcome
    assert {"SKU-1": 9} == connector.quantities
    assert {"R1": 1} == dict(connector.applied)


def test_a_repeated_idempotency_key_is_applied_once() -> None:
    """The same key again gets the first answer and changes nothing, even with another qty."""
    connector = MemoryConnector()

    async def scenario() -> list[PushOutcome]:
        first = await connector.set_quantity(PushRequest("R1", "SKU-1", 5))
        connector.quantities["SKU-1"] = 4  # a sale on the marketplace meanwhile
        again = await connector.set_quantity(PushRequest("R1", "SKU-1", 5))
        return [first, again]

    assert [PushOutcome.ok(), PushOutcome.ok()] == run(scenario())
    assert ({"SKU-1": 4}, {"R1": 1}) == (connector.quantities, dict(connector.applied))


def test_a_stale_last_pushed_qty_is_a_conflict() -> None:
    """Compare and swap: a listing that no longer shows the last pushed qty is not overwritten."""
    connector = MemoryConnector({"SKU-1": 2})
    outcome = run(connector.set_quantity(PushRequest("R1", "SKU-1", 9, last_pushed_qty=3)))
    assert (OutcomeKind.FAILED, FailureCode.CONFLICT) == (outcome.kind, outcome.failure_code)
    assert {"SKU-1": 2} == connector.quantities


def test_an_unknown_listing_is_not_found_when_only_known_listings_exist() -> None:
    """With known_listings_only, a push to an unknown SKU fails LISTING_NOT_FOUND."""
    connector = MemoryConnector({"SKU-1": 2}, known_listings_only=True)
    outcome = run(connector.set_quantity(PushRequest("R1", "SKU-2", 9)))
    assert FailureCode.LISTING_NOT_FOUND == outcome.failure_code


def test_a_failing_listing_fails_for_the_given_number_of_pushes() -> None:
    """fail_listing(times=2): two failures with the code, then the listing works again."""
    connector = MemoryConnector()
    connector.fail_listing("SKU-1", FailureCode.AUTH_EXPIRED, "token expired", times=2)

    async def scenario() -> list[PushOutcome]:
        return [await connector.set_quantity(PushRequest(f"R{i}", "SKU-1", i)) for i in range(3)]

    failed = PushOutcome.failed(FailureCode.AUTH_EXPIRED, "token expired")
    assert [failed, failed, PushOutcome.ok()] == run(scenario())


def test_rate_limiting_answers_transient_with_retry_after() -> None:
    """rate_limit(): the next push is a transient RATE_LIMITED carrying the Retry-After."""
    connector = MemoryConnector()
    connector.rate_limit(times=1, retry_after=1.5)
    outcome = run(connector.set_quantity(PushRequest("R1", "SKU-1", 1)))
    assert (OutcomeKind.TRANSIENT, FailureCode.RATE_LIMITED, 1.5) == (
        outcome.kind, outcome.failure_code, outcome.retry_after)
    assert {} == connector.quantities
