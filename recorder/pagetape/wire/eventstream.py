"""AWS event-stream bodies (`application/vnd.amazon.eventstream`), stored frame by frame.

Bedrock's ConverseStream and InvokeModelWithResponseStream, Bedrock agents' InvokeAgent, Lambda's
InvokeWithResponseStream, S3 Select and Kinesis SubscribeToShard answer with binary frames
(prelude, typed headers, payload, two CRC32s). A cassette holds them decoded, so a reviewer can
read them and the sanitizer can walk each payload with its event's shape; `encode` writes the
frames back with fresh checksums, and for an unchanged cassette the bytes are the recorded ones:

    {"$eventstream": [{"headers": {":content-type": "application/json",
                                   ":event-type": "contentBlockDelta", ":message-type": "event"},
                       "payload": {"contentBlockIndex": 0, "delta": {"text": "Hi"}, "p": "abc"}}],
     "undecoded": "<base64>"}        (only when a tail does not decode: truncated, bad CRC)

Byte-exactness, by construction rather than by keeping a second copy:
- Header values keep their wire type: strings and booleans as JSON, the others as one-key objects
  (`{"int": 5}`, `{"long": 5}`, `{"short": 5}`, `{"byte": 5}`, `{"timestamp": <ms>}`,
  `{"bytes": <base64>}`, `{"uuid": "<uuid>"}`). The cassette writer sorts object keys, so the
  wire order of headers is kept in `header_order` unless it is the usual AWS one (`_ORDER`).
- A payload is stored as JSON (`payload`) only when re-serializing it compactly with sorted keys
  gives back its exact bytes, which is how AWS writes event payloads; any other UTF-8 payload is
  `payload_text`, anything else `payload_base64`. Inside a JSON payload, a string that is the
  canonical base64 of a JSON text (Bedrock's `chunk.bytes`, the model's own output) is shown as
  `{"$base64": "<that text>"}`, which encodes back to the same string.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pagetape.aws import shapes
from pagetape.cassette import store as cassette_io

if TYPE_CHECKING:
    import botocore.model


class Values(Protocol):
    """What a frame's payload is sanitized with (the sanitizer's value rewriter): this module
    knows the frames, not the rules."""

    def text(self, text: str) -> str: ...
    def document(self, doc: Any) -> Any: ...


CONTENT_TYPE = "application/vnd.amazon.eventstream"
MARK = "$eventstream"
B64_MARK = "$base64"
UNDECODED = "undecoded"

# Wire type codes (the event-stream spec, botocore.eventstream.EventStreamHeaderParser).
_TRUE, _FALSE, _BYTE, _SHORT, _INT, _LONG, _BYTES, _STRING, _TIMESTAMP, _UUID = range(10)
_INT_FORMATS = {_BYTE: "!b", _SHORT: "!h", _INT: "!i", _LONG: "!q", _TIMESTAMP: "!q"}
_TYPE_NAMES = {_BYTE: "byte", _SHORT: "short", _INT: "int", _LONG: "long", _BYTES: "bytes",
               _TIMESTAMP: "timestamp", _UUID: "uuid"}  # fmt: skip
_TYPE_CODES = {name: code for code, name in _TYPE_NAMES.items()}
# The order AWS writes its headers in; another order is stored in `header_order`.
_ORDER = (":event-type", ":exception-type", ":error-code", ":error-message", ":content-type",
          ":message-type")  # fmt: skip
_PRELUDE = 12  # total length, headers length, prelude CRC: three uint32


@dataclass(frozen=True)
class Header:
    """One header as on the wire: name, type code, value (bytes for byte arrays and uuids)."""

    name: str
    type: int
    value: bool | int | str | bytes


@dataclass(frozen=True)
class Message:
    headers: tuple[Header, ...]
    payload: bytes


def is_eventstream(ctype: str) -> bool:
    return "vnd.amazon.eventstream" in ctype


def looks_like(raw: bytes) -> bool:
    """RAW starts with an event-stream prelude whose CRC holds: a stream recorded without a
    usable content type (vcrpy files with `headers: {}`, or with every header redacted)."""
    if len(raw) < _PRELUDE + 4:
        return False
    total, headers, crc = struct.unpack("!III", raw[:_PRELUDE])
    return bool(zlib.crc32(raw[:8]) == crc and headers <= total - _PRELUDE - 4)


def is_body(value: Any) -> bool:
    """A stored event-stream body ({"$eventstream": [...]})."""
    return isinstance(value, dict) and isinstance(value.get(MARK), list)


# -- wire <-> messages ------------------------------------------------------------------------


def read_messages(raw: bytes) -> tuple[list[Message], bytes]:
    """The messages botocore's own decoder finds (lengths and both CRCs checked), with each
    header's wire type, and the tail it could not decode (b"" when every byte was read)."""
    from botocore.eventstream import EventStreamBuffer, ParserError

    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    out: list[Message] = []
    offset = 0
    while True:
        try:
            message = next(buffer)
            start = offset + _PRELUDE
            headers = _typed_headers(raw[start : start + message.prelude.headers_length])
        except StopIteration:
            break
        except (ParserError, KeyError, ValueError, IndexError, struct.error):
            break  # a bad CRC, length, header type or name: the rest stays raw
        found = Message(headers, bytes(message.payload))
        end = offset + message.prelude.total_length
        if write_message(found) != raw[offset:end]:
            break  # headers botocore reads leniently (a short value): kept raw, so exact
        out.append(found)
        offset = end
    return out, raw[offset:]


