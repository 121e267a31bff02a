"""Stored interactions made by botocore itself, for the unit tests of the stages that read them.

The request is what botocore's own serializer sends for PARAMS; the response is what
`pagetape.wire.serialize` writes for a parsed output, which botocore's parser reads back to it.
Both are stored as the cassette stores them (`pagetape.wire.codec.decode`), so a test of the chain
view, re-paging or replay reads the same shapes a recorded cassette holds, in any protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pagetape.aws.specs import botocore_session
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.wire import codec, serialize


def operation_model(service: str, operation: str) -> Any:
    """The published botocore model of OPERATION."""
    return botocore_session().get_service_model(service).operation_model(operation)


def request(service: str, operation: str, params: Mapping[str, Any]) -> Request:
    """The stored form of the request botocore serializes for PARAMS."""
    from botocore.serialize import create_serializer

    op = operation_model(service, operation)
    protocol = codec.wire_protocol(op.service_model)
    sent = create_serializer(protocol, include_validation=True).serialize_to_request(
        dict(params), op
    )
    headers = {str(k): str(v) for k, v in sent["headers"].items()}
    query: list[tuple[str, str]] = []
    for key, value in (sent["query_string"] or {}).items():
        for one in value if isinstance(value, list) else [value]:
            query.append((str(key), str(one)))
    raw = sent["body"]
    if isinstance(raw, dict):  # query and ec2: form fields, encoded as botocore sends them
        raw = urlencode(raw, doseq=True)
    raw = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
    body = codec.decode(raw, codec.content_type(headers))
    return Request(sent["method"], sent["url_path"], query, headers, body)


def response(
    service: str, operation: str, parsed: Mapping[str, Any], status: int = 200
) -> Response:
    """The stored form of the response whose parsing by botocore gives PARSED."""
    op = operation_model(service, operation)
    code, headers, raw = serialize.serialize(
        codec.wire_protocol(op.service_model), op, parsed, status
    )
    return Response(code, headers, codec.decode(raw, codec.content_type(headers)))


def interaction(
    service: str,
    operation: str,
    params: Mapping[str, Any],
    parsed: Mapping[str, Any],
    status: int = 200,
) -> Interaction:
    """One stored exchange: botocore's request for PARAMS, the response parsing to PARSED."""
    return Interaction(
        operation,
        request(service, operation, params),
        response(service, operation, parsed, status),
    )
