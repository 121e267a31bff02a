"""One HTTP server on a free 127.0.0.1 port that serves the active scenario's pages.

Routing is protocol-agnostic: the request (URL, headers, body; a CBOR body also decoded) is
searched for the scenario's page markers; no marker means page 1."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from conformance.synth import Scenario
from pagetape.wire import serialize as wire


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall
    server: ConformanceServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.answer(self.path, dict(self.headers), body)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("x-amzn-RequestId", wire.REQUEST_ID)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class ConformanceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self._lock = threading.Lock()
        self._scenario: Scenario | None = None
        self._wire: dict[int, wire.Response] = {}
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> ConformanceServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()

    @contextlib.contextmanager
    def serving(self, scenario: Scenario) -> Iterator[None]:
        """Serve SCENARIO's pages until the block ends (pages are serialized up front, so a
        serializer bug surfaces here, in the harness, not as a pagetape failure)."""
        encoded = {
            number: wire.serialize(scenario.protocol, scenario.op, page)
            for number, page in enumerate(scenario.pages, start=1)
        }
        with self._lock:
            self._scenario, self._wire = scenario, encoded
        try:
            yield
        finally:
            with self._lock:
                self._scenario, self._wire = None, {}

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> wire.Response:
        with self._lock:
            scenario, encoded = self._scenario, self._wire
        if scenario is None:
            return wire.error("json", 400, "ConformanceHarnessError", "no scenario is being served")
        text = "\n".join([path, *(f"{k}: {v}" for k, v in headers.items())])
        text += "\n" + body.decode("latin-1")
        if body and "cbor" in headers.get("Content-Type", headers.get("content-type", "")):
            text += "\n" + _cbor_text(body)
        page = 1
        for number in sorted(scenario.markers, reverse=True):
            marker, integer = scenario.markers[number]
            if marker in text or re.search(rf"(?<!\d){integer}(?!\d)", text):
                page = number
                break
        scenario.served.append(page)
        return encoded[page]


def _cbor_text(body: bytes) -> str:
    import cbor2

    try:
        return json.dumps(cbor2.loads(body), default=str)
    except Exception:
        return ""
