"""Human and JSON summaries of a cassette, shared by `show`, `record` and `demo`. The text form
escapes control characters (`pagetape.terminal`); the JSON form is escaped by json.dumps."""

from __future__ import annotations

import json
from typing import Any

from pagetape.cassette.store import Cassette
from pagetape.terminal import counted, printable
from pagetape.wire import chain


def page_rows(tape: Cassette) -> list[dict[str, Any]]:
    """One row per interaction: status, items on the page, tokens asked for and given."""
    meta = tape.metadata
    rows = []
    walks = chain.walks(meta.service, tape.interactions)
    for i, (interaction, walk) in enumerate(zip(tape.interactions, walks, strict=True), 1):
        page = chain.page(meta.service, interaction)
        asked = _shown(page.asked) if page else None
        given = _shown(page.given) if page and page.more else None
        error = None
        if interaction.response.status >= 300:
            error = page.error if page else "error"
        rows.append(
            {
                "page": i,
                "chain": walk,
                "operation": interaction.operation,
                "status": interaction.response.status,
                "items": page.items if page else None,
                "token_in": asked,
                "token_out": given,
                "error": error,
            }
        )
    return rows


def _shown(tokens: tuple[Any, ...]) -> Any:
    """One token as it is; several as a list; none as None."""
    present = [t for t in tokens if chain.canonical(t) is not None]
    if not present:
        return None
    return present[0] if len(tokens) == 1 else [chain.canonical(t) for t in tokens]


def as_dict(tape: Cassette, path: str) -> dict[str, Any]:
    """The `show --json` object: metadata plus one row per page."""
    meta = tape.metadata
    return {
        "path": path,
        "service": meta.service,
        "operation": meta.operation,
        "region": meta.region,
        "params": meta.params,
        "page_size": meta.page_size,
        "pages": meta.pages,
        "items": meta.items,
        "error": meta.error,
        "recorded_at": meta.recorded_at,
        "tool_version": meta.tool_version,
        "botocore_version": meta.botocore_version,
        "sanitizer": meta.sanitizer,
        **({"source": meta.source} if isinstance(meta.source, str) else {}),
        "interactions": page_rows(tape),
    }


def as_text(tape: Cassette, path: str) -> str:
    """A few readable lines: what, how much, and the parameters a test must pass."""
    meta = tape.metadata
    lines = [
        f"{path}",
        f"  {meta.service} {meta.operation} in {meta.region}: {counted(meta.pages, 'page')}, "
        f"{counted(meta.items, 'item')} (page size {meta.page_size if meta.page_size else 'default'})",
        f"  params: {json.dumps(meta.params, sort_keys=True) if meta.params else 'none'}",
        f"  recorded {meta.recorded_at} with pagetape {meta.tool_version}, "
        f"botocore {meta.botocore_version}",
    ]
    if meta.error:
        lines.append(f"  ends in an error: {meta.error}")
    if isinstance(meta.source, str):
        lines.append(f"  imported from {meta.source}")
    rows = page_rows(tape)
    starts: dict[int, int] = {}  # each chain of the cassette's operation -> its first page
    for row in rows:
        if row["operation"] == meta.operation:
            starts.setdefault(row["chain"], row["page"])
    if len(starts) > 1:
        lines.append(
            f"  {len(starts)} separate chains of {meta.operation}, each from its first page "
            "(replay answers them in this order)"
        )
    for row in rows:
        if len(starts) > 1 and starts.get(row["chain"]) == row["page"]:
            lines.append(f"    chain {list(starts).index(row['chain']) + 1}:")
        items = counted(row["items"], "item") if row["items"] is not None else row["error"] or "-"
        nxt = row["token_out"] or "end"
        other = f" ({row['operation']})" if row["operation"] != meta.operation else ""
        lines.append(f"    page {row['page']}{other}: HTTP {row['status']}, {items}, next: {nxt}")
    return "\n".join(printable(line) for line in lines)  # a value's own newline stays escaped
