"""The CLI's worker commands run against a fake worker; see `fake_worker`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.fake_worker import FakeWorker, serve


@pytest.fixture
def worker() -> Iterator[FakeWorker]:
    yield from serve(FakeWorker(""))
