"""`pagetape sanitize`: a vcrpy cassette, or a pagetape cassette sanitized again (after a rule
changed or a secret rotated), through the same sanitizer and write as a recording."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import CassetteError
from pagetape.imports.foreign import is_pagetape
from pagetape.imports.vcr import read_vcr
from pagetape.sanitize import writer
from pagetape.sanitize.walker import NOT_AWS
from pagetape.wire import codec


def sanitize_file(
    source: Path,
    target: Path | None = None,
    keep_rules: Iterable[str] = (),
    keep_paths: Iterable[str] = (),
) -> tuple[cassette_io.Cassette, Path]:
    """`pagetape sanitize`: a vcrpy or pagetape cassette in, a sanitized pagetape cassette out.

    Without TARGET a pagetape cassette is sanitized in place and a vcrpy one is written beside
    itself as `<name>.pagetape.json`: the original is never overwritten with another format."""
    data = cassette_io.read(source)
    if is_pagetape(data):
        old = cassette_io.decode(data, str(source))
        tape, sanitizer = writer.build(
            read_pagetape(old, str(source)),
            old.metadata.region,
            None,
            keep_rules,
            old,
            keep_paths=keep_paths,
        )
        target = target or source
    else:
        exchanges, signed_region = read_vcr(source, data)
        if not any(x.service != NOT_AWS for x in exchanges):
            raise CassetteError(f"{source} holds no AWS calls (no SigV4-signed requests)")
        tape, sanitizer = writer.build(
            exchanges, signed_region or "us-east-1", None, keep_rules, keep_paths=keep_paths
        )
        target = target or source.with_name(f"{source.stem}.pagetape.json")
    writer.write(target, tape, sanitizer)
    return tape, target


def read_pagetape(tape: cassette_io.Cassette, source: str = "cassette") -> list[Interaction]:
    """A pagetape cassette's interactions as exchanges again, to run them through the sanitizer:
    bodies become the bytes they were on the wire (the codec's encoding, as replay serves them),
    so a CBOR or event-stream body is decoded again as one, not read as JSON. SOURCE names the
    file in a refusal."""

    def encode(n: int, part: str, body: Any, headers: dict[str, str]) -> bytes:
        try:
            return codec.to_bytes(body, codec.content_type(headers))
        except ValueError as exc:  # a hand-edited CBOR or event-stream body
            raise CassetteError(f"{source}: interaction {n}: {part} body: {exc}") from None

    return [
        Interaction(
            service=i.service or tape.metadata.service,
            operation=i.operation,
            request=Request(
                method=i.request.method,
                path=i.request.path,
                query=list(i.request.query),
                headers=dict(i.request.headers),
                body=encode(n, "request", i.request.body, i.request.headers),
            ),
            response=Response(
                status=i.response.status,
                headers=dict(i.response.headers),
                body=encode(n, "response", i.response.body, i.response.headers),
            ),
        )
        for n, i in enumerate(tape.interactions, 1)
    ]
