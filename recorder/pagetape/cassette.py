"""The cassette file: typed msgspec schema, stable encoding, validated loading, atomic writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from pagetape.errors import CassetteError

FORMAT_VERSION = 1


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """A sanitized HTTP request. No host: replay must not depend on endpoint or region."""

    method: str
    path: str
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: Any = None  # a JSON value for JSON protocols, text otherwise, None when empty


class Response(msgspec.Struct, forbid_unknown_fields=True):
    """A sanitized HTTP response; the body stays JSON so a reviewer can read it."""

    status: int
    headers: dict[str, str] = {}
    body: Any = None


class Interaction(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One call of one operation: the last attempt only, retried attempts are dropped.
    `service` is written only when it differs from the cassette's (a test that lists two)."""

    operation: str
    request: Request
    response: Response
    service: str | None = None


class Metadata(msgspec.Struct, forbid_unknown_fields=True):
    """What was recorded and how; `params` are the sanitized values a test must pass."""

    service: str
    operation: str
    region: str
    params: dict[str, Any]
    page_size: int | None
    pages: int
    items: int
    recorded_at: str
    tool_version: str
    botocore_version: str
    protocol: str
    result_key: str | None = None
    error: str | None = None
    sanitizer: dict[str, int] = {}
    kept_rules: list[str] = []  # sanitization rules switched off on purpose (--keep-rule)
    fakes: list[str] = []  # every pseudonym in the file: lets `verify` tell them from leaks
    fakes_seal: str | None = (
        None  # keyed seal over `fakes`: re-sanitizing trusts them only if it holds
    )


class Cassette(msgspec.Struct, forbid_unknown_fields=True):
    """A whole cassette: version first so old readers fail with a clear reason."""

    pagetape: int
    metadata: Metadata
    interactions: list[Interaction]


class _Versioned(msgspec.Struct):
    pagetape: Any = None


_encoder = msgspec.json.Encoder(order="deterministic")


def encode(cassette: Cassette) -> bytes:
    """Stable, indented bytes: the same cassette always encodes to the same bytes."""
    return msgspec.json.format(_encoder.encode(cassette), indent=2) + b"\n"


def decode(data: bytes, source: str = "<bytes>") -> Cassette:
    """Parse and validate; never executes anything. Errors name the source and the reason."""
    try:
        head = msgspec.json.decode(data, type=_Versioned)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CassetteError(f"{source} is not a pagetape cassette: {exc}") from None
    if head.pagetape is None:
        raise CassetteError(f"{source} is not a pagetape cassette: it has no 'pagetape' version")
    if head.pagetape != FORMAT_VERSION:
        raise CassetteError(
            f"{source} has cassette version {head.pagetape!r}; this pagetape reads version "
            f"{FORMAT_VERSION} only"
        )
    try:
        return msgspec.json.decode(data, type=Cassette)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CassetteError(f"{source} is malformed: {exc}") from None


def read(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes; a missing or unreadable file is a CassetteError, not an OSError."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise CassetteError(f"{p}: no such cassette") from None
    except OSError as exc:
        raise CassetteError(f"{p}: cannot read the cassette ({exc.strerror})") from None


def load(path: str | os.PathLike[str]) -> Cassette:
    """Read and validate a cassette file."""
    return decode(read(path), str(path))


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write via a temp file in the same folder, fsync, rename: readers see old or new, never half."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise CassetteError(f"cannot write {p}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CassetteError(f"cannot write {p}: {exc.strerror or exc}") from None
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
