"""Synthesize one paginator's world from botocore's model: the required input parameters and a
three-page chain of outputs (as boto3 would return them after parsing), with pagination tokens
that are distinctive marker strings so the server can tell which page a request asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import botocore.model
import botocore.session
import jmespath
from botocore import xform_name

from conformance.regex_sample import sample
from pagetape.wire.codec import wire_protocol

REGION = "us-east-1"
ACCOUNT = "493817265001"  # looks like an account id: the sanitizer must replace it
EPOCH = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
MAX_DEPTH = 3
PAGES = 3
_CONTAINERS = ("structure", "list", "map")


class Unservable(Exception):
    """The operation cannot be served from 127.0.0.1 (or synthesized) for a reason given."""

    def __init__(self, group: str, reason: str) -> None:
        super().__init__(f"{group}: {reason}")
        self.group = group
        self.reason = reason


@cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def paginators(service: str) -> dict[str, dict[str, Any]]:
    try:
        return dict(session().get_paginator_model(service)._paginator_config)
    except Exception:
        return {}


@cache
def services() -> list[str]:
    """Every service of the installed botocore that has at least one paginator."""
    loader = session().get_component("data_loader")
    return sorted(loader.list_available_services("paginators-1"))


def catalogue() -> list[tuple[str, str]]:
    return [(svc, op) for svc in services() for op in sorted(paginators(svc))]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass
class Paging:
    """A paginator config, normalized."""

    input_token: list[str]
    output_token: list[str]
    result_key: list[str]
    limit_key: str | None
    more_results: str | None
    non_aggregate_keys: list[str]

    @classmethod
    def of(cls, config: dict[str, Any]) -> Paging:
        return cls(
            _as_list(config["input_token"]),
            _as_list(config["output_token"]),
            _as_list(config.get("result_key")),
            config.get("limit_key"),
            config.get("more_results"),
            _as_list(config.get("non_aggregate_keys")),
        )


@dataclass
class Scenario:
    """Everything the server serves and the test checks for one paginator."""

    sid: int
    service: str
    operation: str
    protocol: str
    op: botocore.model.OperationModel
    paging: Paging
    params: dict[str, Any]
    page_size: int | None
    pages: list[dict[str, Any]]  # parsed-form outputs, page 1..3
    markers: dict[int, tuple[str, int]]  # page number -> (string marker, integer marker)
    counts: list[dict[str, int]]  # per page: result key -> item count
    served: list[int] = field(default_factory=list)  # page numbers the server answered

    @property
    def snake(self) -> str:
        return str(xform_name(self.operation))

    @property
    def list_items(self) -> int:
        """Items as pagetape's recorder counts them: only result keys that are lists."""
        total = 0
        for page in self.pages:
            for key in self.paging.result_key:
                found = jmespath.search(key, page)
                total += len(found) if isinstance(found, list) else 0
        return total


def count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (list, dict)):
        return len(value)
    return 1


def marker_strings(sid: int, page: int) -> tuple[str, int]:
    return f"ctok-{sid}-p{page}", 7_000_000 + sid * 10 + page


# -- values ------------------------------------------------------------------------------------


