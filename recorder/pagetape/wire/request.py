"""A request as replay compares it: botocore's serialized request as the one `Request` type
(`live_request`), and the canonical key that makes two requests "the same call".

Operation + method + path + sorted query + body (JSON with sorted keys, form fields sorted,
else text). Host, region, signing headers and idempotency tokens botocore fills in are not part
of it, so a cassette replays from any region or endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from pagetape.cassette.store import Request
from pagetape.wire import codec


def wire_scalar(value: Any) -> str:
    """A query or form value as botocore writes it on the wire: booleans lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_pairs(query: Any) -> list[tuple[str, str]]:
    """Normalize botocore's query_string (dict, list or str) or recorded pairs to sorted pairs."""
    if not query:
        return []
    if isinstance(query, str):
        pairs = parse_qsl(query, keep_blank_values=True)
    elif isinstance(query, Mapping):
        pairs = []
        for key, value in query.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            pairs.extend((str(key), wire_scalar(v)) for v in values)
    else:
        pairs = [(str(k), wire_scalar(v)) for k, v in query]
    return sorted(pairs)


def body_params(body: Any, content_type: str = "") -> tuple[str, Any]:
    """(kind, value): a JSON value, form pairs, or text; the comparable form of a body."""
    if callable(getattr(body, "read", None)):  # an upload (PutObject's Body): its bytes
        body = _peek(body)
    if body is None or body == b"" or body == "":
        return "empty", None
    if isinstance(body, Mapping) and "form" in content_type:
        return "form", query_pairs(body)
    if isinstance(body, (bytes, bytearray)):
        if "cbor" in content_type:
            return "json", codec.decode(bytes(body), content_type)
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        if "x-www-form-urlencoded" in content_type:
            return "form", query_pairs(body)
        try:
            return "json", json.loads(body)
        except ValueError:
            return "text", body
    if isinstance(body, Mapping) and not isinstance(body, dict):
        body = dict(body)
    return "json", body


def _peek(stream: Any) -> bytes | str:
    """A file-like body's content, left where it was for whoever reads it next."""
    try:
        start = stream.tell()
        data: bytes | str = stream.read()
        stream.seek(start)
    except (OSError, ValueError, AttributeError):  # not seekable: its content stays unknown
        return "<stream>"
    return data


def live_request(params: Mapping[str, Any]) -> Request:
    """botocore's serialized request dict (`before-call`'s PARAMS) as the one request type: its
    logical path (`logical_path`), its query as pairs, headers as strings, the body as botocore
    serialized it (bytes, text, or the form fields of a query-protocol call)."""
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    return Request(
        method=str(params.get("method") or "POST"),
        path=logical_path(params),
        query=query_pairs(params.get("query_string")),
        headers=headers,
        body=params.get("body"),
    )


def request_key(service: str, operation: str, request: Request, drop: Iterable[str] = ()) -> str:
    """The lookup key; DROP names members (idempotency tokens) left out on both sides.

    Remembered per request: a suite replays the same pages in test after test, and decoding
    and re-encoding the body was a fifth of the time a replayed page took."""
    dropped = frozenset(drop)
    method, path, query, body = request.method, request.path, request.query, request.body
    content_type = codec.content_type(request.headers)
    try:
        memo = (
            service,
            operation,
            method,
            path,
            _frozen(query),
            _frozen(body),
            content_type,
            dropped,
        )
    except TypeError:  # a value that cannot be a dict key: compute it every time
        return _request_key(service, operation, method, path, query, body, content_type, dropped)
    key = _KEYS.get(memo)
    if key is None:
        if len(_KEYS) >= 4096:
            _KEYS.clear()
        key = _KEYS[memo] = _request_key(
            service, operation, method, path, query, body, content_type, dropped
        )
    return key


_KEYS: dict[tuple[Any, ...], str] = {}


def _frozen(value: Any) -> Any:
    """VALUE as a dict key of equal content; TypeError for anything but plain data (a stream's
    key would be its identity, not its content)."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("[]", tuple(_frozen(v) for v in value))
    if value is None or isinstance(value, (str, bytes, int, float)):
        return value
    raise TypeError(type(value).__name__)


def _request_key(
    service: str,
    operation: str,
    method: str,
    path: str,
    query: Any,
    body: Any,
    content_type: str,
    dropped: frozenset[str],
) -> str:
    path, _, literal = (path or "/").partition("?")  # a URI template's literal query: ?list-type=2
    path = path or "/"
    pairs = [
        (k, v) for k, v in sorted(query_pairs(query) + query_pairs(literal)) if k not in dropped
    ]
    kind, value = body_params(body, content_type)
    if kind == "json" and isinstance(value, dict) and dropped:
        value = {k: v for k, v in value.items() if k not in dropped}
    if kind == "form" and dropped:
        value = [(k, v) for k, v in value if k not in dropped]
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "\n".join(
        [service, operation, method.upper(), unquote(path), json.dumps(pairs), kind, encoded]
    )


def visible_params(request: Request) -> dict[str, Any]:
    """The request's parameters as a flat dict, for miss messages and `Tape.calls`."""
    params: dict[str, Any] = dict(query_pairs(request.query))
    kind, value = body_params(request.body, codec.content_type(request.headers))
    if kind == "json" and isinstance(value, dict):
        params.update(value)
    elif kind == "form":
        params.update(dict(value))
    elif kind in ("json", "text"):
        params["<body>"] = value
    return params


def logical_path(params: Any) -> str:
    """The path of botocore's serialized request as the operation's URI template sees it: S3
    moves the bucket into the host name before `before-call`, but keeps it in `auth_path`
    (`/bucket/key`), which is where replay must look for it. The template's literal query
    (`?list-type=2`) stays."""
    url_path = str(params.get("url_path") or "/")
    path, mark, literal = url_path.partition("?")
    auth = params.get("auth_path")
    if auth:
        path = str(auth)
    return (path or "/") + (mark + literal if mark else "")
