"""Which AWS service, operation and region a recorded HTTP exchange belongs to, from everything it
carries: the host, the SigV4 scope (header or presigned query), the operation target header,
`Action=` (query protocols), the method, path and query against each operation's URI template
(REST protocols), the RPCv2 path, and the body's members against each operation's shapes.

Cassettes from the wild usually lack the target and authorization headers (their vcr config
strips them), so no single clue is enough; when the clues leave more than one operation, the
exchange is not identified and the caller says which one, rather than guessing. One operation
that several services share at one endpoint (rds, docdb and neptune at rds.*) is one call on
the wire: it is named after the service the host names.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pagetape.aws import shapes
from pagetape.aws.specs import botocore_session
from pagetape.cassette.store import Interaction
from pagetape.wire import codec

AWS_SUFFIXES = (
    "amazonaws.com.cn",
    "amazonaws.com",
    "api.aws",
    "on.aws",
    "c2s.ic.gov",
    "sc2s.sgov.gov",
)
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?|-isob)?-[a-z]+-\d{1,2}")
_S3_LEGACY = re.compile(r"s3-(?:fips-)?(?:external-1|(" + _REGION.pattern + r"))")
_RPCV2 = re.compile(r"/service/([^/]+)/operation/([^/?]+)")


@dataclass(frozen=True)
class Identity:
    """An identified exchange; PATH is the one replay sees (S3's bucket first, whatever the
    addressing style of the recording)."""

    service: str
    operation: str
    region: str | None
    path: str


@dataclass(frozen=True)
class Unidentified:
    """An exchange with an AWS host or signature whose operation the clues do not settle."""

    service: str | None
    reason: str


def identify(uri: str, x: Interaction) -> Identity | Unidentified | None:
    """The identity of exchange X, sent to URI (its host says much of it); Unidentified when
    AWS but unsettled; None when not AWS at all (other HTTP traffic of the test: an OAuth
    server, a model provider). X's bodies are the bytes on the wire."""
    lower = {k.lower(): v for k, v in x.request.headers.items()}
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    scope = _SCOPE.search(lower.get("authorization", "")) or _SCOPE.search(
        "Credential=" + dict(query).get("X-Amz-Credential", "")
    )
    host = (parts.hostname or "").lower()
    labels, host_region, bucket = _host_parts(host)
    if scope is None and labels is None:
        return None
    region = scope.group(1) if scope else host_region
    services = _candidates(labels or [], scope.group(2) if scope else None)
    if not services:
        where = f"host {host}" if labels is not None else f"signing name {scope and scope[2]}"
        return Unidentified(None, f"no botocore service answers to {where}")
    path = parts.path or "/"
    if bucket and services[0] == "s3":
        path = "/" + bucket + ("" if path == "/" else path)
    found: list[tuple[int, str, str]] = []
    for service in services:
        found += [(score, service, name) for score, name in _operations(service, x, path, query)]
    if not found:
        return Unidentified(
            services[0], f"no {'/'.join(services)} operation fits {x.request.method} {path}"
        )
    found.sort(reverse=True)
    best = [f for f in found if f[0] == found[0][0]]
    if len({name for _, _, name in best}) == 1:
        # One call several services share (rds, neptune and docdb at rds.*): the service the
        # host names, since the wire cannot tell them apart.
        best = [min(best, key=lambda f: (f[1] not in (labels or []), services.index(f[1])))]
    if len(best) > 1:
        names = ", ".join(f"{s}.{n}" for _, s, n in best[:3])
        more = f" and {len(best) - 3} more" if len(best) > 3 else ""
        return Unidentified(
            best[0][1], f"{x.request.method} {path} fits {len(best)} operations ({names}{more})"
        )
    _, service, operation = best[0]
    return Identity(service, operation, region, path)


# -- host and signature ------------------------------------------------------------------------


