"""The schema files shipped in ``stocksync.schemas``: current event schemas and released versions.

Layout (the contract for other languages):
- ``avro/<RecordName>.avsc``: the current schema of each event record, plus ``avro/Reason.avsc``;
- ``history/<RecordName>/v<N>.avsc``: every released version. A changed schema is released as a new
  ``vN``; the current schema always equals one released version.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from importlib.abc import Traversable
from typing import Any

SCHEMA_PACKAGE = "stocksync.schemas"
EVENT_NAMESPACE = "io.stocksync.events"
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")

Schema = dict[str, Any]


def _root() -> Traversable:
    return resources.files(SCHEMA_PACKAGE)


def _load(path: Traversable) -> Schema:
    return json.loads(path.read_text(encoding="utf-8"))


def current_event_schemas() -> dict[str, Schema]:
    """Record name -> current schema, for every event record in ``avro/``."""
    schemas = {}
    for path in sorted(_root().joinpath("avro").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".avsc"):
            schema = _load(path)
            if schema.get("type") == "record":
                schemas[schema["name"]] = schema
    return schemas


def released_event_schemas() -> dict[str, dict[int, Schema]]:
    """Record name -> version number -> released schema, for every folder in ``history/``."""
    released: dict[str, dict[int, Schema]] = {}
    for folder in sorted(_root().joinpath("history").iterdir(), key=lambda p: p.name):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = _VERSION_FILE.match(path.name)
            if match:
                released.setdefault(folder.name, {})[int(match.group(1))] = _load(path)
    return {name: dict(sorted(versions.items())) for name, versions in released.items()}


def reason_schema() -> Schema:
    """The ``io.stocksync.Reason`` enum (``avro/Reason.avsc``)."""
    return _load(_root().joinpath("avro", "Reason.avsc"))
