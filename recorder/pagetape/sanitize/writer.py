"""Turn captured or imported exchanges into a sanitized cassette and write it: shared by
`pagetape record`, the pytest record modes, imports and `pagetape sanitize`, so every path applies the same rules, the same leak
check and the same atomic write as `pagetape record`."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pagetape
from pagetape.aws import catalogue
from pagetape.aws.specs import botocore_session, installed_botocore, operation_model
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction
from pagetape.errors import CassetteError
from pagetape.sanitize.secret import fakes_seal, load_secret
from pagetape.sanitize.walker import NOT_AWS, Sanitizer
from pagetape.wire import chain, codec
from pagetape.wire.request import visible_params

_TOKEN_NUMBER = re.compile(r"pagetape-token-(\d+)")


def next_token_number(previous: cassette_io.Cassette | None) -> int:
    """New tokens are numbered after the ones a cassette already holds, so they never collide."""
    if previous is None:
        return 1
    numbers = _TOKEN_NUMBER.findall(cassette_io.encode(previous).decode())
    return 1 + max((int(n) for n in numbers), default=0)


def build(
    exchanges: list[Interaction],
    region: str,
    previous: cassette_io.Cassette | None = None,
    keep_rules: Iterable[str] = (),
    resanitized: cassette_io.Cassette | None = None,
    params: Mapping[str, Any] | None = None,
    keep_paths: Iterable[str] = (),
) -> tuple[cassette_io.Cassette, Sanitizer]:
    """Sanitize EXCHANGES (appended after PREVIOUS's interactions) and describe the result.

    RESANITIZED is the cassette the exchanges were read from when sanitizing one again: its
    pseudonyms, token numbers and parameters are kept as they are. PARAMS are the caller's own
    parameters (`pagetape record`); without them they are read off the first request."""
    base = previous or resanitized
    aws = [x for x in exchanges if x.operation and x.service != NOT_AWS]
    if base is not None:
        service, operation = base.metadata.service, base.metadata.operation
    elif aws:
        service, operation = aws[0].service or "", aws[0].operation
    else:
        raise CassetteError("no AWS calls to put in a cassette")
    if params is None and resanitized is not None:
        params = resanitized.metadata.params
    kept = sorted(set(keep_rules) | set(base.metadata.kept_rules if base else []))
    kept_paths = sorted(set(keep_paths) | set(base.metadata.kept_paths if base else []))
    secret = load_secret()
    trusted = (
        base.metadata.fakes
        if base is not None and base.metadata.fakes_seal == fakes_seal(secret, base.metadata.fakes)
        else []
    )
    sanitizer = Sanitizer(
        secret,
        disabled=kept,
        first_token=next_token_number(base),
        known_fakes=trusted,
        keep_paths=kept_paths,
    )
    new, clean_params = sanitizer.sanitize(exchanges, params, service, operation)
    if resanitized is not None:
        # Values sanitized by the first pass are fakes now: their marks carry over.
        for clean, old in zip(new, resanitized.interactions, strict=False):
            clean.request.sanitized = sorted({*clean.request.sanitized, *old.request.sanitized})
    interactions = [*(previous.interactions if previous else []), *new]
    for interaction, exchange in zip(new, exchanges, strict=True):
        if exchange.service != service:
            interaction.service = exchange.service
    metadata = describe(service, operation, region, interactions)
    if params is not None:
        metadata.params = clean_params
    stats = sanitizer.stats + Counter(base.metadata.sanitizer if base else {})
    fakes = sanitizer.fakes()  # the base's fakes it trusted are among them
    stamp(
        metadata,
        sanitizer=dict(sorted(stats.items())),
        kept_rules=kept,
        kept_paths=kept_paths,
        fakes=fakes,
        fakes_seal=fakes_seal(secret, fakes),
    )
    if base is not None:
        metadata.source = base.metadata.source  # an imported cassette stays marked as one
    return cassette_io.Cassette(cassette_io.FORMAT_VERSION, metadata, interactions), sanitizer


def stamp(
    metadata: cassette_io.Metadata,
    *,
    sanitizer: dict[str, int],
    kept_rules: list[str],
    kept_paths: list[str],
    fakes: list[str],
    fakes_seal: str | None,
    recorded_at: str | None = None,
    tool_version: str | None = None,
    botocore_version: str | None = None,
) -> None:
    """Set the facts of the run that made a cassette on its METADATA: when and by which
    versions (now and the installed ones unless given), what the sanitizer replaced and kept,
    its fakes and their seal. The one place they are set (`stamp_as` copies them)."""
    if botocore_version is None:
        botocore_version = installed_botocore()
    if recorded_at is None:
        recorded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    metadata.recorded_at = recorded_at
    metadata.tool_version = pagetape.__version__ if tool_version is None else tool_version
    metadata.botocore_version = botocore_version
    metadata.sanitizer = sanitizer
    metadata.kept_rules = kept_rules
    metadata.kept_paths = kept_paths
    metadata.fakes = fakes
    metadata.fakes_seal = fakes_seal


def stamp_as(metadata: cassette_io.Metadata, facts: cassette_io.Metadata) -> None:
    """Give METADATA the run facts FACTS was stamped with: each cassette of a placebo folder
    gets the folder's, as one sanitizer made them all."""
    stamp(
        metadata,
        sanitizer=facts.sanitizer,
        kept_rules=facts.kept_rules,
        kept_paths=facts.kept_paths,
        fakes=facts.fakes,
        fakes_seal=facts.fakes_seal,
        recorded_at=facts.recorded_at,
        tool_version=facts.tool_version,
        botocore_version=facts.botocore_version,
    )


def write(
    target: Path, tape: cassette_io.Cassette, sanitizer: Sanitizer, *, overwrite: bool = True
) -> None:
    """Prove no replaced original survives, then write atomically. Without OVERWRITE an
    existing TARGET (even one created by a concurrent writer) is a CassetteRaceError."""
    data = cassette_io.encode(tape)
    sanitizer.check_leaks(data)
    cassette_io.atomic_write(target, data, overwrite=overwrite)


def describe(
    service: str, operation: str, region: str, interactions: list[cassette_io.Interaction]
) -> cassette_io.Metadata:
    """Metadata derived from interactions: OPERATION's pages, items, parameters and page size,
    read through the codec and botocore's parser whatever the protocol."""
    mine = [i for i in interactions if i.operation == operation]
    found = chain.operation(service, operation)
    protocol = ""
    with contextlib.suppress(Exception):
        ctype = codec.content_type(mine[0].response.headers) if mine else ""
        protocol = codec.wire_protocol(botocore_session().get_service_model(service), ctype)
    result_key = limit_key = None
    params: dict[str, Any] = {}
    items = 0
    if found is not None:
        op, spec = found
        result_key = spec.result_key[0] if spec.result_key else None
        limit_key = spec.limit_key
        for i in mine:
            page = chain.page(service, i)
            items += (page.items or 0) if page is not None else 0
        if mine:
            params = codec.request_members(op, mine[0].request)
            for token in spec.input_token:
                params.pop(token, None)
    elif mine:
        # Any other operation (an imported Converse, InvokeEndpoint, HeadBucket): its members
        # by name, URI labels and payload included, so `pagetape replay` can call it again.
        first = mine[0].request
        op = operation_model(service, operation)  # None: the request's visible parameters
        params = codec.request_members(op, first) if op is not None else visible_params(first)
        for token in ("nextToken", "NextToken"):
            params.pop(token, None)
    page_size = params.pop(limit_key, None) if limit_key else None
    params = catalogue.without_injected(service, operation, params)  # botocore's, not the caller's
    pages = sum(1 for i in mine if i.response.status < 300)
    errors = [i for i in mine if i.response.status >= 300]
    return cassette_io.Metadata(
        service=service,
        operation=operation,
        region=region,
        params=params,
        page_size=_int_or_none(page_size),
        pages=pages,
        items=items,
        recorded_at="",
        tool_version="",
        botocore_version="",
        protocol=protocol,
        result_key=result_key,
        error=_error_of(service, errors[-1]) if errors else None,
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _error_of(service: str, interaction: cassette_io.Interaction) -> str:

    found = chain.operation(interaction.service or service, interaction.operation)
    if found is not None:
        with contextlib.suppress(Exception):
            error = chain.parsed(found[0], interaction).get("Error", {})
            return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    body = interaction.response.body if isinstance(interaction.response.body, dict) else {}
    code = body.get("__type") or interaction.response.headers.get("x-amzn-errortype", "Error")
    message = body.get("message") or body.get("Message") or ""
    return f"{str(code).split('#')[-1].split(':')[0]}: {message}".strip()
