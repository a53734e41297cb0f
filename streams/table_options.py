"""RocksDB settings for every table partition of a worker.

faust opens one RocksDB database per table and partition (standby partitions included) with
64 MiB write buffers, up to 3 of them, and a block cache of its own of 2 GiB: a worker with a
dozen tables over several partitions has no memory bound a machine could meet, and its
resident memory grew with every write until the buffers filled (99 to 454 MiB in the 10-minute
slow-marketplace run, the same with the marketplace answering). Small buffers and caches bound
it; tables are read by key, and a SKU's hot state is cached decoded in the fold anyway.
"""

from __future__ import annotations

from typing import Any

MIB = 1024 * 1024
WRITE_BUFFER_BYTES = 4 * MIB
MAX_WRITE_BUFFERS = 2
BLOCK_CACHE_BYTES = 8 * MIB


def bytes_table(app: Any, name: str, partitions: int, **extra: Any) -> Any:
    """A faust table of raw bytes keys and values, with these RocksDB settings (every table of
    the worker is one: its values are encoded by their owners)."""
    return app.Table(name, partitions=partitions, key_type=bytes, value_type=bytes,
                     options=rocksdb_options(), **extra)


def rocksdb_options() -> dict[str, Any]:
    """A new dict each time: faust pops its keys."""
    return {"write_buffer_size": WRITE_BUFFER_BYTES, "max_write_buffer_number": MAX_WRITE_BUFFERS,
            "block_cache_size": BLOCK_CACHE_BYTES, "block_cache_compressed_size": BLOCK_CACHE_BYTES}
