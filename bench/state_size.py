"""Bytes of state per SKU, from the stock table's changelog: the latest value of every SKU key
(what a worker holds and restores for it), averaged."""

from __future__ import annotations

from stocksync.settings import Settings
from stocksync.streams.fold_io import is_sku_key
from stocksync.topic_reader import read_to_end


def stock_value_bytes(settings: Settings) -> float:
    latest: dict[bytes, int] = {}
    changelog = f"{settings.app_id}-stock-changelog"  # faust's name: {app id}-{table}-changelog
    for message in read_to_end(settings, changelog, timeout_s=600):
        if message.key is not None and is_sku_key(message.key):
            latest[message.key] = len(message.value or b"")
    if not latest:
        raise RuntimeError(f"{changelog} holds no SKU state")
    return sum(latest.values()) / len(latest)
