"""A cassette as values by member path, per page: what `pagetape diff` compares and what
`pagetape show --textconv` prints for git, one `path = value` a line.

A response is read as values, never as text lines: JSON bodies as the JSON they are, CBOR and
event-stream bodies as their stored (decoded) trees, XML bodies through botocore's own parser
for the operation (the codec's `parse_response`), so an element renamed in the markup but not
in meaning is no change, and a reviewer reads `Users[2].UserName`, not `<UserName>`. Pages are
numbered within their chain (`pagetape.wire.chain.walks`), the unit `diff` aligns on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pagetape.aws import shapes
from pagetape.cassette.store import Cassette, Interaction
from pagetape.wire import chain, codec, eventstream
from pagetape.wire.match import view
from pagetape.wire.request import request_key

# Metadata a re-recording of the same account changes every time, or that restates the
# interactions (pages, items): not part of a cassette's meaning for review.
RUN_FACTS = frozenset(
    {"recorded_at", "tool_version", "botocore_version", "sanitizer", "fakes", "fakes_seal"}
)
_COUNTS = frozenset({"pages", "items"})
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$@:-]+\Z")


@dataclass(frozen=True)
class PageValues:
    """One stored exchange as values: where it sits, its request by location, its response."""

    index: int  # interaction number in the file, from 1
    chain: int  # walk number, from 1
    page: int  # position in its walk, from 1
    operation: str
    first_key: str  # the request key of its walk's first page (page size and tokens left out)
    request: dict[str, Any]  # location -> value (`query.prefix`, `body.TableName`)
    status: int
    body: Any  # the response as values
    items: int | None  # items under the result key; None when not a list
    result_key: str | None


def join(at: str, key: str) -> str:
    """A member path one level down: `a.b`, or `a["odd key"]` when the key would be ambiguous."""
    if _PLAIN_KEY.match(key):
        return f"{at}.{key}" if at else key
    return f"{at}[{json.dumps(key, ensure_ascii=False)}]"


def leaves(value: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """(member path, scalar) for every leaf; an empty map or list is a leaf of its own."""
    if isinstance(value, dict):
        if not value:
            yield at, {}
        for key, item in value.items():
            yield from leaves(item, join(at, str(key)))
    elif isinstance(value, list):
        if not value:
            yield at, []
        for i, item in enumerate(value):
            yield from leaves(item, f"{at}[{i}]")
    else:
        yield at, value


def response_values(service: str, interaction: Interaction) -> Any:
    """The response body as values (see the module docstring); text no parser reads stays text."""
    body = interaction.response.body
    if isinstance(body, (dict, list)) or body is None:
        return body  # JSON, CBOR (markers kept: they say bytes and timestamps) and event streams
    found = chain.operation(interaction.service or service, interaction.operation)
    if found is None or not isinstance(body, str):
        return body
    try:
        data = chain.parsed(found[0], interaction)
    except Exception:  # a body botocore cannot read: compared as the text it is
        return body
    data.pop("ResponseMetadata", None)
    return codec.to_jsonable(data)


def _dropped(service: str, interaction: Interaction) -> list[str]:
    """Wire names of the page size and tokens: left out of a walk's identity."""
    found = chain.operation(interaction.service or service, interaction.operation)
    if found is None:
        return []
    op, spec = found
    names = [*spec.input_token, *([spec.limit_key] if spec.limit_key else [])]
    members = op.input_shape.members if op.input_shape else {}
    return sorted({*names, *(shapes.wire_name(n, members[n]) for n in names if n in members)})


def pages(tape: Cassette) -> list[PageValues]:
    """Every interaction of TAPE as values, numbered by chain and page."""
    service = tape.metadata.service
    walks = chain.walks(service, tape.interactions)
    position: dict[int, int] = {}
    first: dict[int, str] = {}
    out = []
    for index, (interaction, walk) in enumerate(zip(tape.interactions, walks, strict=True), 1):
        position[walk] = position.get(walk, 0) + 1
        drop = _dropped(service, interaction)
        if walk not in first:
            first[walk] = request_key(
                interaction.service or service, interaction.operation, interaction.request, drop
            )
        found = chain.operation(interaction.service or service, interaction.operation)
        page = chain.page(service, interaction)
        result_key = found[1].result_key[0] if found and found[1].result_key else None
        out.append(
            PageValues(
                index=index,
                chain=walk,
                page=position[walk],
                operation=interaction.operation,
                first_key=first[walk],
                request=dict(sorted(view(interaction.request).values.items())),
                status=interaction.response.status,
                body=response_values(service, interaction),
                items=page.items if page is not None else None,
                result_key=result_key,
            )
        )
    return out


def metadata_values(tape: Cassette) -> dict[str, Any]:
    """The metadata that says what a cassette holds (no run facts, no counts)."""
    import msgspec

    raw = msgspec.to_builtins(tape.metadata)
    return {k: v for k, v in sorted(raw.items()) if k not in RUN_FACTS | _COUNTS}


def scalar(value: Any) -> str:
    """A value as one line of JSON (strings quoted, so `"5"` and `5` differ visibly)."""
    if eventstream.is_body(value):
        value = value[eventstream.MARK]
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def textconv(tape: Cassette) -> list[str]:
    """The review rendering: the metadata, then per interaction its place, request and response,
    one `path = value` a line, in file order, stable for the same file."""
    meta = tape.metadata
    lines = [f"pagetape cassette: {meta.service} {meta.operation}"]
    lines += [f"metadata.{p} = {scalar(v)}" for p, v in leaves(metadata_values(tape)) if p]
    lines.append(f"metadata.pages = {meta.pages}")
    lines.append(f"metadata.items = {meta.items}")
    for page in pages(tape):
        lines.append("")
        head = f"interaction {page.index}: chain {page.chain} page {page.page}"
        lines.append(f"{head}: {page.operation} -> {page.status}")
        for location, value in page.request.items():
            lines.append(f"  request.{location} = {scalar(value)}")
        if page.items is not None and page.result_key:
            lines.append(f"  {page.result_key}: {page.items} items")
        for path, value in leaves(page.body):
            lines.append(
                f"  response{'.' + path if path and path[0] != '[' else path} = {scalar(value)}"
            )
    return lines
