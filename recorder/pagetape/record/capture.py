"""Capture real HTTP exchanges with vcrpy, each tagged with the botocore operation that made it.

A botocore `before-call` handler puts the operation name in a contextvar; vcrpy's
`before_record_request` hook copies it onto the recorded request. Retried attempts of one call
share the `amz-sdk-invocation-id` header; only the last attempt is kept.
"""

from __future__ import annotations

from contextvars import ContextVar
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pagetape.cassette.store import Interaction, Request, Response
from pagetape.wire.request import logical_path

OPERATION_HEADER = "x-pagetape-operation"
_current_operation: ContextVar[str | None] = ContextVar("pagetape_operation", default=None)


def tag_operation(model: Any = None, params: Any = None, **_: Any) -> None:
    """botocore `before-call` handler: remember which operation the next HTTP request belongs to,
    and botocore's own URL path for it (before the endpoint moves an S3 bucket into the host):
    replay sees that path, whatever the addressing style or endpoint of the recording."""
    if model is not None:
        path = logical_path(params).partition("?")[0] if isinstance(params, dict) else ""
        service = model.service_model.service_name
        _current_operation.set(f"{service}/{model.name} {path}")


class _MemoryPersister:
    """vcrpy persister that never reads or writes a file: pagetape writes its own format."""

    @staticmethod
    def load_cassette(cassette_path: Any, serializer: Any) -> Any:
        from vcr.persisters.filesystem import CassetteNotFoundError

        raise CassetteNotFoundError()

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        return None


def _tag_request(request: Any) -> Any:
    operation = _current_operation.get()
    if operation is not None:
        request.headers[OPERATION_HEADER] = operation
    return request


class Capture:
    """Context manager: every HTTP exchange boto3 makes inside it is kept in memory."""

    def __init__(self) -> None:
        import vcr

        self._vcr = vcr.VCR(
            record_mode="all",
            before_record_request=_tag_request,
            decode_compressed_response=True,
        )
        self._vcr.register_persister(_MemoryPersister)
        self._context: Any = None
        self._cassette: Any = None

    def __enter__(self) -> Capture:
        self._context = self._vcr.use_cassette("pagetape-memory", serializer="json")
        self._cassette = self._context.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._context.__exit__(exc_type, exc, tb)

    def exchanges(self) -> list[Interaction]:
        """Captured exchanges in order, retried attempts dropped (the last attempt wins)."""
        if self._cassette is None:
            return []
        kept: dict[str, Interaction] = {}
        order: list[str] = []
        for request, response in self._cassette.data:
            headers = {k: _one(v) for k, v in dict(request.headers).items()}
            tag = headers.pop(OPERATION_HEADER, "") or ""
            lowered = {k.lower() for k in headers}
            if not tag or "amz-sdk-invocation-id" not in lowered:
                # Not sent by botocore (the tag outlives its call: other HTTP traffic of the test
                # would carry it): not an AWS call, not recorded.
                continue
            name, _, logical_path = tag.partition(" ")
            service, _, operation = name.partition("/")
            invocation = next(v for k, v in headers.items() if k.lower() == "amz-sdk-invocation-id")
            parts = urlsplit(request.uri)
            body = request.body or b""
            exchange = Interaction(
                service=service,
                operation=operation,
                request=Request(
                    method=request.method,
                    path=logical_path or parts.path or "/",
                    query=parse_qsl(parts.query, keep_blank_values=True),
                    headers=headers,
                    body=body.encode() if isinstance(body, str) else bytes(body),
                ),
                response=Response(
                    status=int(response["status"]["code"]),
                    headers={k: _one(v) for k, v in response["headers"].items()},
                    body=_body_bytes(response["body"]),
                ),
            )
            if invocation not in kept:
                order.append(invocation)
            kept[invocation] = exchange
        return [kept[key] for key in order]


def _one(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_one(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _body_bytes(body: Any) -> bytes:
    data = body.get("string", b"") if isinstance(body, dict) else body
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else bytes(data)
