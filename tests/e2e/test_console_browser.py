"""The operators' web console end to end, in a real headless browser: Debian's chromium driven by
Playwright, against a real worker (with viewer and operator tokens), the broker and the simulated
marketplace.

An operator signs in, searches the Sync Recording page, opens a SKU's records, filters the Push
Record page down to a FAILED record (the marketplace refused its push), re-pushes it and sees its
listing's status change, watches a new record appear without reloading, and reads the Stock page
now and at a point picked on its chart; a viewer sees the same pages without a re-push button.

Screenshots go to $STOCKSYNC_SCREENSHOTS_DIR (the README's come from `docs/`), else to the test's
temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import SaleShipped, StockReceivedManually
from stocksync.domain.sync import ConnectorSettings, Store
from stocksync.settings import Settings
from tests.conftest import WorkerFactory
from tests.e2e.history_client import every_page
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import (
    T0,
    Events,
    listing_shows,
    publish,
    rule,
    running_marketplace,
    store,
    wait_for_config,
)
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

VIEWER, OPERATOR = "console-viewer-3d1f", "console-operator-8b2e"
# This machine's browser: Debian's chromium, run as root in a container without a GPU.
CHROMIUM_FLAGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"]
WAIT_MS = 30_000  # for what the live pages show after the pipeline acted


def chromium_path() -> str:
    found = os.environ.get("STOCKSYNC_CHROMIUM") or shutil.which("chromium")
    assert found, "chromium is not installed: `make test` installs it (apt-get install chromium)"
    return found


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("STOCKSYNC_SCREENSHOTS_DIR") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=50.0) as process:
        yield process


@pytest.fixture(scope="module")
def worker(topics: Settings, marketplace: MarketplaceProcess) -> Iterator[WorkerProcess]:
    settings = topics.with_overrides(api_tokens=f"viewer:{VIEWER},operator:{OPERATOR}")
    writer = ConfigWriter(settings)
    writer.put_store(store("C1", marketplace))
    writer.put_store(Store("C2", "C2 lazada", "lazada",
                           ConnectorSettings("simulated", (("base_url", marketplace.url),),
                                             requests_per_second=20.0)))
    writer.put_rule(rule("console", "WH-C", ["C1", "C2"]))
    factory = WorkerFactory(settings)
    try:
        started = factory.start("console", wait=False)
        started.token = OPERATOR
        started.wait_until_serving()
        wait_for_config(started, settings)
        yield started
    finally:
        factory.stop_all()


def records(worker: WorkerProcess, **params: str) -> list[dict]:
    return every_page(worker, "/sync-records", params, "records", limit=100) or []


def settled(worker: WorkerProcess, sku: str, count: int) -> list[dict]:
    """The SKU's `count` records once none is PENDING."""
    def done() -> list[dict] | None:
        found = records(worker, merchant_sku=sku)
        return found if len(found) == count and all(
            r["status"] != "PENDING" for r in found) else None

    return eventually(done, timeout_s=60, what=f"{count} settled records of {sku}")


@pytest.fixture(scope="module")
def failed(worker: WorkerProcess, topics: Settings, marketplace: MarketplaceProcess) -> dict:
    """CA on C1 and C2, CB on C1; CA-1's second push refused (401: AUTH_EXPIRED). The FAILED
    record."""
    a, b = Events("CA", "WH-C"), Events("CB", "WH-C")
    publish(topics, [a(StockReceivedManually, qty=20), a.mapped("C1", "CA-1"),
                     a.mapped("C2", "CA-2"), b(StockReceivedManually, qty=5),
                     b.mapped("C1", "CB-1")])
    listing_shows(marketplace, "C1", "CA-1", 20)
    listing_shows(marketplace, "C2", "CA-2", 20)
    listing_shows(marketplace, "C1", "CB-1", 5)
    settled(worker, "CA", 2), settled(worker, "CB", 1)
    marketplace.post("/admin/fail", {"store_id": "C1", "store_sku": "CA-1", "status": 401,
                                     "times": 1})
    publish(topics, [a(SaleShipped, qty=3)])
    found = settled(worker, "CA", 4)
    (record,) = [r for r in found if r["status"] == "FAILED"]
    assert ("CA-1", 17, "AUTH_EXPIRED") == (record["store_sku"], record["after_qty"],
                                            record["failure_code"])
    listing_shows(marketplace, "C2", "CA-2", 17)
    return record


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def signed_in(browser: Browser, worker: WorkerProcess, token: str) -> Page:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{worker.url}/console")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    expect(page.locator("#nav")).to_be_visible()
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_the_series_and_session_routes(worker: WorkerProcess, failed: dict) -> None:
    """What the Stock page's chart and the console's sign-in read."""
    status, series = worker.get("/stock/CA/series")
    assert 200 == status, series
    assert [20, 17] == [p["available"] for p in series["points"]]
    assert [{"WH-C": 20}, {"WH-C": 17}] == [p["warehouses"] for p in series["points"]]
    assert series["truncated"] is False
    second = series["points"][1]["log_time"]
    status, since = worker.get(f"/stock/CA/series?since={second}")
    assert (200, [17]) == (status, [p["available"] for p in since["points"]])
    status, limited = worker.get("/stock/CA/series?limit=1")
    assert (200, [17], True) == (status, [p["available"] for p in limited["points"]],
                                 limited["truncated"])
    assert 404 == worker.get("/stock/NO-SUCH-SKU/series")[0]
    assert 400 == worker.get("/stock/CA/series?colour=red")[0]
    assert (200, "operator") == (lambda s, b: (s, b["role"]))(*worker.get("/session"))
    worker.token = VIEWER
    try:
        assert {"role": "viewer", "can_change": False, "time_zone": "UTC"} == \
            worker.get("/session")[1]
    finally:
        worker.token = OPERATOR