def _typed_headers(data: bytes) -> tuple[Header, ...]:
    """botocore's header decoding, keeping the type code it drops (byte, short, int and long
    all come out as int there)."""
    from botocore.eventstream import DecodeUtils, EventStreamHeaderParser

    unpackers = EventStreamHeaderParser._HEADER_TYPE_MAP
    out: list[Header] = []
    while data:
        name, used = DecodeUtils.unpack_utf8_string(data, 1)
        kind, more = DecodeUtils.unpack_uint8(data[used:])
        value, size = unpackers[kind](data[used + more :])
        out.append(Header(name, kind, value))
        data = data[used + more + size :]
    return tuple(out)


def write_message(message: Message) -> bytes:
    """One frame: prelude (total and headers length), its CRC, headers, payload, message CRC."""
    headers = b"".join(_header_bytes(h) for h in message.headers)
    total = _PRELUDE + len(headers) + len(message.payload) + 4
    prelude = struct.pack("!II", total, len(headers))
    body = prelude + struct.pack("!I", zlib.crc32(prelude)) + headers + message.payload
    return body + struct.pack("!I", zlib.crc32(body))


def _header_bytes(header: Header) -> bytes:
    name = header.name.encode()
    out = struct.pack("!B", len(name)) + name + struct.pack("!B", header.type)
    value = header.value
    if header.type in _INT_FORMATS:
        return out + struct.pack(_INT_FORMATS[header.type], value)
    if header.type in (_BYTES, _STRING):
        data = value.encode() if isinstance(value, str) else value
        if not isinstance(data, bytes):
            raise ValueError(f"header {header.name!r} holds no bytes")
        return out + struct.pack("!H", len(data)) + data
    if header.type == _UUID:
        if not isinstance(value, bytes) or len(value) != 16:
            raise ValueError(f"header {header.name!r} is no uuid")
        return out + value
    return out  # booleans carry their value in the type


# -- messages <-> stored frames ---------------------------------------------------------------


def decode(raw: bytes) -> dict[str, Any]:
    """Raw body bytes -> the stored form. A body some cassette writer stored as latin-1 text or
    as base64 is recognised by its CRCs and read as the original bytes; a body that is already
    the stored form (a pagetape cassette read back) is taken as it is."""
    stored = _already_stored(raw)
    if stored is not None:
        return stored
    messages, rest = read_messages(raw)
    if rest:
        for candidate in _repaired(raw):
            found, left = read_messages(candidate)
            if found and not left:
                messages, rest = found, left
                break
    out: dict[str, Any] = {MARK: [_frame(m) for m in messages]}
    if rest:
        out[UNDECODED] = base64.b64encode(rest).decode()
    return out


def encode(body: Mapping[str, Any]) -> bytes:
    """The stored form -> the wire bytes, checksums computed afresh. A stored form that is not
    one (a hand-edited cassette) raises ValueError saying why."""
    try:
        frames = b"".join(write_message(_message(f)) for f in body[MARK])
        return frames + base64.b64decode(body.get(UNDECODED) or "", validate=True)
    except (KeyError, TypeError, ValueError, AttributeError, struct.error) as exc:
        raise ValueError(f"not an event-stream body ({type(exc).__name__}: {exc})") from None


def _already_stored(raw: bytes) -> dict[str, Any] | None:
    # A frame starts with its length: "{" there would be a frame of about 2 GB, never sent.
    if not raw.startswith(b"{"):
        return None
    try:
        value = json.loads(raw)
        return decode(encode(value)) if is_body(value) else None
    except ValueError:  # not JSON, or not a stored body after all
        return None


def _repaired(raw: bytes) -> list[bytes]:
    """What RAW may have been before a cassette writer stored it as text."""
    out = []
    with contextlib.suppress(UnicodeError):
        out.append(raw.decode("utf-8").encode("latin-1"))  # bytes kept as latin-1 text
    if raw.isascii():
        with contextlib.suppress(binascii.Error, ValueError):
            out.append(base64.b64decode(raw, validate=True))
    return out


