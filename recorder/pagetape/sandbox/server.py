"""The sandbox HTTP endpoint: real AWS wire protocols for five paginated list operations.

One port serves all five operations: json-1.1 requests are routed by ``X-Amz-Target``,
rest-json requests by method and path, so an unmodified boto3 client pointed at
``endpoint_url`` cannot tell it from AWS.  Pagination tokens are stateless and HMAC-bound
to the account, the operation and the filters, so the same request always gets the same
bytes and a throttled request, retried, gets exactly the answer it would have got.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
import socket
import socketserver
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .data import (
    OPERATIONS,
    ApiError,
    SandboxAccount,
    SandboxOperation,
    build_account,
    validation_message,
    violation,
)

__all__ = ["Faults", "Sandbox"]

JSON_TARGETS: dict[str, tuple[str, str]] = {
    "AWSHawksNestServiceFacade.GetBatchPredictionJobs": ("frauddetector", "GetBatchPredictionJobs"),
    "AmazonPersonalize.ListBatchSegmentJobs": ("personalize", "ListBatchSegmentJobs"),
    "AmazonPersonalize.ListDataDeletionJobs": ("personalize", "ListDataDeletionJobs"),
}
REST_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/audience-generation-job"): ("cleanroomsml", "ListAudienceGenerationJobs"),
    ("GET", "/model-import-jobs"): ("bedrock", "ListModelImportJobs"),
}

_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_DENIED_PREFIX = "AKIADENIED"
_INVALID_TOKEN = "Invalid pagination token"


@dataclass
class Faults:
    """Injected failures; mutable while the server runs so one test can switch them on/off.

    Counts are over every request the server received (``Sandbox.request_count``).
    """

    throttle_every: int | None = None
    error_every: int | None = None
    fail_after: int | None = None


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_tag(account: SandboxAccount, spec: SandboxOperation, payload: bytes) -> bytes:
    scope = f"{spec.service}.{spec.operation}\n".encode()
    return hmac.new(account.token_key, scope + payload, hashlib.sha256).digest()[:18]


def encode_token(
    account: SandboxAccount, spec: SandboxOperation, fingerprint: str, offset: int
) -> str:
    """Opaque token that, like many real ones, carries account data (id, a bucket)."""
    body = {
        "accountId": account.account_id,
        "bucket": account.token_buckets[(spec.service, spec.operation)],
        "filters": fingerprint,
        "offset": offset,
    }
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_token_tag(account, spec, payload))}"


def decode_token(
    account: SandboxAccount, spec: SandboxOperation, token: str, fingerprint: str, total: int
) -> int:
    """Return the offset a token points at, refusing tampered, foreign or re-filtered ones."""
    invalid = ApiError(spec.token_error_code, _INVALID_TOKEN)
    if _TOKEN_RE.fullmatch(token) is None:
        raise invalid
    payload_text, tag_text = token.split(".")
    try:
        payload, tag = _unb64(payload_text), _unb64(tag_text)
    except (binascii.Error, ValueError):
        raise invalid from None
    if _b64(payload) != payload_text or _b64(tag) != tag_text:
        raise invalid
    if not hmac.compare_digest(tag, _token_tag(account, spec, payload)):
        raise invalid
    try:
        body = json.loads(payload)
    except ValueError:
        raise invalid from None
    offset = body.get("offset") if isinstance(body, dict) else None
    if (
        not isinstance(offset, int)
        or body.get("accountId") != account.account_id
        or body.get("filters") != fingerprint
        or not 0 < offset < total
    ):
        raise invalid
    return offset


def _request_id(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return str(uuid.UUID(bytes=digest.digest()[:16], version=4))


def _json_params(spec: SandboxOperation, body: bytes) -> dict[str, Any]:
    """Decode a json-1.1 body; wrong shapes are SerializationException like Coral answers."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        message = "Unable to parse the request body as JSON."
        raise ApiError("SerializationException", message) from None
    if not isinstance(data, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object.")
    params: dict[str, Any] = {}
    for name in ("maxResults", "nextToken", *spec.filters):
        value = data.get(name)
        if value is None:
            continue
        wants_int = name == "maxResults"
        ok = (
            (isinstance(value, int) and not isinstance(value, bool))
            if wants_int
            else (isinstance(value, str))
        )
        if not ok:
            kind = "an Integer" if wants_int else "a String"
            raise ApiError(
                "SerializationException",
                f"Value '{value}' at '{name}' can not be converted to {kind}",
            )
        params[name] = value
    return params


def _query_params(spec: SandboxOperation, query: str) -> dict[str, Any]:
    """Decode rest-json query parameters into typed values."""
    raw = parse_qs(query, keep_blank_values=True)
    params: dict[str, Any] = {}
    for name in ("maxResults", "nextToken", *spec.filters):
        if name not in raw:
            continue
        value = raw[name][0]
        if name == "maxResults":
            try:
                params[name] = int(value)
            except ValueError:
                message = validation_message([violation(value, name, "be a number")])
                raise ApiError(spec.validation_code, message) from None
        else:
            params[name] = value
    return params


class _Engine:
    """Turns one parsed HTTP request into a reply; no sockets, so it is easy to reason about."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def reply(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, n: int
    ) -> _Reply:
        url = urlsplit(path)
        target = headers.get("X-Amz-Target")
        key: tuple[str, str] | None
        if target is not None:
            rest = False
            key = JSON_TARGETS.get(target) if method == "POST" and url.path == "/" else None
        else:
            rest = True
            key = REST_ROUTES.get((method, url.path))
        spec = OPERATIONS.get(key) if key is not None else None
        request_id = _request_id(method, path, body)
        try:
            self._authorize(headers.get("Authorization"), spec)
            self._inject_faults(n)
            if spec is None:
                raise ApiError("UnknownOperationException", "Unknown operation.", 404)
            params = _query_params(spec, url.query) if rest else _json_params(spec, body)
            payload = self._page(spec, params)
        except ApiError as err:
            return self._error(err, rest, request_id)
        except Exception:  # a bug must look like AWS having a bad day, not a hung client
            internal = ApiError("InternalServerException", "Internal server error.", 500)
            return self._error(internal, rest, request_id)
        content_type = "application/json" if rest else "application/x-amz-json-1.1"
        data = json.dumps(payload, separators=(",", ":")).encode()
        return _Reply(200, {"Content-Type": content_type, "x-amzn-RequestId": request_id}, data)

    def _authorize(self, header: str | None, spec: SandboxOperation | None) -> None:
        if not header or not header.startswith("AWS4-HMAC-SHA256"):
            raise ApiError(
                "MissingAuthenticationTokenException", "Missing Authentication Token", 403
            )
        match = _AUTH_RE.match(header)
        if match is None:
            message = "Authorization header requires 'Credential' parameter."
            raise ApiError("IncompleteSignatureException", message, 403)
        if match.group(1).startswith(_DENIED_PREFIX):
            account = self.sandbox.account
            action = spec.iam_action if spec is not None else "this action"
            service = action.split(":", 1)[0]
            resource = f"arn:aws:{service}:{account.region}:{account.account_id}:*"
            message = (
                f"User: {account.denied_principal_arn} is not authorized to perform: {action} "
                f"on resource: {resource} because no identity-based policy allows the "
                f"{action} action"
            )
            raise ApiError("AccessDeniedException", message, 403)

    def _inject_faults(self, n: int) -> None:
        faults = self.sandbox.faults
        if faults.throttle_every and n % faults.throttle_every == 0:
            raise ApiError("ThrottlingException", "Rate exceeded", 429)
        if faults.error_every and n % faults.error_every == 0:
            message = "We encountered an internal error. Please try again."
            raise ApiError("InternalServerException", message, 500)

    def _page(self, spec: SandboxOperation, params: dict[str, Any]) -> dict[str, Any]:
        account = self.sandbox.account
        token = params.pop("nextToken", None) or None
        items, fingerprint = account.query(spec.service, spec.operation, params)
        size = int(params.get("maxResults") or spec.max_page)
        offset = 0
        if token is not None:
            offset = decode_token(account, spec, token, fingerprint, len(items))
        out: dict[str, Any] = {spec.list_key: items[offset : offset + size]}
        if offset + size < len(items):
            out["nextToken"] = encode_token(account, spec, fingerprint, offset + size)
        return out

    @staticmethod
    def _error(err: ApiError, rest: bool, request_id: str) -> _Reply:
        if rest:
            headers = {
                "Content-Type": "application/json",
                "x-amzn-RequestId": request_id,
                "x-amzn-ErrorType": err.code,
            }
            body = json.dumps({"message": err.message}, separators=(",", ":")).encode()
            return _Reply(err.status, headers, body)
        # json-1.1 services answer client faults with 400; auth failures and 5xx keep theirs.
        status = (
            err.status if err.status >= 500 or err.code.startswith(("Missing", "Incomp")) else 400
        )
        error = {"__type": err.code, "message": err.message}
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}
        return _Reply(status, headers, json.dumps(error, separators=(",", ":")).encode())


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler; silent, because test output must stay readable."""

    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: avoids 40 ms delayed-ACK stalls.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server_version = "pagetape-sandbox"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _serve(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        sandbox = server.sandbox
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        n, drop = sandbox._admit()
        if drop:
            # Simulate a dead server: no status line, just a closed connection.
            self.close_connection = True
            return
        headers = {k: v for k, v in self.headers.items()}
        reply = _Engine(sandbox).reply(self.command, self.path, headers, body, n)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
        self.wfile.flush()
        sandbox._answered()

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve
    do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    """Threaded server that remembers open connections so stop() can really cut them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow on offline hosts.
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # quiet: a client hanging up is not our problem

    def cut_connections(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Sandbox:
    """A local AWS account for tests and demos; boto3 talks to it via ``endpoint_url``."""

    def __init__(
        self,
        port: int = 0,
        account: SandboxAccount | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.account = account if account is not None else build_account()
        self.faults = faults if faults is not None else Faults()
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._received = 0
        self._replied = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; returns self for chaining."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = _Server(("127.0.0.1", self._requested_port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pagetape-sandbox-{server.server_port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut keep-alive connections and free the port; idempotent."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.cut_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Block until stop() or Ctrl-C (for ``pagetape sandbox --port N``)."""
        if self._server is None:
            self.start()
        try:
            while (thread := self._thread) is not None and thread.is_alive():
                thread.join(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- introspection ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("sandbox is not running")
        return self._server.server_port

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def request_count(self) -> int:
        """Requests received so far, including refused, faulted and dropped ones."""
        with self._lock:
            return self._received

    @property
    def answered_count(self) -> int:
        """Requests that got an HTTP response (what ``Faults.fail_after`` counts)."""
        with self._lock:
            return self._replied

    # -- used by the handler ---------------------------------------------------------------

    def _admit(self) -> tuple[int, bool]:
        with self._lock:
            self._received += 1
            fail_after = self.faults.fail_after
            return self._received, fail_after is not None and self._replied >= fail_after

    def _answered(self) -> None:
        with self._lock:
            self._replied += 1
