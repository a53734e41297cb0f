"""Structured logging: key-value events, a console renderer on a TTY, JSON lines otherwise.

Faust, aiokafka and kafka-python log through the standard library; their records are rendered by
the same structlog processors so that one process writes one format.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

import structlog

_SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


MASK = "********"


class _MaskingFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders a record, then masks every known secret wherever it appears in the line."""

    def __init__(self, *args: object, secrets: Iterable[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._secrets = tuple(secret for secret in secrets if secret)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, MASK)
        return line


def configure_logging(fmt: str = "auto", level: str = "info",
                      secrets: Iterable[str] = ()) -> None:
    """Route structlog and stdlib logging to stderr in one format; `secrets` (the settings' own,
    known at start) are masked in every line, whoever logs them."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    formatter = _MaskingFormatter(
        secrets=secrets,
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka reports every transient coordinator hiccup at WARNING/ERROR during start-up;
    # kafka-python's admin client logs its whole configuration, SASL password included, at DEBUG.
    logging.getLogger("aiokafka").setLevel(max(root.level, logging.WARNING))
    logging.getLogger("kafka").setLevel(max(root.level, logging.WARNING))
    structlog.configure(
        processors=[
            # First: a line below the level costs a level check, not the whole chain (the
            # push path logs every push at debug).
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
