"""Read cassettes pagetape did not write: vcrpy / pytest-recording YAML or JSON with boto3
traffic, and pagetape cassettes (to sanitize again), as raw exchanges for the sanitizer.

Which service and operation an exchange belongs to comes from the request itself: the
X-Amz-Target header (JSON protocols), the SigV4 credential scope or host (the service), and the
method and path matched against the operations' URI templates (REST protocols).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pagetape import cassette as cassette_io
from pagetape.errors import CassetteError
from pagetape.sanitize import RawExchange
from pagetape.specs import botocore_session

NOT_AWS = "not-aws"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@cache
def _by_signing_name() -> dict[str, list[str]]:
    """signingName/endpointPrefix -> boto3 service names (loads every model once)."""
    session = botocore_session()
    out: dict[str, list[str]] = {}
    for service in session.get_available_services():
        meta = session.get_service_model(service).metadata
        for key in {meta.get("signingName"), meta.get("endpointPrefix"), service}:
            if key:
                out.setdefault(key, []).append(service)
    return out


def _candidates(signing: str) -> list[str]:
    available = set(botocore_session().get_available_services())
    quick = [s for s in (signing, signing.replace("-", "")) if s in available]
    return quick or _by_signing_name().get(signing, [])


def _match_rest(service: str, method: str, path: str) -> str | None:
    model = botocore_session().get_service_model(service)
    best: tuple[int, str] | None = None
    for name in model.operation_names:
        http = model.operation_model(name).http
        if http.get("method", "POST").upper() != method.upper():
            continue
        template = http.get("requestUri", "/").split("?")[0]
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template.rstrip("/"))) + "/?$"
        pattern = pattern.replace("[^/]+\\+", ".+")
        if re.match(pattern, path):
            literal = len(re.sub(r"\{[^}]+\}", "", template))
            if best is None or literal > best[0]:
                best = (literal, name)
    return best[1] if best else None


def identify(method: str, uri: str, headers: dict[str, str]) -> tuple[str, str, str | None]:
    """(service, operation, region) of a recorded request, or NOT_AWS when it is not AWS."""
    lower = {k.lower(): v for k, v in headers.items()}
    scope = _SCOPE.search(lower.get("authorization", ""))
    host = urlsplit(uri).hostname or ""
    region = scope.group(1) if scope else None
    signing: str | None = scope.group(2) if scope else None
    if signing is None and host.endswith(".amazonaws.com"):
        signing = host.split(".")[0]
    if signing is None:
        return NOT_AWS, NOT_AWS, None
    target = lower.get("x-amz-target")
    for service in _candidates(signing):
        model = botocore_session().get_service_model(service)
        if target:
            prefix, _, name = target.rpartition(".")
            if model.metadata.get("targetPrefix") == prefix and name in model.operation_names:
                return service, name, region
            continue
        matched = _match_rest(service, method, urlsplit(uri).path or "/")
        if matched:
            return service, matched, region
    return NOT_AWS, NOT_AWS, region


def _text(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):  # vcrpy response bodies: {"string": ...}
        return _text(value.get("string"))
    return str(value).encode()


def _headers(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (raw or {}).items():
        values = value if isinstance(value, list) else [value]
        out[str(key)] = ", ".join(
            v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values
        )
    return out


def read_vcr(path: Path, raw: bytes | None = None) -> tuple[list[RawExchange], str | None]:
    """Exchanges of a vcrpy cassette (YAML or JSON), and the region its requests were signed for.

    RAW is the file's content when already read (with `cassette.read`: bounded, regular files
    only); it passes the loader's size, UTF-8 and depth checks before a parser sees it."""
    import yaml

    raw = cassette_io.read(path) if raw is None else raw
    cassette_io.check_text(raw, str(path))
    text = raw.decode("utf-8")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CassetteError(
            f"{path} is neither JSON nor YAML: {str(exc).splitlines()[0]}"
        ) from None
    except RecursionError:  # YAML block nesting, which the bracket scan cannot see
        raise CassetteError(f"{path} nests too deeply; not read") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"{path} is not a vcrpy cassette: it has no 'interactions' list")
    exchanges: list[RawExchange] = []
    region = None
    for n, interaction in enumerate(data["interactions"], 1):
        try:
            req, resp = interaction["request"], interaction["response"]
            method, uri = str(req["method"]), str(req["uri"])
            status = int(
                resp["status"]["code"] if isinstance(resp["status"], dict) else resp["status"]
            )
        except (KeyError, TypeError, ValueError):
            raise CassetteError(f"{path}: interaction {n} lacks a request or response") from None
        req_headers, resp_headers = _headers(req.get("headers")), _headers(resp.get("headers"))
        body = _text(resp.get("body"))
        if any(k.lower() == "content-encoding" and "gzip" in v for k, v in resp_headers.items()):
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                raise CassetteError(
                    f"{path}: interaction {n} says gzip but its body is not"
                ) from None
            resp_headers = {
                k: v for k, v in resp_headers.items() if k.lower() != "content-encoding"
            }
        service, operation, signed_region = identify(method, uri, req_headers)
        region = region or signed_region
        parts = urlsplit(uri)
        exchanges.append(
            RawExchange(
                service=service,
                operation=operation,
                method=method,
                path=parts.path or "/",
                query=parse_qsl(parts.query, keep_blank_values=True),
                request_headers=req_headers,
                request_body=_text(req.get("body")),
                status=status,
                response_headers=resp_headers,
                response_body=body,
            )
        )
    return exchanges, region


def read_pagetape(tape: cassette_io.Cassette) -> list[RawExchange]:
    """A pagetape cassette's interactions as exchanges again, to run them through the sanitizer."""

    def encode(body: Any) -> bytes:
        if body is None:
            return b""
        return body.encode() if isinstance(body, str) else json.dumps(body).encode()

    return [
        RawExchange(
            service=i.service or tape.metadata.service,
            operation=i.operation,
            method=i.request.method,
            path=i.request.path,
            query=list(i.request.query),
            request_headers=dict(i.request.headers),
            request_body=encode(i.request.body),
            status=i.response.status,
            response_headers=dict(i.response.headers),
            response_body=encode(i.response.body),
        )
        for i in tape.interactions
    ]
