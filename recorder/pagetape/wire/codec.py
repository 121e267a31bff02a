"""Wire bodies, one codec per protocol, in one place.

A body is stored in the cassette in a form a reviewer can read and the sanitizer can walk:
JSON protocols as JSON values, XML protocols (query, ec2, rest-xml) as XML text, CBOR
(smithy-rpc-v2-cbor) as its decoded tree with byte strings and epoch timestamps wrapped in
`{"$cbor": ...}` markers, AWS event streams as their frames (`pagetape.wire.eventstream`).
`to_bytes` re-creates what botocore's parser reads, and `parse_response` runs botocore's own
parser on it, so `show`, `verify`, `replay` and the recorder all see a response exactly as a
live call would. Which codec applies is decided by what was seen on the wire (the content
type, or an event-stream prelude whose CRC holds), not by the first protocol a model lists.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from pagetape.aws import shapes
from pagetape.cassette import store as cassette_io
from pagetape.wire import eventstream

if TYPE_CHECKING:
    import botocore.model

    from pagetape.cassette.store import Request

CBOR_TYPE = "application/cbor"
_MAX_BITS = int(cassette_io.MAX_DIGITS * 3.3219)  # log2(10): an int of MAX_DIGITS digits
CBOR_MARK = "$cbor"
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>\s*")


@dataclass(frozen=True)
class XmlLeaf:
    """Where an XML leaf or attribute sits: the member it binds to (None where the model does
    not say: then its tag), inside a structure of AWS's own names or not, the leaf texts of its
    structure by tag, and its member path (`Reservations`, `[]`, `Instances`...), as the JSON
    walker tracks it for keep paths."""

    name: str | None
    shape: botocore.model.Shape | None
    public: bool
    siblings: dict[str, str]
    path: tuple[str, ...]
    container: botocore.model.Shape | None = None  # the structure the siblings belong to
    owned: bool = False  # inside an AWS-owned resource (a managed policy): all AWS's own


LeafRewrite = Callable[[XmlLeaf, str], str]  # (where, text) -> text
# What a structure's leaves (member name, text) say of it: (its names are AWS's own, it is an
# AWS-owned resource). The sanitizer's vocabulary answers; the walker only asks.
Context = Callable[[list[tuple[str, str]]], tuple[bool, bool]]


def _no_context(members: list[tuple[str, str]]) -> tuple[bool, bool]:
    return False, False


def content_type(headers: Any) -> str:
    """The content type of a header mapping (any case), lowercased; "" when absent."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "content-type":
            return str(value).lower()
    return ""


def is_cbor(ctype: str) -> bool:
    return CBOR_TYPE in ctype


# -- storing and re-creating bodies --------------------------------------------------------------


def decode(raw: bytes, ctype: str) -> Any:
    """Raw body bytes -> the stored form (None for an empty body)."""
    if not raw:
        return None
    if eventstream.is_eventstream(ctype) or eventstream.looks_like(raw):
        return eventstream.decode(raw)
    if is_cbor(ctype):
        import cbor2

        try:
            value = cbor2.loads(raw)
        except (cbor2.CBORDecodeError, ValueError):
            return {CBOR_MARK: "raw", "base64": base64.b64encode(raw).decode()}
        return _from_cbor(value, [len(raw)], 0)
    text = raw.decode("utf-8", errors="replace")
    if "json" in ctype or text.lstrip().startswith(("{", "[")):
        try:
            return cassette_io.loads(text)
        except cassette_io.Refused as exc:
            raise Refused(f"JSON body {exc}") from None
        except ValueError:
            return text
    return text


class Refused(cassette_io.Refused):
    """A body no service sends and no reader should walk, with the reason: deeper than the
    cassette bound, a number past Python's digit limit, CBOR shared references that expand
    past the body's own size (a billion laughs) or refer to themselves."""


def to_bytes(body: Any, ctype: str) -> bytes:
    """The stored form -> the bytes botocore's parser reads."""
    if body is None:
        return b""
    if eventstream.is_body(body):
        return eventstream.encode(body)
    if is_cbor(ctype) or (isinstance(body, dict) and CBOR_MARK in body):
        if isinstance(body, dict) and body.get(CBOR_MARK) == "raw":
            return base64.b64decode(body["base64"])
        import cbor2

        return bytes(cbor2.dumps(_to_cbor(body)))
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":")).encode()


