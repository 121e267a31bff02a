"""Serialize a parsed-form output (what boto3 returns) into the HTTP response AWS would send and
botocore parses back to the same values, for each protocol botocore speaks: json, rest-json,
query, ec2, rest-xml and smithy-rpc-v2-cbor. Error outputs (`{"Error": {"Code", "Message"}}`)
become the protocol's error body.

Written from the protocols' descriptions (member names from `locationName`, list and map
wrappers, `flattened`, `resultWrapper`, header and status-code bindings, timestamp formats).
Used by `pagetape import placebo` (placebo stores parsed responses, not wire bytes) and by the
conformance harness, which serves synthesized pages with it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

import botocore.model

from pagetape.aws import shapes

REQUEST_ID = "5f3c2a10-0000-4000-8000-00000000c0de"
"""The request id every serialized response carries (query and ec2 bodies name one)."""

Response = tuple[int, dict[str, str], bytes]
"""(HTTP status, headers, body bytes)."""


class _Protocol:
    """One protocol's response forms: a success body for an output shape, the empty success of
    an operation with no output, and the error body botocore's parser for it reads. One class
    per protocol, as botocore keeps one parser and one serializer class per protocol."""

    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        raise NotImplementedError

    def empty(self, op: botocore.model.OperationModel, status: int) -> Response:
        return status, {}, b""

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        xml = (
            f"<ErrorResponse><Error><Type>{escape(fault.kind)}</Type>{_xml_error(code, message)}"
            f"</Error><RequestId>{REQUEST_ID}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, xml.encode()


class _Fault(NamedTuple):
    """What an error body may carry besides its code and message."""

    service: botocore.model.ServiceModel | None
    kind: str
    members: dict[str, Any]


def _json_type(service: botocore.model.ServiceModel) -> str:
    return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"


class _Json(_Protocol):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        body = json.dumps(_json(shape, parsed, "unixTimestamp")).encode()
        return status, {"Content-Type": _json_type(op.service_model)}, body

    def empty(self, op: botocore.model.OperationModel, status: int) -> Response:
        return status, {"Content-Type": _json_type(op.service_model)}, b"{}"

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
        if fault.service is not None:
            headers["Content-Type"] = _json_type(fault.service)
            if fault.service.metadata.get("awsQueryCompatible") is not None:
                headers["x-amzn-query-error"] = f"{code};{fault.kind}"
        body = {"__type": code, "message": message, **fault.members}
        return status, headers, json.dumps(body).encode()


class _RestJson(_Protocol):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        return _rest(shape, parsed, status, "application/json", _rest_json_body)

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
        body = {"__type": code, "message": message, **fault.members}
        return status, headers, json.dumps(body).encode()


class _RestXml(_Protocol):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        return _rest(shape, parsed, status, "application/xml", _rest_xml_body)

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        if fault.service is None or fault.service.service_name != "s3":
            return super().error(status, code, message, fault)
        xml = f"<Error>{_xml_error(code, message)}<RequestId>{REQUEST_ID}</RequestId></Error>"
        return status, {"Content-Type": "text/xml"}, xml.encode()


class _Query(_Protocol):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        inner = _xml_members(shape, parsed)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            inner = f"<{wrapper}>{inner}</{wrapper}>"
        root = f"{op.name}Response"
        body = f"<{root}>{inner}{_QUERY_METADATA}</{root}>".encode()
        return status, {"Content-Type": "text/xml"}, body

    def empty(self, op: botocore.model.OperationModel, status: int) -> Response:
        root = f"{op.name}Response"
        return status, {"Content-Type": "text/xml"}, f"<{root}>{_QUERY_METADATA}</{root}>".encode()


class _Ec2(_Query):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        root = f"{op.name}Response"
        inner = _xml_members(shape, parsed)
        body = f"<{root}><requestId>{REQUEST_ID}</requestId>{inner}</{root}>".encode()
        return status, {"Content-Type": "text/xml;charset=UTF-8"}, body

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        xml = (
            f"<Response><Errors><Error>{_xml_error(code, message)}</Error></Errors>"
            f"<RequestID>{REQUEST_ID}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, xml.encode()


class _Cbor(_Protocol):
    def output(
        self,
        op: botocore.model.OperationModel,
        shape: botocore.model.Shape,
        parsed: Mapping[str, Any],
        status: int,
    ) -> Response:
        import cbor2

        body = cbor2.dumps(_cbor(shape, parsed), datetime_as_timestamp=True)
        return status, _CBOR_HEADERS.copy(), body

    def empty(self, op: botocore.model.OperationModel, status: int) -> Response:
        import cbor2

        return status, _CBOR_HEADERS.copy(), cbor2.dumps({})

    def error(self, status: int, code: str, message: str, fault: _Fault) -> Response:
        import cbor2

        body = {"__type": code, "message": message, **fault.members}
        return status, _CBOR_HEADERS.copy(), cbor2.dumps(body)


_CBOR_HEADERS = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
_QUERY_METADATA = f"<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata>"

SERIALIZERS: dict[str, _Protocol] = {
    "json": _Json(),
    "rest-json": _RestJson(),
    "rest-xml": _RestXml(),
    "query": _Query(),
    "ec2": _Ec2(),
    "smithy-rpc-v2-cbor": _Cbor(),
}
PROTOCOLS = frozenset(SERIALIZERS)


def _xml_error(code: str, message: str) -> str:
    return f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"


def _serializer(protocol: str) -> _Protocol:
    found = SERIALIZERS.get(protocol)
    if found is None:
        raise ValueError(f"no serializer for protocol {protocol!r}")
    return found


def serialize(
    protocol: str,
    op: botocore.model.OperationModel,
    parsed: Mapping[str, Any],
    status: int = 200,
) -> Response:
    """The response of OP in PROTOCOL whose parsing gives PARSED. A STATUS of 300 or more makes
    an error response from PARSED's `Error` (Code, Message, Type); a REST output's status-code
    member, when PARSED has it, is the status."""
    form = _serializer(protocol)
    if status >= 300:
        info = parsed.get("Error")
        info = info if isinstance(info, Mapping) else {}
        code = str(info.get("Code") or status)
        return error(
            protocol,
            status,
            code,
            str(info.get("Message") or ""),
            service=op.service_model,
            kind=str(info.get("Type") or "Sender"),
            members=_error_body(op, code, parsed),
        )
    shape = op.output_shape
    if shape is None:  # an operation with no output: an empty success
        return form.empty(op, status)
    return form.output(op, shape, parsed, status)


def error(
    protocol: str,
    status: int,
    code: str,
    message: str,
    *,
    service: botocore.model.ServiceModel | None = None,
    kind: str = "Sender",
    members: Mapping[str, Any] | None = None,
) -> Response:
    """The error response botocore parses to `{"Error": {"Code": CODE, "Message": MESSAGE}}`
    (S3 gets its own bare `<Error>` form; a query-compatible JSON service also gets the
    `x-amzn-query-error` header that carries the query error code). MEMBERS, the modelled
    error's other body members, go into a JSON or CBOR body."""
    fault = _Fault(service, kind, dict(members or {}))
    return _serializer(protocol).error(status, code, message, fault)