def _frame(message: Message) -> dict[str, Any]:
    frame: dict[str, Any] = {"headers": {h.name: _header_value(h) for h in message.headers}}
    names = [h.name for h in message.headers]
    if names != _default_order(names):
        frame["header_order"] = names
    frame.update(payload_fields(message.payload))
    return frame


def _message(frame: Mapping[str, Any]) -> Message:
    stored: Mapping[str, Any] = frame["headers"]
    order = frame.get("header_order") or _default_order(list(stored))
    headers = tuple(_header(name, stored[name]) for name in order)
    return Message(headers, payload_bytes(frame))


def _default_order(names: list[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(_ORDER)), n))


def _header_value(header: Header) -> Any:
    if header.type in (_TRUE, _FALSE, _STRING):
        return header.value
    if header.type == _BYTES:
        assert isinstance(header.value, bytes)
        return {"bytes": base64.b64encode(header.value).decode()}
    if header.type == _UUID:
        assert isinstance(header.value, bytes)
        return {"uuid": str(uuid.UUID(bytes=header.value))}
    return {_TYPE_NAMES[header.type]: header.value}


def _header(name: str, value: Any) -> Header:
    if isinstance(value, bool):
        return Header(name, _TRUE if value else _FALSE, value)
    if isinstance(value, str):
        return Header(name, _STRING, value)
    (type_name, inner), *more = value.items()
    if more:
        raise ValueError(f"event-stream header {name!r}: one type per value")
    kind = _TYPE_CODES[type_name]
    if kind == _BYTES:
        return Header(name, kind, base64.b64decode(inner))
    if kind == _UUID:
        return Header(name, kind, uuid.UUID(inner).bytes)
    return Header(name, kind, int(inner))


def payload_fields(payload: bytes) -> dict[str, Any]:
    """How a payload is stored: {} (empty), {"payload": JSON}, {"payload_text": ...} or
    {"payload_base64": ...}, whichever reads best and still gives back these exact bytes."""
    if not payload:
        return {}
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return {"payload_base64": base64.b64encode(payload).decode()}
    value = _json(text)
    if value is not None and _dump(value) == text and not _has_mark(value):
        return {"payload": _expand(value)}
    return {"payload_text": text}


def payload_bytes(frame: Mapping[str, Any]) -> bytes:
    if "payload" in frame:
        return _dump(_collapse(frame["payload"])).encode()
    if "payload_text" in frame:
        return str(frame["payload_text"]).encode()
    return base64.b64decode(frame.get("payload_base64") or "", validate=True)


def _json(text: str) -> Any:
    """The JSON object or array TEXT holds, else None (scalars and NaN stay text)."""
    if not text.startswith(("{", "[")):
        return None
    try:
        return cassette_io.loads(text, parse_constant=_no_constant)
    except ValueError:  # a too deep or too long one (cassette_io.Refused) stays text too
        return None


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return ""


def _has_mark(value: Any) -> bool:
    if isinstance(value, dict):
        return B64_MARK in value or any(_has_mark(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_mark(v) for v in value)
    return False


def _expand(value: Any) -> Any:
    """Base64 strings of JSON text -> {"$base64": text}."""
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, str) and value[:1] in ("e", "W"):  # base64 of "{" or "["
        text = _base64_text(value)
        if text is not None and _json(text) is not None:
            return {B64_MARK: text}
    return value


def _base64_text(value: str) -> str | None:
    """The UTF-8 text VALUE is the canonical base64 of (so it encodes back the same), or None."""
    try:
        data = base64.b64decode(value, validate=True)
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if base64.b64encode(data).decode() == value else None