def _from_cbor(value: Any, budget: list[int], depth: int) -> Any:
    """The stored form of a decoded CBOR value. Without shared references (tags 28/29) every
    item takes a byte of the body at least, so BUDGET (the body's length) bounds the items
    built: past it, or past MAX_DEPTH levels, the body is Refused (40 bytes of doubling
    references expand to 2**40 items; a reference to itself never ends)."""
    import cbor2

    budget[0] -= 1
    if budget[0] < 0:
        raise Refused("CBOR body expands through shared references past its own size")
    if depth > cassette_io.MAX_DEPTH:
        raise Refused(f"CBOR body nests deeper than {cassette_io.MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {str(k): _from_cbor(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_cbor(v, budget, depth + 1) for v in value]
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        raise Refused(f"CBOR body holds a number of more than {cassette_io.MAX_DIGITS} digits")
    if isinstance(value, bytes):
        return {CBOR_MARK: "bytes", "base64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        stamp = value.timestamp()
        return {CBOR_MARK: "epoch", "value": int(stamp) if stamp.is_integer() else stamp}
    if isinstance(value, cbor2.CBORTag):
        inner = _from_cbor(value.value, budget, depth + 1)
        return {CBOR_MARK: "tag", "tag": value.tag, "value": inner}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # undefined and simple values carry no data botocore reads


def _to_cbor(value: Any) -> Any:
    import cbor2

    if isinstance(value, dict):
        mark = value.get(CBOR_MARK)
        if mark == "bytes":
            return base64.b64decode(value["base64"])
        if mark == "epoch":
            return cbor2.CBORTag(1, value["value"])
        if mark == "tag":
            return cbor2.CBORTag(int(value["tag"]), _to_cbor(value["value"]))
        return {k: _to_cbor(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cbor(v) for v in value]
    return value


def is_marker(value: Any) -> bool:
    """A wrapped CBOR value (bytes, timestamp): opaque to the sanitizer."""
    return isinstance(value, dict) and CBOR_MARK in value


# -- XML: reached through a parser and the model's shapes ---------------------------------------


def rewrite_xml(
    text: str,
    shape: botocore.model.Shape | None,
    protocol: str,
    leaf: LeafRewrite,
    context: Context = _no_context,
) -> str:
    """Rewrite every leaf and attribute of an XML body through LEAF, each with the member name and
    shape it binds to (None when the model does not say), and serialize it again. Text that is
    not well-formed XML (or declares a DTD) is returned as it is, for the caller's text rules."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("XML with a document type declaration")
    prefixes: dict[str, str] = {}
    data = text.encode()
    depth = 0
    for event, found in ElementTree.iterparse(
        io.BytesIO(data), events=("start-ns", "start", "end")
    ):
        if event == "start-ns":
            prefixes.setdefault(found[1], found[0])
        else:  # the walk below recurses: 200,000 nested elements were a RecursionError
            depth += 1 if event == "start" else -1
            if depth > cassette_io.MAX_DEPTH:
                raise Refused(f"XML body nests deeper than {cassette_io.MAX_DEPTH} levels")
    root = ElementTree.fromstring(data)
    _XmlWalk(leaf, protocol, context).root(root, shape)
    decl = _XML_DECL.match(text)
    return (decl.group(0) if decl else "") + _serialize(root, prefixes, top=True)


class _XmlWalk:
    """Walks an element tree alongside botocore shapes, the way botocore's XML parsers bind it."""

    def __init__(self, leaf: LeafRewrite, protocol: str, context: Context) -> None:
        self.leaf = leaf
        self.protocol = protocol
        self.context = context
        self.public = False  # inside a structure whose names are AWS's own
        self.owned = False  # inside an AWS-owned resource
        self.siblings: dict[str, str] = {}  # leaf texts of the structure being walked
        self.path: list[str] = []  # member path of the element being walked
        self.container: botocore.model.Shape | None = None  # structure of the siblings

    def root(self, root: ElementTree.Element, shape: botocore.model.Shape | None) -> None:
        if shape is not None and self.protocol == "query":
            wrapper = shape.serialization.get("resultWrapper")
            for child in root:
                if wrapper and _local(child.tag) == wrapper:
                    self.node(child, shape, None)
                else:
                    self.node(child, None, _local(child.tag))
            return
        if shape is not None and self.protocol == "rest-xml":
            payload = shape.serialization.get("payload")
            if payload and payload in shape.members:
                shape = shape.members[payload]
        self.node(root, shape, None)

    def node(
        self, elem: ElementTree.Element, shape: botocore.model.Shape | None, name: str | None
    ) -> None:
        kind = shape.type_name if shape is not None else None
        self.attributes(elem, shape)
        if kind == "structure":
            assert shape is not None
            self.structure(elem, shape)
        elif kind == "list":
            assert shape is not None
            for child in elem:
                self.at("[]", child, shape.member, name)
        elif kind == "map":
            assert shape is not None
            for entry in elem:
                self.entry(entry, shape, name)
        elif len(elem):
            for child in elem:  # not in the model: every leaf by its own tag
                self.at(_local(child.tag), child, None, _local(child.tag))
        elif elem.text:
            where = XmlLeaf(
                name, shape, self.public, self.siblings, tuple(self.path), self.container,
                self.owned,
            )  # fmt: skip
            elem.text = self.leaf(where, elem.text)

    def at(
        self,
        segment: str,
        elem: ElementTree.Element,
        shape: botocore.model.Shape | None,
        name: str | None,
    ) -> None:
        self.path.append(segment)
        try:
            self.node(elem, shape, name)
        finally:
            self.path.pop()

    def structure(self, elem: ElementTree.Element, shape: botocore.model.Shape) -> None:
        outer = (self.public, self.owned, self.siblings, self.container)
        leaves = {_local(c.tag): c.text or "" for c in elem if not len(c)}
        wire_to_member = {wire: name for wire, (name, _) in shapes.by_wire(shape).items()}
        public, owned = self.context([(wire_to_member.get(t, t), x) for t, x in leaves.items()])
        self.public, self.owned = self.public or public, self.owned or owned
        self.siblings, self.container = leaves, shape
        self._structure(elem, shape)
        self.public, self.owned, self.siblings, self.container = outer

    def _structure(self, elem: ElementTree.Element, shape: botocore.model.Shape) -> None:
        by_wire = shapes.by_wire(shape)
        for member_name, member in shape.members.items():
            if member.type_name in ("list", "map") and member.serialization.get("flattened"):
                inner = member.member if member.type_name == "list" else None
                if inner is not None and inner.serialization.get("name"):
                    by_wire.setdefault(inner.serialization["name"], (member_name, member))
        for child in elem:
            found = by_wire.get(_local(child.tag))
            if found is None:
                self.at(_local(child.tag), child, None, _local(child.tag))
                continue
            member_name, member = found
            self.path.append(member_name)
            try:
                if member.serialization.get("flattened") and member.type_name == "list":
                    self.at("[]", child, member.member, member_name)
                elif member.serialization.get("flattened") and member.type_name == "map":
                    self.entry(child, member, member_name)
                else:
                    self.node(child, member, member_name)
            finally:
                self.path.pop()

    def entry(
        self, entry: ElementTree.Element, shape: botocore.model.Shape, name: str | None
    ) -> None:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        key = next((p.text or "" for p in entry if _local(p.tag) == key_name), "")
        for part in entry:
            tag = _local(part.tag)
            if tag == key_name:
                self.node(part, shape.key, None)
            elif tag == value_name:
                self.at(key, part, shape.value, name)  # the path names the map's key, as in JSON
            else:
                self.at(tag, part, None, tag)

    def attributes(self, elem: ElementTree.Element, shape: botocore.model.Shape | None) -> None:
        members = shape.members if shape is not None and shape.type_name == "structure" else {}
        for attr, value in list(elem.attrib.items()):
            local = _local(attr)
            bound = next(
                (
                    (n, m)
                    for n, m in members.items()
                    if m.serialization.get("xmlAttribute")
                    and _local_name(shapes.wire_name(n, m)) == local
                ),
                None,
            )
            name, member = bound if bound else (local, None)
            where = XmlLeaf(name, member, self.public, {}, (*self.path, name), None, self.owned)
            elem.attrib[attr] = self.leaf(where, value)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _local_name(name: str) -> str:
    return name.rpartition(":")[2]


def _qualified(name: str, prefixes: dict[str, str]) -> str:
    if name.startswith("{"):
        uri, _, local = name[1:].partition("}")
        prefix = prefixes.get(uri, "")
        return f"{prefix}:{local}" if prefix else local
    return name


def _serialize(elem: ElementTree.Element, prefixes: dict[str, str], top: bool = False) -> str:
    attrs = ""
    if top:
        for uri, prefix in prefixes.items():
            attrs += f" xmlns:{prefix}={quoteattr(uri)}" if prefix else f" xmlns={quoteattr(uri)}"
    for key, value in elem.attrib.items():
        attrs += f" {_qualified(key, prefixes)}={quoteattr(value)}"
    tag = _qualified(elem.tag, prefixes)
    inner = escape(elem.text or "") + "".join(_serialize(c, prefixes) for c in elem)
    out = f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"
    return out + escape(elem.tail or "")


# -- reading a stored exchange the way botocore does --------------------------------------------

_parsers: dict[str, Any] = {}


def wire_protocol(service_model: botocore.model.ServiceModel, ctype: str = "") -> str:
    """The protocol spoken: CBOR when the body says so, else the one botocore resolves (CloudWatch
    lists smithy-rpc-v2-cbor first, yet botocore speaks JSON to it)."""
    if is_cbor(ctype):
        return "smithy-rpc-v2-cbor"
    resolved = getattr(service_model, "resolved_protocol", None)
    return str(resolved or service_model.metadata["protocol"])


def parse_response(
    op: botocore.model.OperationModel,
    status: int,
    headers: dict[str, str],
    body: bytes,
    streaming: bool = False,
) -> dict[str, Any]:
    """What botocore's Endpoint makes of this response: the same parser, the same passes."""
    from botocore.awsrequest import HeadersDict
    from botocore.parsers import create_parser

    service = op.service_model
    protocol = wire_protocol(service, content_type(headers))
    parser = _parsers.get(protocol)
    if parser is None:
        parser = _parsers[protocol] = create_parser(protocol)
    payload: Any = body
    if op.has_event_stream_output and status < 300:
        payload = eventstream.RawStream(body)  # botocore reads events from the raw stream
    elif streaming and status < 300:
        from botocore.response import StreamingBody

        payload = StreamingBody(io.BytesIO(body), len(body))
    response = {
        "status_code": status,
        # Case-insensitive like live headers: the parser looks up "ETag", cassettes say "etag".
        "headers": HeadersDict(headers),
        "body": payload,
        "context": {"operation_name": op.name},
    }
    parsed: dict[str, Any] = parser.parse(response, op.output_shape)
    if status >= 300:
        # botocore's second pass: modeled error members (e.g. "message") beside "Error".
        code = parsed.get("Error", {}).get("Code")
        shape = service.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(parser.parse(response, shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return parsed


def request_members(op: botocore.model.OperationModel, request: Request) -> dict[str, Any]:
    """A stored request's top-level input members by member name (URI labels, query string,
    headers, JSON/CBOR body, form fields), the inverse of botocore's serializers for what
    pagination and `pagetape replay` need: scalars, maps and lists of top-level members. The
    body is the stored (decoded) form."""
    path, query, headers, body = request.path, request.query, request.headers, request.body
    shape = op.input_shape
    if shape is None:
        return {}
    members = shape.members
    out: dict[str, Any] = {}
    query_map: dict[str, list[str]] = {}
    for key, value in query:
        query_map.setdefault(key, []).append(value)
    lowered = {k.lower(): v for k, v in headers.items()}
    labels = uri_labels(op.http.get("requestUri", "/"), path)
    form = _form(body, content_type(headers))
    xml = _xml_leaves(body)
    for name, member in members.items():
        wire = shapes.wire_name(name, member)
        location = member.serialization.get("location")
        if location == "uri":
            if wire in labels:
                out[name] = labels[wire]
        elif location == "querystring":
            if member.type_name == "map":
                continue
            values = query_map.get(wire)
            if values is not None:
                out[name] = values if member.type_name == "list" else values[0]
        elif location == "header":
            if wire.lower() in lowered:
                out[name] = lowered[wire.lower()]
        elif form is not None:
            ec2 = op.metadata.get("protocol") == "ec2"
            found = _form_value(form, _form_name(name, member, ec2), member, ec2, top=True)
            if found is not _ABSENT:
                out[name] = found
        elif xml is not None:
            if wire in xml:
                out[name] = xml[wire]
        elif isinstance(body, dict) and wire in body:
            out[name] = body[wire]
    payload = shape.serialization.get("payload")
    if payload in members and body is not None and payload not in out:
        # The body is one member (InvokeEndpoint's Body, InvokeModel's body): all of it.
        kind = members[payload].type_name
        if kind in ("blob", "string"):
            out[payload] = body if isinstance(body, str) else json.dumps(body)
        elif kind == "structure" and isinstance(body, dict):
            out[payload] = body
    return out


def _xml_leaves(body: Any) -> dict[str, str] | None:
    """The leaf children of an XML request body's root (rest-xml POSTs such as CloudFront's
    List* operations carry Marker and MaxItems there)."""
    if not isinstance(body, str) or not body.lstrip().startswith("<") or "<!DOCTYPE" in body:
        return None
    try:
        root = ElementTree.fromstring(body.encode())
    except ElementTree.ParseError:
        return None
    return {_local(child.tag): child.text or "" for child in root if not len(child)}


_ABSENT = object()


def _form_name(name: str, member: botocore.model.Shape, ec2: bool) -> str:
    """A member's key in a query/ec2 form, as botocore's serializers name it."""
    if ec2:
        wire = member.serialization.get("queryName") or member.serialization.get("name", name)
        return str(wire[:1].upper() + wire[1:])
    return str(member.serialization.get("name", name))


def _form_value(
    form: dict[str, str], prefix: str, shape: botocore.model.Shape, ec2: bool, top: bool = False
) -> Any:
    """The value botocore's query/ec2 serializer flattened under PREFIX (`Filter.1.Name`,
    `Filter.1.Value.1`, `Tags.member.1.Key`, `Attributes.entry.1.value`), rebuilt by SHAPE;
    _ABSENT when nothing is there. Top-level scalars stay text (`typed` converts them, as for
    query strings); nested ones are typed here, where nothing else can."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        out = {}
        for name, member in members.items():
            found = _form_value(form, f"{prefix}.{_form_name(name, member, ec2)}", member, ec2)
            if found is not _ABSENT:
                out[name] = found
        return out if out else _ABSENT
    if kind == "list":
        member = shape.member
        if prefix in form and form[prefix] == "":
            return []  # botocore's spelling of an empty list
        if ec2 or shape.serialization.get("flattened"):
            base = prefix
            if not ec2 and member.serialization.get("name"):
                base = ".".join([*prefix.split(".")[:-1], member.serialization["name"]])
        else:
            base = f"{prefix}.{member.serialization.get('name', 'member')}"
        items: list[Any] = []
        while (found := _form_value(form, f"{base}.{len(items) + 1}", member, ec2)) is not _ABSENT:
            items.append(found)
        return items if items else _ABSENT
    if kind == "map":
        key_shape, value_shape = shape.key, shape.value
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = key_shape.serialization.get("name", "key")
        value_name = value_shape.serialization.get("name", "value")
        pairs: dict[str, Any] = {}
        n = 1
        while f"{base}.{n}.{key_name}" in form:
            value = _form_value(form, f"{base}.{n}.{value_name}", value_shape, ec2)
            pairs[form[f"{base}.{n}.{key_name}"]] = None if value is _ABSENT else value
            n += 1
        return pairs if pairs else _ABSENT
    if prefix not in form:
        return _ABSENT
    text = form[prefix]
    if top:
        return text
    if kind in ("integer", "long") and text.lstrip("-").isdecimal():
        return int(text)
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _form(body: Any, ctype: str) -> dict[str, str] | None:
    if not isinstance(body, str) or "x-www-form-urlencoded" not in ctype:
        return None
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body, keep_blank_values=True))


@cache
def uri_pattern(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A URI template (`/{Bucket}/{Key+}`) as a pattern its paths fully match (`{Label}` one
    segment, `{Key+}` the rest of the path, a trailing slash either way), and its label names
    in order. Shared by the sanitizer, replay and identification."""
    names: list[str] = []

    def group(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return "(.+)" if m.group(2) else "([^/]+)"

    literal = re.escape(template.partition("?")[0].rstrip("/"))
    return re.compile(re.sub(r"\\\{([A-Za-z0-9_]+)(\\\+)?\\\}", group, literal) + "/?"), tuple(
        names
    )


def uri_labels(template: str, path: str) -> dict[str, str]:
    """{label: value} of a URI template (`/{Bucket}/{Key+}`) matched against a path."""
    from urllib.parse import unquote

    pattern, names = uri_pattern(template)
    found = pattern.fullmatch(path.partition("?")[0])
    if not found:
        return {}
    return {name: unquote(value) for name, value in zip(names, found.groups(), strict=True)}


def to_jsonable(value: Any) -> Any:
    """A parsed response as JSON values (datetimes as ISO text, bytes as base64)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    return value
