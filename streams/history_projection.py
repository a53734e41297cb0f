"""Projects the sync history (`sync-records`, on the merchant SKU's partition) into the operators'
views: the Sync Recording row of each merchant SKU and the Push Record page of each listing.

Both views are tables restored from their changelogs, and rebuildable from `sync-records` alone:
applying a record twice, or records out of order, gives the same view (projections.views).
"""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from stocksync.logs import get_logger
from stocksync.projections.view_codec import (
    decode_listing_history,
    decode_sku_summary,
    encode_listing_history,
    encode_sku_summary,
)
from stocksync.projections.views import apply_to_listing, apply_to_summary
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import decode_sync_record, sync_record_to_avro
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, Role
from stocksync.topics import SYNC_RECORDS
from stocksync.streams.fold_io import RAW

log = get_logger(__name__)


def listing_key(store_id: str, store_sku: str) -> bytes:
    return f"{store_id}\x00{store_sku}".encode()


def register_history_projection(app: faust.App, settings: Settings, guard: Guard) -> None:
    records = app.topic(settings.topic(SYNC_RECORDS.name), internal=False, **RAW)
    summaries = app.Table("sync-recording", partitions=settings.partitions, key_type=bytes,
                          value_type=bytes)
    listings = app.Table("push-records", partitions=settings.partitions, key_type=bytes,
                         value_type=bytes)

    @app.agent(records, name="project-history")
    async def project_history(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if event.message.value is None:
                continue
            try:
                record = decode_sync_record(event.message.value)
            except EventDecodeError:
                log.exception("sync_record_undecodable", offset=event.message.offset)
                continue
            sku_key = record.merchant_sku.encode()
            raw = summaries.get(sku_key)
            summaries[sku_key] = encode_sku_summary(
                apply_to_summary(decode_sku_summary(raw) if raw else None, record))
            key = listing_key(record.store_id, record.store_sku)
            raw = listings.get(key)
            listings[key] = encode_listing_history(
                apply_to_listing(decode_listing_history(raw) if raw else None, record))

    @app.page("/sync-recording/{sku}")
    class SyncRecordingView(View):
        @guard.requires(Role.VIEWER)
        @app.table_route(table=summaries, match_info="sku")
        async def get(self, request: Request, sku: str) -> Response:
            raw = summaries.get(sku.encode())
            if raw is None:
                return self.json({"error": "no sync record for this merchant SKU",
                                  "merchant_sku": sku}, status=404)
            summary = decode_sku_summary(raw)
            return self.json({
                "merchant_sku": summary.merchant_sku, "title": summary.title,
                "last_sync_qty": summary.last_sync_qty,
                "last_sync_time": summary.last_sync_time,
                "last_sync_status": summary.last_sync_status.value,
                "latest": sync_record_to_avro(summary.latest),
            })