class Values:
    """Deterministic values for shapes; `n` makes strings of one chain distinct."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n

    def output(self, shape: botocore.model.Shape, name: str, stack: tuple[str, ...] = ()) -> Any:
        """A value for an output member: every member filled, lists of one, bounded depth."""
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                return {"synth": "document"}
            if shape.name in stack or len(stack) >= MAX_DEPTH:
                return None
            inner = (*stack, shape.name)
            members = _output_members(shape)
            if shape.is_tagged_union:  # exactly one member, a scalar when there is one
                scalars = [m for m in members if m[1].type_name not in _CONTAINERS]
                members = (scalars or members)[:1]
            out = {}
            for member_name, member in members:
                value = self.output(member, member_name, inner)
                if value is not None:
                    out[member_name] = value
            if shape.is_tagged_union and not out and members:
                name, member = members[0]  # too deep for more: an empty container still counts
                out[name] = _minimal(member)
            return out
        if kind == "list":
            if shape.member.name in stack or len(stack) >= MAX_DEPTH:
                return []
            item = self.output(shape.member, name, stack)
            return [] if item is None else [item]
        if kind == "map":
            value = self.output(shape.value, name, stack)
            key = self.scalar(shape.key, "key")
            return {} if value is None else {key: value}
        return self.scalar(shape, name)

    def scalar(self, shape: botocore.model.Shape, name: str) -> Any:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "string":
            if shape.enum:
                return shape.enum[0]
            return _fit(self._string(name), meta)
        if kind in ("integer", "long"):
            low = int(meta.get("min", 0))
            high = meta.get("max")
            value = max(low, 3)
            return min(value, int(high)) if high is not None else value
        if kind in ("float", "double"):
            return 2.5
        if kind == "boolean":
            return True
        if kind == "timestamp":
            return EPOCH + timedelta(seconds=self.next())
        if kind == "blob":
            return bytes(range(1, 17))  # binary: no text a name detector could match
        return f"{name}-{self.next()}"

    def _string(self, name: str) -> str:
        n = self.next()
        lowered = name.lower()
        if lowered.endswith("arn"):
            return f"arn:aws:{self.service}:{REGION}:{ACCOUNT}:resource/synth-{n}"
        if "email" in lowered:
            return f"jane.doe{n}@example-corp.com"
        if lowered.endswith(("accountid", "ownerid")):
            return ACCOUNT
        if lowered.endswith(("ipaddress", "privateip", "publicip")):
            return f"10.1.2.{n % 250 + 1}"
        return f"{name}-{n}"

    def input(self, shape: botocore.model.Shape, name: str, depth: int = 0) -> Any:
        """A JSON-able value for a required input member that satisfies the model."""
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if shape.is_document_type:
                return {}
            if shape.is_tagged_union:
                member_name = next(iter(shape.members))
                return {member_name: self.input(shape.members[member_name], member_name, depth)}
            return {
                m: self.input(shape.members[m], m, depth + 1)
                for m in shape.required_members
                if depth < MAX_DEPTH
            }
        if kind == "list":
            size = max(1, int(meta.get("min", 1)))
            return [self.input(shape.member, name, depth + 1) for _ in range(size)]
        if kind == "map":
            size = int(meta.get("min", 0))
            out = {}
            for i in range(size):
                key = self.input(shape.key, f"key{i}", depth + 1)
                out[key] = self.input(shape.value, name, depth + 1)
            return out
        if kind == "string":
            if shape.enum:
                return shape.enum[0]
            return self.input_string(shape, name)
        if kind in ("integer", "long"):
            low = int(meta.get("min", 1))
            high = meta.get("max")
            value = max(low, 1)
            return min(value, int(high)) if high is not None else value
        if kind in ("float", "double"):
            return float(meta.get("min", 1))
        if kind == "boolean":
            return False
        if kind == "timestamp":
            return "2024-05-01T00:00:00Z"
        if kind == "blob":
            return "synth"
        raise Unservable("unsynthesizable input", f"{name} has type {kind}")

    def _arn_candidates(self, pattern: str) -> list[str]:
        """Real-looking ARNs (a region, an account id) for an ARN pattern: endpoint rules parse
        ARN parameters, so `arn:aws:kinesis::0:stream/a` would match and still not work."""
        if "arn" not in pattern:
            return []
        model = session().get_service_model(self.service)
        spaces = [
            *re.findall(r":([a-z][a-z0-9-]+):", pattern),
            *(model.signing_name or "", model.endpoint_prefix or "", self.service),
        ]
        kinds = [*re.findall(r":([a-z][a-zA-Z-]*)/", pattern), "resource"]
        return [
            f"arn:aws:{space}:{REGION}:{ACCOUNT}:{kind}/synth-{self.next()}"
            for space in dict.fromkeys(s for s in spaces if s)
            for kind in dict.fromkeys(kinds)
        ]

    def input_string(self, shape: botocore.model.Shape, name: str) -> str:
        meta = shape.metadata
        low, high = int(meta.get("min", 0)), meta.get("max")
        pattern = meta.get("pattern")
        plain = _fit(self._string(name), meta)
        if not pattern or _matches(pattern, plain):
            return plain
        for candidate in self._arn_candidates(pattern):
            if low <= len(candidate) <= (high or 2048) and _matches(pattern, candidate):
                return candidate
        found = sample(pattern, low, high)
        if found is None:
            raise Unservable(
                "unsynthesizable input", f"no value for {name} matches the pattern {pattern}"
            )
        return found


def _minimal(shape: botocore.model.Shape) -> Any:
    """The smallest container value that still parses: a union gets exactly one member."""
    if shape.type_name == "list":
        return []
    if shape.type_name == "structure" and shape.is_tagged_union:
        name, member = next(iter(shape.members.items()))
        if member.type_name not in _CONTAINERS:
            return {name: Values("synth").scalar(member, name)}
        return {name: _minimal(member)}
    return {}


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # Java-only syntax: pagetape does not check it either


def _fit(text: str, meta: dict[str, Any]) -> str:
    low, high = int(meta.get("min", 0)), meta.get("max")
    if high is not None and len(text) > int(high):
        text = text[-int(high) :] if int(high) >= 1 else ""
    return text.ljust(low, "x")


def _output_members(shape: botocore.model.StructureShape) -> list[tuple[str, botocore.model.Shape]]:
    out = []
    for member_name, member in shape.members.items():
        ser = member.serialization
        if ser.get("location") == "statusCode" or ser.get("eventstream"):
            continue
        if member.type_name == "structure" and member.serialization.get("eventstream"):
            continue
        out.append((member_name, member))
    return out


# -- tokens ------------------------------------------------------------------------------------


def _shape_at(shape: botocore.model.Shape, expression: str) -> botocore.model.Shape | None:
    """The shape a simple JMESPath (`A.B`, `A[-1].B`) points to."""
    for segment in expression.split("."):
        name = segment.split("[", 1)[0]
        if shape.type_name != "structure" or name not in shape.members:
            return None
        shape = shape.members[name]
        if segment.endswith("[-1]"):
            if shape.type_name != "list":
                return None
            shape = shape.member
    return shape


def _place(page: dict[str, Any], expression: str, value: Any) -> None:
    """Set VALUE where a simple JMESPath points; `a || b`: the last alternative (S3 sends no
    NextMarker without a delimiter, so its chain runs on Contents[-1].Key)."""
    expression = expression.split("||")[-1].strip()
    node: Any = page
    segments = expression.split(".")
    for i, segment in enumerate(segments):
        name = segment.split("[", 1)[0]
        last = i == len(segments) - 1
        if segment.endswith("[-1]"):
            items = node.setdefault(name, [{}])
            if not items:
                items.append({})
            if last:
                items[-1] = value
            else:
                node = items[-1]
        elif last:
            node[name] = value
        else:
            node = node.setdefault(name, {})


def _token_value(values: Values, shape: botocore.model.Shape, marker: tuple[str, int]) -> Any:
    """A token of SHAPE's type that carries the page marker (a map or structure token, such as
    DynamoDB's LastEvaluatedKey, carries it in a string leaf)."""
    text, number = marker
    kind = shape.type_name
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        return text.ljust(int(shape.metadata.get("min", 0)), "x")
    if kind in ("integer", "long"):
        return number
    if kind == "map":
        return {"pk": _token_value(values, shape.value, marker)}
    if kind == "structure":
        if shape.is_tagged_union:
            name = next(
                (n for n, m in shape.members.items() if m.type_name == "string"),
                next(iter(shape.members)),
            )
            return {name: _token_value(values, shape.members[name], marker)}
        out = {m: values.output(shape.members[m], m) for m in shape.required_members}
        for name, member in shape.members.items():
            if member.type_name in ("string", "map", "structure") and not getattr(
                member, "enum", None
            ):
                out[name] = _token_value(values, member, marker)
                break
        return out
    if kind == "list":
        return [_token_value(values, shape.member, marker)]
    raise Unservable("untokenizable output", f"a {kind} token cannot carry a page marker")