def test_an_operator_filters_and_re_pushes_a_failed_record(
        browser: Browser, worker: WorkerProcess, topics: Settings,
        marketplace: MarketplaceProcess, failed: dict, shots: Path) -> None:
    page = signed_in(browser, worker, OPERATOR)
    expect(page.locator("#who")).to_have_text("operator")

    # Sync Recording: a row per SKU, searchable; CA's latest sync FAILED on CA-1.
    page.goto(f"{worker.url}/console#/recording")
    expect(page.locator("tr[data-sku]")).to_have_count(2)
    expect(page.locator("tr[data-sku=CA] .badge")).to_have_text("Failed")
    page.screenshot(path=str(shots / "console-sync-recording.png"), full_page=True)
    page.fill("input[name=q]", "cb")
    expect(page.locator("tr[data-sku]")).to_have_count(1)
    expect(page.locator("tr[data-sku=CB]")).to_be_visible()
    page.fill("input[name=q]", "")
    page.click("tr[data-sku=CA] a.button")

    # The SKU's every record, with the columns of PRODUCT.md §3.
    expect(page.locator("table.records tbody tr")).to_have_count(4)
    failed_row = page.locator(f"table.records tr[data-record-id='{failed['record_id']}']")
    expect(failed_row).to_contain_text("Auth expired")
    expect(failed_row).to_contain_text("8 Stock-Out / Sale")
    expect(failed_row).to_contain_text(failed["cause_event_id"])
    expect(page.locator("table.records thead")).to_contain_text("Before")
    page.screenshot(path=str(shots / "console-sku-records.png"), full_page=True)

    # Push Record: filters by store, marketplace and failure reason, from the address too.
    page.goto(f"{worker.url}/console#/push?range=today")
    expect(page.locator("table.records tbody tr")).to_have_count(5)
    page.select_option("select[name=store_id]", "C2")
    expect(page).to_have_url(re.compile(r"store_id=C2"))
    expect(page.locator("table.records tbody tr")).to_have_count(2)
    expect(page.locator("table.records tbody")).not_to_contain_text("CA-1")
    page.goto(f"{worker.url}/console#/push?range=today&marketplace=lazada&status=SUCCESSFULLY")
    expect(page.locator("table.records tbody tr")).to_have_count(2)
    expect(page.locator("table.records tbody")).not_to_contain_text("CA-1")
    # This week holds today's records; a custom range after them holds none.
    page.click("button[data-range=week]")
    expect(page).to_have_url(re.compile(r"range=week"))
    expect(page.locator("table.records tbody tr")).to_have_count(2)
    later = int(time.time() * 1000) + 3_600_000
    page.goto(f"{worker.url}/console#/push?range=custom&since={later}")
    expect(page.locator("input[name=since]")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No push record matches.")
    page.goto(f"{worker.url}/console#/push?range=today")
    page.select_option("select[name=failure_reason]", "AUTH_EXPIRED")
    expect(page).to_have_url(re.compile(r"failure_reason=AUTH_EXPIRED"))
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    group = page.locator("details.group[data-failure=AUTH_EXPIRED]")
    expect(group).to_contain_text("1 record · 1 listing")
    grouped = group.locator(f"tr[data-record-id='{failed['record_id']}']")
    expect(grouped.locator("td.now")).to_have_attribute("data-now", "FAILED")
    expect(page.locator("select[name=failure_reason]")).to_have_value("AUTH_EXPIRED")
    page.screenshot(path=str(shots / "console-push-record-failed.png"), full_page=True)

    # Re-push: the listing gets its current quantity; the page shows the listing's new status
    # by itself.
    grouped.locator("button[data-repush]").click()
    expect(page.locator("#toast")).to_contain_text("Re-push queued for 1 listing")
    expect(grouped.locator("td.now")).to_have_attribute("data-now", "SUCCESSFULLY")
    expect(grouped.locator("td.now")).to_contain_text("resolved by a later push")
    listing_shows(marketplace, "C1", "CA-1", 17)
    page.screenshot(path=str(shots / "console-push-record-repushed.png"), full_page=True)

    # The store SKU's latest records: the PUSH_NOW record on top, its push successful.
    grouped.locator("a", has_text="CA-1").click()
    expect(page.locator("[data-field=last_push_status] .badge")).to_have_text("Successfully")
    expect(page.locator("[data-field=last_push_qty]")).to_have_text("17")
    top = page.locator("table.records tbody tr").first
    expect(top).to_contain_text("16 Push Now")
    expect(top).to_have_attribute("data-status", "SUCCESSFULLY")

    # Live: a new record appears on the Push Record page without a reload.
    page.goto(f"{worker.url}/console#/push?range=today&merchant_sku=CB")
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")
    publish(topics, [StockReceivedManually(event_id="CB-live", merchant_sku="CB",
                                           warehouse_id="WH-C", occurred_at=T0 + 100,
                                           source="test", qty=2)])
    expect(page.locator("table.records tbody tr")).to_have_count(2)
    newest = page.locator("table.records tbody tr").first
    expect(newest).to_contain_text("2 Stock-In / Manual")
    expect(newest).to_have_attribute("data-status", "SUCCESSFULLY")
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#live-text")).to_contain_text("live")

    # Stock: now, and at the first point of the chart (before the sale).
    page.goto(f"{worker.url}/console#/stock/CA")
    expect(page.locator("tfoot [data-field=available]")).to_have_text("17")
    points = page.locator("svg.chart circle.point")
    expect(points).to_have_count(2)
    page.screenshot(path=str(shots / "console-stock.png"), full_page=True)
    points.first.click()
    expect(page.locator("[data-field=stock-title]")).to_contain_text("As of")
    expect(page.locator("tfoot [data-field=available]")).to_have_text("20")
    expect(page.locator("svg.chart line.marker")).to_have_count(1)
    page.click("button[data-action=now]")
    expect(page.locator("tfoot [data-field=available]")).to_have_text("17")
    assert [] == page.errors  # type: ignore[attr-defined]


def test_a_viewer_sees_no_re_push_button(browser: Browser, worker: WorkerProcess,
                                         failed: dict, shots: Path) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{worker.url}/console")
    page.fill("#token", "not-a-token")
    page.click("#login button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("not valid")
    expect(page.locator("#nav")).to_be_hidden()
    assert 0 == page.evaluate("sessionStorage.length")  # a refused token is not kept

    page = signed_in(browser, worker, VIEWER)
    expect(page.locator("#who")).to_have_text("viewer · read only")
    page.goto(f"{worker.url}/console#/push?range=today&failure_reason=AUTH_EXPIRED")
    group = page.locator("details.group[data-failure=AUTH_EXPIRED]")
    expect(group.locator(f"tr[data-record-id='{failed['record_id']}']")).to_be_visible()
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    expect(page.locator("select[name=failure_reason]")).to_have_value("AUTH_EXPIRED")
    for hidden in ("button[data-repush]", "button[data-repush-group]", "input[type=checkbox]"):
        expect(page.locator(hidden)).to_have_count(0)
    page.screenshot(path=str(shots / "console-viewer.png"), full_page=True)
    page.goto(f"{worker.url}/console#/recording/CA")
    expect(page.locator(f"tr[data-record-id='{failed['record_id']}']")).to_be_visible()
    expect(page.locator("button[data-repush]")).to_have_count(0)
    # Signing out forgets the token.
    page.click("#sign-out")
    expect(page.locator("#login")).to_be_visible()
    assert 0 == page.evaluate("sessionStorage.length")
    page.reload()
    expect(page.locator("#login")).to_be_visible()
    assert [] == page.errors  # type: ignore[attr-defined]
