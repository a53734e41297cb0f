"""A stand-in for a worker's HTTP API: canned JSON answers on 127.0.0.1, every request kept."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    method: str
    raw_path: str  # as sent, still percent-encoded
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


Answer = tuple[int, Any]


@dataclass
class FakeWorker:
    url: str
    requests: list[Seen] = field(default_factory=list)
    _answers: dict[tuple[str, str], Callable[[Seen], Answer]] = field(default_factory=dict)

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        """Answer `method path` (decoded path, any query) with `body`."""
        self._answers[(method, path)] = lambda _: (status, body)

    def answer_with(self, method: str, path: str, reply: Callable[[Seen], Answer]) -> None:
        self._answers[(method, path)] = reply

    def reply(self, seen: Seen) -> Answer:
        self.requests.append(seen)
        found = self._answers.get((seen.method, seen.path))
        return found(seen) if found else (404, {"error": f"no fake answer for {seen.path}"})


def _handler(worker: FakeWorker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            status, body = worker.reply(Seen(
                self.command, url.path, urllib.parse.unquote(url.path), query,
                json.loads(raw) if raw else None, self.headers.get("Authorization")))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
            pass

    return Handler


def serve(fake: FakeWorker) -> Iterator[FakeWorker]:
    """Serves `fake` on a free port of 127.0.0.1 until the generator is closed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown waits for one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