# -- the scenario ------------------------------------------------------------------------------


def _page_size(op: botocore.model.OperationModel, paging: Paging) -> int | None:
    if not paging.limit_key or op.input_shape is None:
        return None
    shape = op.input_shape.members.get(paging.limit_key)
    if shape is None:
        return None
    meta = shape.metadata
    low = max(1, int(meta.get("min", 1)))
    high = meta.get("max")
    size = max(low, 2)
    return min(size, int(high)) if high is not None else size


def build(service: str, operation: str, sid: int) -> Scenario:
    """Synthesize PAGES pages for one paginator; raises Unservable with a reason."""
    model = session().get_service_model(service)
    op = model.operation_model(operation)
    paging = Paging.of(paginators(service)[operation])
    host_prefix = (op.endpoint or {}).get("hostPrefix")
    if host_prefix:
        raise Unservable(
            "endpoint hostPrefix",
            f"botocore prepends {host_prefix!r} to the endpoint host, which 127.0.0.1 cannot take",
        )
    values = Values(service)
    reserved = {*paging.input_token, *([paging.limit_key] if paging.limit_key else [])}
    params: dict[str, Any] = {}
    if op.input_shape is not None:
        for name in op.input_shape.required_members:
            if name not in reserved:
                params[name] = values.input(op.input_shape.members[name], name)
    page_size = _page_size(op, paging)
    per_page = min(page_size or 2, 2)
    pages: list[dict[str, Any]] = []
    markers = {p: marker_strings(sid, p) for p in range(2, PAGES + 1)}
    output = op.output_shape
    if output is None:
        raise Unservable("no output shape", "the operation has no output")
    for number in range(1, PAGES + 1):
        page = values.output(output, "Output") or {}
        items = per_page if number < PAGES else 1
        for key in paging.result_key:
            target = _shape_at(output, key)
            if target is not None and target.type_name == "list":
                item = values.output(target.member, key.split(".")[-1], (output.name,))
                _place(page, key, [item if item is not None else {} for _ in range(items)])
                if item is not None:
                    for i in range(1, items):  # distinct items
                        _place_item(page, key, i, values.output(target.member, key, ()))
        for key in paging.output_token:
            _drop(page, key)
        if number < PAGES:
            for key in paging.output_token:
                target = _shape_at(output, key.split("||")[-1].strip())
                if target is None:
                    raise Unservable("untokenizable output", f"{key} is not in the output shape")
                _place(page, key, _token_value(values, target, markers[number + 1]))
        if paging.more_results:
            _place(page, paging.more_results, number < PAGES)
        pages.append(page)
    counts = [
        {key: count(jmespath.search(key, page)) for key in paging.result_key} for page in pages
    ]
    if not any(isinstance(t, str) for t in paging.output_token):
        raise Unservable("untokenizable output", "no output token")
    return Scenario(
        sid, service, operation, wire_protocol(model), op, paging, params, page_size, pages,
        markers, counts,
    )  # fmt: skip


def _place_item(page: dict[str, Any], key: str, index: int, item: Any) -> None:
    found = jmespath.search(key, page)
    if isinstance(found, list) and index < len(found) and item is not None:
        found[index] = item


def _drop(page: dict[str, Any], expression: str) -> None:
    """Remove the synthesized filler where an output token lives (page 3 carries none)."""
    for alternative in expression.split("||"):
        segments = alternative.strip().split(".")
        if any(s.endswith("]") for s in segments):
            continue  # an item's field: the item stays
        node: Any = page
        for segment in segments[:-1]:
            node = node.get(segment) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(segments[-1], None)