def _host_parts(host: str) -> tuple[list[str] | None, str | None, str | None]:
    """(service labels, region, S3 bucket) of an AWS host name; labels None when not AWS."""
    suffix = next((s for s in AWS_SUFFIXES if host == s or host.endswith("." + s)), None)
    if suffix is None:
        return None, None, None
    labels = host[: -len(suffix)].rstrip(".").split(".") if host != suffix else []
    region = None
    service: list[str] = []
    for label in labels:
        legacy = _S3_LEGACY.fullmatch(label)
        if region is None and _REGION.fullmatch(label.removesuffix("-fips")):
            region = label.removesuffix("-fips")
        elif legacy:
            region = legacy.group(1) or "us-east-1"
            service.append("s3")
        elif label not in ("dualstack", "fips") and region is None:
            service.append(label.removesuffix("-fips"))
    bucket = None
    if len(service) > 1 and service[-1] in ("s3", "s3-accelerate"):
        bucket, service = ".".join(service[:-1]), ["s3"]
    return service, region, bucket


@cache
def by_endpoint_prefix() -> dict[str, list[str]]:
    """Endpoint prefix (`runtime.sagemaker`) and service name -> boto3 service names."""
    return _table("endpointPrefix")


@cache
def _by_signing() -> dict[str, list[str]]:
    """SigV4 signing name (`sagemaker` signs ten services; without one, a service signs with
    its endpoint prefix: `monitoring`) -> boto3 service names."""
    return _table("signingName", "endpointPrefix")


