"""The config relay: the one agent that reads the `config` topic (one partition, so one worker)
and turns every change into a full configuration snapshot in every stock-events partition.

It keeps the configuration in a table (recovered from its changelog after a restart); the
snapshot's version is the config record's offset, so a redelivered change yields a snapshot that
every partition has applied already and ignores.
"""

from __future__ import annotations

from typing import Any

import faust

from stocksync.config_admin import PushConfig, apply_config_record
from stocksync.logs import get_logger
from stocksync.schemas.push_codec import ConfigSnapshot
from stocksync.settings import Settings
from stocksync.streams.control import broadcast, refresh_request
from stocksync.topics import CONFIG
from stocksync.streams.fold_io import RAW
from stocksync.streams.in_sequence import in_sequence_from_group
from stocksync.streams.table_options import bytes_table

log = get_logger(__name__)


def register_config_relay(app: faust.App, settings: Settings, stock_events: Any) -> None:
    config_topic = app.topic(settings.topic(CONFIG.name), internal=False, **RAW)
    config_table = bytes_table(app, "config", 1)

    sequence = in_sequence_from_group(app, settings, config_topic.get_topic_name(), "config")

    @app.agent(config_topic, name="relay-config")
    async def relay_config(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if not await sequence.takes(event):
                continue
            message = event.message
            if message.value is None:
                if message.key in config_table:
                    del config_table[message.key]
            else:
                config_table[message.key] = message.value
            snapshot = _snapshot(config_table, version=message.offset)
            await broadcast(stock_events, settings.partitions, snapshot)
            log.info("config_relayed", version=message.offset, key=message.key.decode(),
                     stores=len(snapshot.stores), rules=len(snapshot.rules))

    @app.timer(settings.refresh_interval_s, on_leader=True)
    async def periodic_refresh() -> None:
        request = refresh_request()
        await broadcast(stock_events, settings.partitions, request)
        log.info("refresh_broadcast", control_id=request.control_id)


def _snapshot(config_table: Any, version: int) -> ConfigSnapshot:
    config = PushConfig()
    for key, value in config_table.items():
        apply_config_record(config, key, value)
    return ConfigSnapshot(control_id=f"config-{version}", version=version,
                          stores=tuple(config.stores.values()),
                          rules=tuple(config.rules.values()))