def error_shape(op: botocore.model.OperationModel, code: str) -> botocore.model.Shape | None:
    """OP's modelled error whose code is CODE (QuickSight's ResourceNotFoundException)."""
    return next((s for s in op.error_shapes if s.error_code == code), None)


def _error_body(
    op: botocore.model.OperationModel, code: str, parsed: Mapping[str, Any]
) -> dict[str, Any]:
    """The body members (no header or status binding) of OP's modelled error CODE in PARSED."""
    shape = error_shape(op, code)
    if shape is None:
        return {}
    body = {
        name: parsed[name]
        for name, member in shape.members.items()
        if name in parsed and "location" not in member.serialization
    }
    return dict(_json(shape, body, "unixTimestamp")) if body else {}


# -- scalars -----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken as UTC (what AWS and botocore mean by it)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _timestamp(shape: botocore.model.Shape, value: datetime, default: str) -> Any:
    fmt = shape.serialization.get("timestampFormat") or shape.metadata.get(
        "timestampFormat", default
    )
    value = _utc(value)
    if fmt == "unixTimestamp":
        if value.microsecond:
            return round(value.timestamp(), 6)
        return int(value.timestamp())
    if fmt == "rfc822":
        return format_datetime(value, usegmt=True)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _blob(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode()
    return base64.b64encode(raw).decode()


# -- JSON (json, rest-json bodies) -------------------------------------------------------------


def _json(shape: botocore.model.Shape, value: Any, ts_default: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        members = shape.members
        out = {}
        for name, member in members.items():
            if name in value and not member.serialization.get("location"):
                key = shapes.wire_name(name, member)
                out[key] = _json(member, value[name], ts_default)
        return out
    if kind == "list":
        return [_json(shape.member, v, ts_default) for v in value]
    if kind == "map":
        return {k: _json(shape.value, v, ts_default) for k, v in value.items()}
    if kind == "timestamp":
        return _timestamp(shape, value, ts_default)
    if kind == "blob":
        return _blob(value)
    return value


def _cbor(shape: botocore.model.Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        return {n: _cbor(m, value[n]) for n, m in shape.members.items() if n in value}
    if kind == "list":
        return [_cbor(shape.member, v) for v in value]
    if kind == "map":
        return {k: _cbor(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return value if isinstance(value, bytes) else str(value).encode()
    if kind in ("float", "double"):
        return float(value)
    if kind == "timestamp":
        return _utc(value)  # tag 1 (epoch seconds) through cbor2
    return value


# -- REST: headers, status, payload ------------------------------------------------------------


def _header_value(shape: botocore.model.Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "timestamp":
        return str(_timestamp(shape, value, "rfc822"))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "list":
        return ",".join(_header_value(shape.member, v) for v in value)
    if kind == "blob":
        return _blob(value)
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


_BodyFn = Callable[[botocore.model.Shape, Any, bool], bytes]


def _rest(
    shape: botocore.model.Shape,
    parsed: Mapping[str, Any],
    status: int,
    ctype: str,
    body_fn: _BodyFn,
) -> Response:
    headers: dict[str, str] = {"Content-Type": ctype}
    members = shape.members
    for name, member in members.items():
        location = member.serialization.get("location")
        if name not in parsed:
            continue
        if location == "header":
            headers[shapes.wire_name(name, member)] = _header_value(member, parsed[name])
        elif location == "headers":
            prefix = member.serialization.get("name", "")
            for key, val in parsed[name].items():
                headers[f"{prefix}{key}"] = str(val)
        elif location == "statusCode":
            status = int(parsed[name])
    payload = shape.serialization.get("payload")
    if payload:
        member = members[payload]
        value = parsed.get(payload)
        if value is None:
            return status, headers, b""
        if member.type_name == "blob":
            return status, headers, value if isinstance(value, bytes) else str(value).encode()
        if member.type_name == "string":
            return status, headers, str(value).encode()
        return status, headers, body_fn(member, value, True)
    return status, headers, body_fn(shape, parsed, False)


def _rest_json_body(shape: botocore.model.Shape, value: Any, root: bool) -> bytes:
    return json.dumps(_json(shape, value, "unixTimestamp")).encode()


def _rest_xml_body(shape: botocore.model.Shape, value: Any, root: bool) -> bytes:
    inner = _xml_members(shape, value)
    in_body = any(not m.serialization.get("location") for m in shape.members.values())
    if not inner and not root and not in_body:
        return b""  # an output all in headers has no body; one with body members has its root

    tag = shape.serialization.get("name", shape.name)
    return f"<{tag}{_xml_attributes(shape, value)}>{inner}</{tag}>".encode()


# -- XML (query, ec2, rest-xml) ----------------------------------------------------------------


def _xml_name(member: botocore.model.Shape, name: str) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        inner = member.member.serialization.get("name")
        if inner:
            return str(inner)
    return shapes.wire_name(name, member)


def _xml_attributes(shape: botocore.model.Shape, value: Any) -> str:
    if shape.type_name != "structure" or not isinstance(value, Mapping):
        return ""
    out = ""
    for name, member in shape.members.items():
        if member.serialization.get("xmlAttribute") and name in value:
            attr = shapes.wire_name(name, member)
            if ":" in attr:  # a namespaced attribute (xsi:type) needs its namespace declared
                prefix = attr.split(":", 1)[0]
                out += f' xmlns:{prefix}="http://www.w3.org/2001/XMLSchema-instance"'
            out += f" {attr}={quoteattr(str(value[name]))}"
    return out


def _xml_members(shape: botocore.model.Shape, value: Mapping[str, Any]) -> str:
    parts = []
    for name, member in shape.members.items():
        ser = member.serialization
        if name not in value or ser.get("location") or ser.get("xmlAttribute"):
            continue
        parts.append(_xml(member, _xml_name(member, name), value[name]))
    return "".join(parts)


def _xml(shape: botocore.model.Shape, tag: str, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return f"<{tag}{_xml_attributes(shape, value)}>{_xml_members(shape, value)}</{tag}>"
    if kind == "list":
        item = shape.member
        member_tag = item.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_xml(item, tag, v) for v in value)
        return f"<{tag}>{''.join(_xml(item, member_tag, v) for v in value)}</{tag}>"
    if kind == "map":
        key_shape, value_shape = shape.key, shape.value
        key_tag = key_shape.serialization.get("name", "key")
        value_tag = value_shape.serialization.get("name", "value")
        entries = [
            _xml(key_shape, key_tag, k) + _xml(value_shape, value_tag, v) for k, v in value.items()
        ]
        if shape.serialization.get("flattened"):
            return "".join(f"<{tag}>{e}</{tag}>" for e in entries)
        return f"<{tag}>{''.join(f'<entry>{e}</entry>' for e in entries)}</{tag}>"
    if kind == "boolean":
        text = "true" if value else "false"
    elif kind == "timestamp":
        text = str(_timestamp(shape, value, "iso8601"))
    elif kind == "blob":
        text = _blob(value)
    else:
        text = str(value)
    return f"<{tag}>{escape(text)}</{tag}>"