def _table(*fields: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for service, meta in _heads().items():
        value = next((meta[f] for f in fields if f in meta), None)
        for key in dict.fromkeys([service, value]):
            if key:
                out.setdefault(key, []).append(service)
    return out


@cache
def _heads() -> dict[str, dict[str, str]]:
    """Each service's endpoint prefix and signing name, read off the top of its model file
    (metadata comes first): a fraction of a second, where loading every model takes seconds."""
    session = botocore_session()
    loader = session.get_component("data_loader")
    out: dict[str, dict[str, str]] = {}
    for service in session.get_available_services():
        head = _head(loader, service)
        if "endpointPrefix" not in head:  # not where it is expected: the model says
            meta = session.get_service_model(service).metadata
            head = {k: str(meta[k]) for k in ("endpointPrefix", "signingName") if k in meta}
        out[service] = head
    return out


def _head(loader: Any, service: str) -> dict[str, str]:
    version = loader.determine_latest_version(service, "service-2")
    for base in loader.search_paths:
        for name, opener in (("service-2.json", open), ("service-2.json.gz", gzip.open)):
            model = Path(base, service, version, name)
            if model.is_file():
                with opener(model, "rb") as handle:
                    top = handle.read(16384)
                return {m[1].decode(): m[2].decode() for m in _HEAD_FIELD.finditer(top)}
    return {}


_HEAD_FIELD = re.compile(rb'"(endpointPrefix|signingName)"\s*:\s*"([^"]+)"')


def _candidates(labels: list[str], signing: str | None) -> list[str]:
    """Services the host labels name (all of them first: `runtime.sagemaker`), narrowed by the
    signing name."""
    # A host prefix before the service (`{AccountId}.s3-control`), else a label after it that
    # is no region (`bedrock-runtime.vcr`: a recording's made-up region).
    spans = [labels[i:] for i in range(len(labels))] + [
        labels[:i] for i in range(len(labels) - 1, 0, -1)
    ]
    named: list[str] = []
    for span in spans:
        named = by_endpoint_prefix().get(".".join(span), [])
        if named:
            break
    if signing:
        signed = _by_signing().get(signing, [])
        both = [s for s in named if s in signed]
        named = both or named or signed
    return named


# -- operations --------------------------------------------------------------------------------


def _operations(
    service: str, x: Interaction, path: str, query: list[tuple[str, str]]
) -> list[tuple[int, str]]:
    """(score, operation) for every operation of SERVICE the exchange fits; higher is surer."""
    model = botocore_session().get_service_model(service)
    names = set(model.operation_names)
    target = next((v for k, v in x.request.headers.items() if k.lower() == "x-amz-target"), "")
    if target:
        prefix, _, name = target.rpartition(".")
        fits = name in names and model.metadata.get("targetPrefix") in (prefix, None)
        return [(1000, name)] if fits else []
    rpc = _RPCV2.search(path)
    if rpc and rpc.group(2) in names:
        return [(1000, rpc.group(2))]
    action = _action(x, query)
    if action is not None:
        return [(1000, action)] if action in names else []
    protocol = model.metadata.get("protocol", "")
    if (
        protocol in ("json", "smithy-rpc-v2-cbor")
        and x.request.method.upper() == "POST"
        and path == "/"
    ):
        return _by_members(model, x)
    return _by_uri(model, x.request.method, path, query, x.request.headers)


def _action(x: Interaction, query: list[tuple[str, str]]) -> str | None:
    """`Action=` of a query-protocol request, in the form body or the query string."""
    fields = dict(query)
    body = x.request.body.lstrip()
    if "Action" not in fields and (body.startswith(b"Action=") or b"&Action=" in body):
        fields.update(parse_qsl(x.request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields.get("Action")


def _by_uri(
    model: Any, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]
) -> list[tuple[int, str]]:
    """Operations whose method and URI template fit, literal query included (`?list-type=2`),
    whose required query and header members are there (ListParts' uploadId, CopyObject's
    x-amz-copy-source); more literal characters and query words make a surer fit."""
    keys = {k for k, _ in query}
    pairs = set(query)
    sent_headers = {k.lower() for k in headers}
    out = []
    for name in model.operation_names:
        op = model.operation_model(name)
        http = op.http
        if http.get("method", "POST").upper() != method.upper():
            continue
        template, _, literal = http.get("requestUri", "/").partition("?")
        if codec.uri_pattern(template)[0].fullmatch(path) is None:
            continue
        wanted = [
            tuple(p.split("=", 1)) if "=" in p else (p, None) for p in literal.split("&") if p
        ]
        if not all((k in keys) if v is None else ((k, v) in pairs) for k, v in wanted):
            continue
        if not _required_bound(op.input_shape, keys, sent_headers):
            continue
        known = _query_members(op.input_shape)
        literals = {k for k, _ in wanted}
        if known is not None and not all(
            k in known or k in literals or k.lower().startswith("x-amz-") for k in keys
        ):
            continue  # a query word the operation does not take (GetObject has no uploadId)
        fixed = len(re.sub(r"\{[^}]+\}", "", template))
        out.append((fixed + 100 * len(wanted), name))
    return out


def _required_bound(shape: Any, keys: set[str], headers: set[str]) -> bool:
    for name in getattr(shape, "required_members", None) or []:
        member = shape.members[name]
        where, wire = member.serialization.get("location"), shapes.wire_name(name, member)
        if (where == "querystring" and wire not in keys) or (
            where == "header" and wire.lower() not in headers
        ):
            return False
    return True


def _query_members(shape: Any) -> set[str] | None:
    """The query words an operation takes; None when a map member takes any."""
    out: set[str] = set()
    for name, member in (shape.members if shape is not None else {}).items():
        if member.serialization.get("location") == "querystring":
            if member.type_name == "map":
                return None
            out.add(shapes.wire_name(name, member))
    return out


def _by_members(model: Any, x: Interaction) -> list[tuple[int, str]]:
    """A JSON-protocol request without its target header: the operations whose input has every
    member the body sends (and every required one), and whose output has every member the
    response holds; the more members that agree, the surer."""
    sent = _keys(x.request.body)
    got = _keys(x.response.body) if x.response.status < 300 else set()
    if sent is None:
        return []
    out = []
    for name in model.operation_names:
        op = model.operation_model(name)
        inputs = _members(op.input_shape)
        required = set(getattr(op.input_shape, "required_members", []) or [])
        outputs = _members(op.output_shape)
        if not sent <= inputs or not required <= sent or not (got or set()) <= outputs:
            continue
        out.append((len(sent) + len(got or ()), name))
    return out


def _keys(body: bytes) -> set[str] | None:
    if not body.strip():
        return set()
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return set(value) if isinstance(value, dict) else None


def _members(shape: Any) -> set[str]:
    if shape is None:
        return set()
    return {shapes.wire_name(n, m) for n, m in shape.members.items()}
