"""Serialize a parsed-form output (what boto3 returns) into the HTTP response botocore parses, for
each protocol botocore speaks: json, rest-json, query, ec2, rest-xml and smithy-rpc-v2-cbor.

Written from the protocols' descriptions (member names from `locationName`, list and map
wrappers, `flattened`, `resultWrapper`, header/status bindings, timestamp formats)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import botocore.model

REQUEST_ID = "5f3c2a10-0000-4000-8000-00000000c0de"

Response = tuple[int, dict[str, str], bytes]


def serialize(protocol: str, op: botocore.model.OperationModel, parsed: dict[str, Any]) -> Response:
    shape = op.output_shape
    if protocol == "json":
        version = op.service_model.metadata.get("jsonVersion", "1.0")
        body = json.dumps(_json(shape, parsed, "unixTimestamp")).encode()
        return 200, {"Content-Type": f"application/x-amz-json-{version}"}, body
    if protocol == "rest-json":
        return _rest(shape, parsed, "application/json", _rest_json_body)
    if protocol == "rest-xml":
        return _rest(shape, parsed, "application/xml", _rest_xml_body)
    if protocol == "query":
        inner = _xml_members(shape, parsed)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            inner = f"<{wrapper}>{inner}</{wrapper}>"
        meta = f"<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata>"
        root = f"{op.name}Response"
        body = f"<{root}>{inner}{meta}</{root}>".encode()
        return 200, {"Content-Type": "text/xml"}, body
    if protocol == "ec2":
        root = f"{op.name}Response"
        inner = _xml_members(shape, parsed)
        body = f"<{root}><requestId>{REQUEST_ID}</requestId>{inner}</{root}>".encode()
        return 200, {"Content-Type": "text/xml;charset=UTF-8"}, body
    if protocol == "smithy-rpc-v2-cbor":
        import cbor2

        body = cbor2.dumps(_cbor(shape, parsed), datetime_as_timestamp=True)
        return 200, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}, body
    raise ValueError(f"no serializer for protocol {protocol!r}")


def error(protocol: str, message: str) -> Response:
    """A 400 client error botocore will not retry: the harness could not route a request."""
    code = "ConformanceHarnessError"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return 400, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body
    if protocol == "smithy-rpc-v2-cbor":
        import cbor2

        headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
        return 400, headers, cbor2.dumps({"__type": code, "message": message})
    text = f"<Code>{code}</Code><Message>{escape(message)}</Message>"
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error>{text}</Error></Errors><RequestID>x</RequestID></Response>"
        )
    elif protocol == "rest-xml":
        body = f"<ErrorResponse><Error>{text}</Error><RequestId>x</RequestId></ErrorResponse>"
    else:
        body = f"<ErrorResponse><Error>{text}</Error><RequestId>x</RequestId></ErrorResponse>"
    return 400, {"Content-Type": "text/xml"}, body.encode()


# -- scalars -----------------------------------------------------------------------------------


def _timestamp(shape: botocore.model.Shape, value: datetime, default: str) -> Any:
    fmt = shape.serialization.get("timestampFormat") or shape.metadata.get(
        "timestampFormat", default
    )
    value = value.astimezone(timezone.utc)
    if fmt == "unixTimestamp":
        return int(value.timestamp())
    if fmt == "rfc822":
        return format_datetime(value, usegmt=True)
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
        out = {}
        for name, member in shape.members.items():
            if name in value and not member.serialization.get("location"):
                key = member.serialization.get("name", name)
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
    return value  # datetimes become tag 1 (epoch seconds) through cbor2


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


def _rest(
    shape: botocore.model.Shape, parsed: dict[str, Any], ctype: str, body_fn: Any
) -> Response:
    headers: dict[str, str] = {"Content-Type": ctype}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if name not in parsed:
            continue
        if location == "header":
            headers[member.serialization.get("name", name)] = _header_value(member, parsed[name])
        elif location == "headers":
            prefix = member.serialization.get("name", "")
            for key, val in parsed[name].items():
                headers[f"{prefix}{key}"] = str(val)
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        value = parsed.get(payload)
        if value is None:
            return 200, headers, b""
        if member.type_name == "blob":
            return 200, headers, value if isinstance(value, bytes) else str(value).encode()
        if member.type_name == "string":
            return 200, headers, str(value).encode()
        return 200, headers, body_fn(member, value, root=True)
    return 200, headers, body_fn(shape, parsed, root=False)


def _rest_json_body(shape: botocore.model.Shape, value: Any, root: bool) -> bytes:
    return json.dumps(_json(shape, value, "unixTimestamp")).encode()


def _rest_xml_body(shape: botocore.model.Shape, value: Any, root: bool) -> bytes:
    inner = _xml_members(shape, value)
    if not inner and not root:
        return b""
    tag = shape.serialization.get("name", shape.name)
    return f"<{tag}{_xml_attributes(shape, value)}>{inner}</{tag}>".encode()


# -- XML (query, ec2, rest-xml) ----------------------------------------------------------------


def _xml_name(member: botocore.model.Shape, name: str) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        inner = member.member.serialization.get("name")
        if inner:
            return str(inner)
    return str(member.serialization.get("name", name))


def _xml_attributes(shape: botocore.model.Shape, value: Any) -> str:
    if shape.type_name != "structure" or not isinstance(value, dict):
        return ""
    out = ""
    for name, member in shape.members.items():
        if member.serialization.get("xmlAttribute") and name in value:
            attr = member.serialization.get("name", name)
            if ":" in attr:  # a namespaced attribute (xsi:type) needs its namespace declared
                prefix = attr.split(":", 1)[0]
                out += f' xmlns:{prefix}="http://www.w3.org/2001/XMLSchema-instance"'
            out += f" {attr}={quoteattr(str(value[name]))}"
    return out


def _xml_members(shape: botocore.model.Shape, value: dict[str, Any]) -> str:
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
        member_tag = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            return "".join(_xml(shape.member, tag, v) for v in value)
        return f"<{tag}>{''.join(_xml(shape.member, member_tag, v) for v in value)}</{tag}>"
    if kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        entries = [
            _xml(shape.key, key_tag, k) + _xml(shape.value, value_tag, v) for k, v in value.items()
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