def _collapse(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {B64_MARK}:
            return base64.b64encode(str(value[B64_MARK]).encode()).decode()
        return {k: _collapse(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_collapse(v) for v in value]
    return value


# -- sanitizing -------------------------------------------------------------------------------

# The sanitizer's walk: (decoded value, its shape or None, member name or None) -> clean value.
Walk = Callable[[Any, "botocore.model.Shape | None", "str | None"], Any]
WalkXml = Callable[[str, "botocore.model.Shape | None"], str]  # an XML payload, by its shape


def sanitize(
    body: Mapping[str, Any],
    op: botocore.model.OperationModel | None,
    walk: Walk,
    walk_xml: WalkXml,
    values: Values,
) -> dict[str, Any]:
    """Each frame walked with its event's shape (the output's event stream -> the member named by
        `:event-type` or `:exception-type` -> its payload member), so values inside events are
        replaced as anywhere else. Data without a model (a blob or string payload, the UTF-8 text in
        a blob member such as Bedrock's `chunk.bytes`) is sanitized as a JSON document or as free
        text, blob texts stored as `{"$base64": text}`; a structure payload of a rest-xml stream (S3
    Select's Stats) is XML, walked by its shape. An undecoded tail is kept as it is."""
    stream = op.get_event_stream_output() if op is not None else None
    output = op.output_shape if op is not None else None
    frames = [_clean_frame(dict(f), stream, output, walk, walk_xml, values) for f in body[MARK]]
    out: dict[str, Any] = {MARK: frames}
    if body.get(UNDECODED):
        out[UNDECODED] = body[UNDECODED]
    return out


def _clean_frame(
    frame: dict[str, Any],
    stream: botocore.model.Shape | None,
    output: botocore.model.Shape | None,
    walk: Walk,
    walk_xml: WalkXml,
    values: Values,
) -> dict[str, Any]:
    headers: dict[str, Any] = frame["headers"]
    kind = headers.get(":message-type", "event")
    name = headers.get(":exception-type" if kind == "exception" else ":event-type")
    shape: botocore.model.Shape | None = None
    if kind in ("event", "exception") and isinstance(name, str):
        shape = output if name == "initial-response" else _member(stream, name)
    members = shape.members if shape is not None and shape.type_name == "structure" else {}
    clean: dict[str, Any] = {}
    for key, value in headers.items():
        bound = members.get(key)
        if not isinstance(value, str) or (key.startswith(":") and key != ":error-message"):
            clean[key] = value  # event and exception names of the model, non-text values
        elif bound is not None and bound.serialization.get("eventheader"):
            clean[key] = walk(value, bound, key)
        else:
            clean[key] = values.text(value)
    frame["headers"] = clean
    target, target_name, document = shape, None, False
    for member_name, member in members.items():
        if member.serialization.get("eventpayload"):
            # A blob or string payload is the data itself (a Lambda's output, S3 Select
            # records): a document without a model, not the member's own value.
            document = member.type_name != "structure"
            target, target_name = member, member_name

    def clean_json(value: Any) -> Any:
        if document:
            return _expand(values.document(_collapse(value)))
        return _show(walk(_hide(value, target), target, target_name), values)

    if "payload" in frame:
        frame["payload"] = clean_json(frame["payload"])
    elif "payload_text" in frame:
        parsed = _json(frame["payload_text"])
        structured = target is not None and target.type_name == "structure"
        if parsed is None and structured and frame["payload_text"].lstrip().startswith("<"):
            frame["payload_text"] = walk_xml(frame["payload_text"], target)
        elif parsed is None:
            frame["payload_text"] = values.text(frame["payload_text"])
        else:
            new = _collapse(clean_json(_expand(parsed)))
            if new != parsed:
                frame["payload_text"] = _dump_ordered(new)
    return frame


def _member(shape: botocore.model.Shape | None, name: str) -> botocore.model.Shape | None:
    if shape is None or shape.type_name != "structure":
        return None
    member: botocore.model.Shape | None = shape.members.get(name)
    return member


class _Blob:
    """The text inside a base64 blob while its payload is walked: opaque to the walk (neither
    dict, list nor string), then sanitized on its own."""

    def __init__(self, text: str) -> None:
        self.text = text


def _hide(value: Any, shape: botocore.model.Shape | None) -> Any:
    """VALUE with its blobs' texts (`$base64` markers, base64 strings of blob members) hidden."""
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        if set(value) == {B64_MARK} and isinstance(value[B64_MARK], str):
            return _Blob(value[B64_MARK])
        if kind == "structure":
            assert shape is not None
            wire = {w: m for w, (_, m) in shapes.by_wire(shape).items()}
            return {k: _hide(v, wire.get(k)) for k, v in value.items()}
        inner = shape.value if kind == "map" and shape is not None else None
        return {k: _hide(v, inner) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v, shape.member if kind == "list" and shape is not None else None)
                for v in value]  # fmt: skip
    if isinstance(value, str) and kind == "blob":
        blob = _base64_text(value)
        if blob is not None:
            return _Blob(blob)
    return value


def _show(value: Any, values: Values) -> Any:
    """The walked VALUE with its blobs' texts sanitized (a JSON document, else free text)."""
    if isinstance(value, _Blob):
        document = _json(value.text)
        if document is None:
            return {B64_MARK: values.text(value.text)}
        clean = values.document(document)
        return {B64_MARK: value.text if clean == document else _dump_ordered(clean)}
    if isinstance(value, dict):
        return {k: _show(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_show(v, values) for v in value]
    return value


def _dump_ordered(value: Any) -> str:
    """Compact JSON in the document's own key order, as models and AWS write it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# -- replay -----------------------------------------------------------------------------------


class RawStream:
    """What botocore's EventStream reads a live body from (urllib3's response: `.stream()`)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        if self._body:
            yield self._body

    def read(self, amt: int | None = None) -> bytes:
        body, self._body = self._body, b""
        return body

    def close(self) -> None:
        self._body = b""
