"""Log lines: JSON off a TTY, and a line below the level skips the processors."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import structlog
from stocksync.logs import configure_logging
configure_logging('json', 'info')
calls = []
def count(logger, method, event):
    calls.append(method)
    return event
structlog.configure(processors=[*structlog.get_config()['processors'][:1], count,
                                *structlog.get_config()['processors'][1:]])
log = structlog.get_logger('ours')
for _ in range(1000):
    log.debug('pushed', qty=1)
log.info('pushed', qty=2)
print(len(calls))
"""


def test_a_line_below_the_level_is_dropped_before_the_processors_run() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=60, check=True)
    lines = result.stderr.splitlines()
    assert 1 == len(lines)
    assert {"event": "pushed", "qty": 2, "level": "info", "logger": "ours"}.items() <= (
        json.loads(lines[0]).items())
    assert "1" == result.stdout.strip()  # the info line only
