"""Every worker's own view of the stores, for its connectors: a consumer with no group that reads
the compacted `config` topic from its start and follows it. (Not faust's GlobalTable, whose
recovery loops when several workers share it; decisions on quantities never use this view: they
use the snapshots in the stock-events log.)"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

from stocksync.config_admin import PushConfig, apply_config_record
from stocksync.domain.sync import Store
from stocksync.kafka_security import client_options
from stocksync.logs import get_logger
from stocksync.settings import Settings
from stocksync.topics import CONFIG

log = get_logger(__name__)


class ConfigFollower:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.config = PushConfig()
        self.caught_up = asyncio.Event()

    def store(self, store_id: str) -> Store | None:
        return self.config.stores.get(store_id)

    async def store_soon(self, store_id: str, wait_s: float = 5.0) -> Store | None:
        """The store, waiting a little if it is not known yet: a command can reach a connector
        shortly before the config change that added its store does."""
        deadline = asyncio.get_running_loop().time() + wait_s
        while (store := self.store(store_id)) is None:
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.1)
        return store

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(**client_options(self._settings),
                                    enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            partition = TopicPartition(self._settings.topic(CONFIG.name), 0)
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            end = (await consumer.end_offsets([partition]))[partition]
            if end == 0:
                self.caught_up.set()
            while True:
                batches = await consumer.getmany(partition, timeout_ms=500)
                for record in batches.get(partition, []):
                    apply_config_record(self.config, record.key, record.value)
                    if record.offset + 1 >= end:
                        self.caught_up.set()
                if batches:
                    log.info("config_followed", stores=len(self.config.stores),
                             rules=len(self.config.rules))
        finally:
            await consumer.stop()
