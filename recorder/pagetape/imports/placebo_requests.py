"""The requests behind placebo's responses: placebo records none, so botocore rebuilds each one
(a real client whose `before-call` is caught, nothing signed or sent) from the parameters the
response echoes, and a placeholder that replay matches to any value for every other required
one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from pagetape.aws.isolation import fresh_session
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Request
from pagetape.errors import CassetteError
from pagetape.wire.request import logical_path, wire_scalar

if TYPE_CHECKING:
    import botocore.model

    from pagetape.aws.specs import OperationSpec

PLACEHOLDER = "placebo-unrecorded"
# Required members a response names under another member (S3 echoes the bucket as `Name`).
_ECHOED_AS = {("s3", "Bucket"): "Name"}
# Echoed members botocore fills in by itself: passing them would change what it does (S3 only
# URL-decodes listed keys when it chose `encoding-type=url` itself).
_NOT_ECHOED = frozenset({("s3", "EncodingType")})
# Services whose listings echo the optional parameters a caller passed, and only those (S3's
# Prefix, Delimiter, StartAfter); other services echo defaults too.
_ECHOES_OPTIONAL = frozenset({"s3"})


class _Captured(Exception):
    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("captured")
        self.request = request


class Requests:
    """The HTTP request botocore makes for an operation and parameters, caught at
    `before-call` (after every handler that shapes it, S3's encoding-type included), never
    signed or sent. Inside isolated_environment: no credentials, files or network."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str, operation: str, params: dict[str, Any]) -> Request:
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError

        client = self._client(service)
        try:
            getattr(client, xform_name(operation))(**params)
        except _Captured as caught:
            return _http(caught.request)
        except (BotoCoreError, ValueError, TypeError, KeyError) as exc:
            raise CassetteError(
                f"cannot rebuild the {service} {operation} request from the placebo data: {exc}"
            ) from None
        raise CassetteError(f"botocore made no {service} {operation} request")  # pragma: no cover

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            from botocore.config import Config

            client = fresh_session().client(
                service,
                region_name=self.region,
                config=Config(parameter_validation=False, retries={"max_attempts": 1}),
            )

            def capture(params: Any = None, **_: Any) -> None:
                raise _Captured(dict(params or {}))

            client.meta.events.register("before-call.*.*", capture)
            self._clients[service] = client
        return client


def _http(request: Mapping[str, Any]) -> Request:
    """The request as `pagetape record` captures it: the path as the URI template sees it (S3's
    bucket included), the template's literal query first, the body as the bytes sent."""
    path, _, literal = logical_path(request).partition("?")
    query = parse_qsl(literal, keep_blank_values=True)
    raw_query = request.get("query_string") or {}
    if isinstance(raw_query, Mapping):
        for key, value in raw_query.items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                query.append((str(key), wire_scalar(item)))
    headers = {
        str(k): str(v)
        for k, v in (request.get("headers") or {}).items()
        if str(k).lower() in ("content-type", "x-amz-target")
    }
    body = request.get("body")
    if isinstance(body, Mapping):  # query and ec2: botocore form-encodes the dict when sending
        data = urlencode([(str(k), wire_scalar(v)) for k, v in body.items()]).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = bytes(body or b"")
    return Request(
        method=str(request.get("method", "POST")),
        path=path or "/",
        query=query,
        headers=headers,
        body=data,
    )


def first_params(
    service: str,
    operation: str,
    op: botocore.model.OperationModel,
    spec: OperationSpec | None,
    parsed: Mapping[str, Any],
    region: str,
    variant: int,
) -> dict[str, Any]:
    """A chain's first request: the required input members the response echoes (GetGroup's
    GroupName; S3 also echoes the optional ones passed) and a placeholder for every other
    required one (VARIANT picks one of two sets, to find where they land); never tokens or
    the page size, which placebo did not record."""
    shape = op.input_shape
    if shape is None:
        return {}
    skip = set(spec.input_token if spec else ()) | {spec.limit_key if spec else None}
    required = set(shape.required_members)
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        if name in skip or member.metadata.get("idempotencyToken"):
            continue
        if (service, name) in _NOT_ECHOED:
            continue
        if name not in required and service not in _ECHOES_OPTIONAL:
            continue  # other services echo defaults the caller never passed
        echoed = _echo(parsed, _ECHOED_AS.get((service, name), name), member, name in required)
        if echoed is not None:
            out[name] = echoed
        elif name in required:
            where = _Where(op.service_model, region, f"{operation}-{name}")
            placeholder = _placeholder(member, name, where, variant)
            if placeholder is not None:
                out[name] = placeholder
    return out


def _echo(parsed: Mapping[str, Any], name: str, member: botocore.model.Shape, deep: bool) -> Any:
    """NAME's non-empty scalar value at the top of PARSED (or, with DEEP, one structure below
    it, as GetGroup's Group.GroupName), when its type fits MEMBER."""
    candidates = [parsed.get(name)]
    if deep:
        candidates += [v.get(name) for v in parsed.values() if isinstance(v, dict)]
    for value in candidates:
        if value is None or value == "" or isinstance(value, (dict, list)):
            continue
        kind = member.type_name
        if kind == "string" and isinstance(value, str):
            return value
        if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "boolean" and isinstance(value, bool):
            return value
    return None


@dataclass(frozen=True)
class _Where:
    """What a placeholder is named after: the service, region, operation and member path."""

    service: botocore.model.ServiceModel
    region: str
    label: str

    def under(self, name: str) -> _Where:
        return _Where(self.service, self.region, f"{self.label}-{name}")


_ARN_MEMBER = re.compile(r"(Arn|ARN|arn)s?$")


def _placeholder(member: botocore.model.Shape, name: str, where: _Where, variant: int) -> Any:
    """A value for a required member placebo did not record. Where two variants differ, replay
    matches any value the test passes (the locations are marked sanitized): text named after
    the operation and member (an ARN for an ARN), distinctive numbers and times, a structure's
    required members. Enums and booleans get one value (a different one would be bound to the
    test's and replaced in every response text that contains it), so they must match; None
    for what cannot be guessed (maps, documents)."""
    kind = member.type_name
    text = f"{PLACEHOLDER}-{where.label}".lower() + ("-b" if variant else "")
    if kind == "string":
        if member.enum:
            return str(member.enum[0])
        pattern = str(member.metadata.get("pattern", ""))
        if _ARN_MEMBER.search(name) or pattern.lstrip("^").startswith("arn:"):
            meta = where.service.metadata
            service = meta.get("signingName") or meta.get("endpointPrefix")
            return f"arn:aws:{service}:{where.region}:123456789012:{text}"
        return text
    if kind == "blob":
        return text.encode()
    if kind == "boolean":
        return False
    if kind in ("integer", "long"):
        top = member.metadata.get("max")  # Cognito's MaxResults: at most 60
        return 424242 + variant if top is None or top >= 424243 else int(top) - variant
    if kind in ("float", "double"):
        return 4242.5 + variant
    if kind == "timestamp":
        return datetime(2001, 2, 3, 4, 5, 6 + variant, tzinfo=timezone.utc)
    if where.label.count("-") > 6:  # deep enough: recursive shapes end here
        return None
    if kind == "list":
        item = _placeholder(member.member, name, where, variant)
        return None if item is None else [item]
    if kind == "structure" and not member.is_document_type:
        out = {}
        for child in member.required_members:
            value = _placeholder(member.members[child], child, where.under(child), variant)
            if value is not None:
                out[child] = value
        return out or None
    return None


def mark_placeholders(tape: cassette_io.Cassette, roles: list[frozenset[str]]) -> None:
    """Mark where requests hold placeholders as sanitized: on replay such a value matches
    whatever the test passes there, bound for the rest of the test."""
    for interaction, mine in zip(tape.interactions, roles, strict=True):
        if mine:
            interaction.request.sanitized = sorted({*interaction.request.sanitized, *mine})
