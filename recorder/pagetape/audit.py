"""Cassettes pagetape did not write, seen as pagetape cassettes with nothing sanitized, so
`verify` audits them with the same checks: a repository that still uses vcrpy or placebo can
guard its fixtures before it switches. Nothing in them is a fake, so every account id, email,
address, key or secret the detection engine finds is a finding, named by interaction and field.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from pagetape import cassette as cassette_io
from pagetape import codec

FOREIGN = "foreign"  # the service a foreign view names: no model, no token chain to check


def is_pagetape(raw: bytes) -> bool:
    return b'"pagetape"' in raw[:200]


def foreign_view(path: Path, raw: bytes) -> cassette_io.Cassette:
    """A vcrpy cassette (YAML or JSON, gzipped or not) or a placebo response file as an
    unsanitized cassette; CassetteError when it is neither."""
    from pagetape.placebo import FILE_NAME, read_response

    if raw.lstrip()[:1] == b"{" and b'"metadata"' in raw[:4096]:
        return cassette_io.decode(raw, str(path))  # pagetape's, damaged: its own message

    if path.suffix == ".json" and FILE_NAME.fullmatch(path.name) and b'"status_code"' in raw:
        saved = read_response(path)
        interaction = cassette_io.Interaction(
            operation=saved.operation,
            request=cassette_io.Request(method="", path=""),
            response=cassette_io.Response(status=saved.status, body=saved.data),
        )
        return _tape(saved.operation, [interaction])
    from pagetape.importer import recorded

    interactions = []
    for one in recorded(path, raw):
        uri = urlsplit(one.uri)
        interactions.append(
            cassette_io.Interaction(
                operation="",
                request=cassette_io.Request(
                    method=one.method,
                    path=uri.path or "/",
                    query=parse_qsl(uri.query, keep_blank_values=True),
                    headers=one.request_headers,
                    body=_decoded(one.request_body, one.request_headers),
                ),
                response=cassette_io.Response(
                    status=one.status,
                    headers=one.response_headers,
                    body=_decoded(one.response_body, one.response_headers),
                ),
            )
        )
    return _tape("", interactions)


def _decoded(raw: bytes, headers: dict[str, str]) -> object:
    return codec.decode(raw, codec.content_type(headers))


def _tape(operation: str, interactions: list[cassette_io.Interaction]) -> cassette_io.Cassette:
    meta = cassette_io.Metadata(
        service=FOREIGN, operation=operation, region="", params={}, page_size=None,
        pages=len(interactions), items=0, recorded_at="", tool_version="",
        botocore_version="", protocol="", kept_rules=["token"],
    )  # fmt: skip
    return cassette_io.Cassette(pagetape=cassette_io.FORMAT_VERSION, metadata=meta,
                                interactions=interactions)  # fmt: skip
