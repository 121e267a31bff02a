"""The cassette file: typed msgspec schema, stable encoding, bounded validated loading, atomic
writes."""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import re
import secrets
import stat
import zlib
from pathlib import Path
from typing import Any

import msgspec

from pagetape import signals
from pagetape.errors import CassetteError, CassetteRaceError
from pagetape.terminal import printable

FORMAT_VERSION = 1


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """An HTTP request: the one request type from capture and import through the sanitizer,
    the cassette, replay and matching. No host: replay must not depend on endpoint or region.
    The body is the bytes on the wire until sanitized; in a cassette it is a JSON value for JSON
    protocols, text otherwise, None when empty."""

    method: str
    path: str
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: Any = None
    # Where the sanitizer replaced a value (`query.prefix`, `body.Path`): on replay those match
    # the test's real values by role (pagetape.wire.match).
    sanitized: list[str] = []


class Response(msgspec.Struct, forbid_unknown_fields=True):
    """An HTTP response; in a cassette the body is decoded (JSON, text, CBOR and event-stream
    frames as data) so a reviewer can read it, before sanitizing it is the bytes on the wire."""

    status: int
    headers: dict[str, str] = {}
    body: Any = None


class Interaction(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One call of one operation, the one exchange type: captured or imported (bodies as bytes,
    real values, `service` always set), then sanitized into a cassette. A cassette keeps the
    last attempt only, retried attempts are dropped, and writes `service` only when it differs
    from the cassette's (a test that lists two)."""

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
    kept_paths: list[str] = []  # member paths kept real on purpose (--keep: pagetape.sanitize.keep)
    fakes: list[str] = []  # every pseudonym in the file: lets `verify` tell them from leaks
    fakes_seal: str | None = (
        None  # keyed seal over `fakes`: re-sanitizing trusts them only if it holds
    )
    # Where a cassette pagetape did not record comes from, and what that source could not say
    # (`pagetape import placebo`: request parameters). Absent from recorded cassettes.
    source: str | msgspec.UnsetType = msgspec.UNSET


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


MAX_BYTES = 64 * 1024 * 1024
"""Largest cassette pagetape reads: bounds memory and time on hostile files (real ones are KiB)."""
MAX_DEPTH = 100
"""Deepest nesting of arrays and objects: checked by a linear scan before any parser recurses
(msgspec, json and every walker over the data are recursive). AWS responses nest a few dozen."""

# A string is unrolled (runs of plain bytes between escapes: no backtracking, and no possessive
# quantifier, which needs Python 3.11) and may run to the end of the input: a JSON parser reads
# an unterminated string to the end too, and a match that cannot fail is never retried from
# the next quote (retrying made a run of escaped quotes quadratic: minutes for 64 MiB).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = [0] * 256
_BRACKET_STEP[ord("[")] = _BRACKET_STEP[ord("{")] = 1
_BRACKET_STEP[ord("]")] = _BRACKET_STEP[ord("}")] = -1


def nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting outside JSON strings, in linear time and without recursion."""
    return _depth(_JSON_STRING.sub(b"", data))


def _depth(outside: bytes) -> int:
    """Deepest bracket nesting of OUTSIDE, a text with its JSON strings taken out."""
    brackets = outside.translate(None, _NOT_BRACKET)
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


MAX_DIGITS = 4300
"""Longest number read (Python's own limit for int and str conversions since 3.10.7/3.11;
earlier 3.10 releases take minutes to read `9` * 10**6 and quadratic time past that)."""
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


# Volume caps (issue 18): a file under MAX_BYTES can still hold enough small items to take
# minutes and gigabytes (1.7 million S3 keys in one 54 MB XML page: 50-80 s and 0.9-1.5 GB for
# show, replay and verify; 100,000 placebo files: 110-140 s). The caps bound the work by
# construction and sit far above real fixtures: the largest real AWS pages are 1-10 MB (an EC2
# DescribeInstances page, an S3 listing of 1000 keys: ~10,000-250,000 elements).
MAX_INTERACTIONS = 20_000
"""Most interactions in one cassette, and placebo responses in one folder (10,000 pages of a
long chain read in seconds)."""
MAX_ITEMS = 2_000_000
"""Most items in one file: JSON values (counted by the separators outside strings) plus XML
elements (counted by their start tags) - about 8 real 10 MB EC2 pages."""
MAX_MANIFEST_BYTES = 1024 * 1024
"""Largest `record --manifest` file (a manifest of 1000 recordings is ~100 KiB)."""
MAX_RECORDINGS = 2_000
"""Most `[[recording]]` entries in one manifest (each is checked against the model, ~2 ms)."""


def _items(data: bytes, outside: bytes) -> int:
    """About how many values DATA holds, linearly: the commas outside JSON strings (OUTSIDE:
    one per array item or object member after the first) plus the XML start tags anywhere (XML
    bodies are JSON strings)."""
    return outside.count(b",") + data.count(b"<") - data.count(b"</")


class Refused(CassetteError, ValueError):
    """Text a bounded reader will not build (too deep, a number too long, no Unicode text):
    the reason, for the caller to name the file and the place. A ValueError too, so a reader
    that tries JSON and falls back to text (a string that only looks like JSON) still does."""


def loads(text: str | bytes, **options: Any) -> Any:
    """`json.loads` bounded as a cassette file is, for JSON inside a file (a body, a payload,
    a string): Refused past MAX_DEPTH levels (the parser recurses: RecursionError at ~1000,
    and every walker over the value after it), past MAX_DIGITS digits in a number, or for a
    lone surrogate escape (`\\ud800`: no text, every later `.encode()` would fail)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    outside = _JSON_STRING.sub(b"", data)
    if b"[" in outside or b"{" in outside:
        brackets = outside.translate(None, _NOT_BRACKET)
        steps = itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets))
        if max(steps, default=0) > MAX_DEPTH:
            raise Refused(f"nests deeper than {MAX_DEPTH} levels")
    if _LONG_NUMBER.search(outside):
        raise Refused(f"holds a number of more than {MAX_DIGITS} digits")
    value = json.loads(text, **options)
    if _SURROGATE_ESCAPE.search(data):
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise Refused("holds a lone surrogate (\\ud800-\\udfff), which is no text") from None
    return value


def inflate(data: bytes, source: str) -> bytes:
    """Gzip DATA inflated, streamed and refused past MAX_BYTES: a 2 MB file can inflate to
    2 GiB, so the cap applies to what comes out, not to what was read. Concatenated members
    are read as gzip reads them."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            while rest and not inflater.eof:
                out += inflater.decompress(rest, MAX_BYTES + 1 - len(out))
                rest = inflater.unconsumed_tail
                if len(out) > MAX_BYTES:
                    raise CassetteError(
                        f"{source} inflates to more than {MAX_BYTES // 2**20} MiB; not read"
                    )
        except zlib.error:
            raise CassetteError(f"{source} is gzip-compressed but damaged") from None
        if not inflater.eof:
            raise CassetteError(f"{source} is gzip-compressed but cut short")
        rest = inflater.unused_data
    return bytes(out)


def check_text(data: bytes, source: str) -> None:
    """The checks every cassette-like input passes before a parser sees it: size, UTF-8, depth."""
    if len(data) > MAX_BYTES:
        raise CassetteError(f"{source} is larger than {MAX_BYTES // 2**20} MiB; not read")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(
            f"{source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    outside = _JSON_STRING.sub(b"", data)  # one pass serves the depth and the item count
    if _depth(outside) > MAX_DEPTH:
        raise CassetteError(f"{source} nests deeper than {MAX_DEPTH} levels; not read")
    if _items(data, outside) > MAX_ITEMS:
        raise CassetteError(f"{source} holds more than {MAX_ITEMS:,} items; not read")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen = dict(pairs)
    if len(seen) != len(pairs):
        names = [k for k, _ in pairs]
        raise _DuplicateKey(next(k for k in names if names.count(k) > 1))
    return seen


class _DuplicateKey(ValueError):
    pass


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def decode(data: bytes, source: str = "<bytes>") -> Cassette:
    """Parse and validate; never executes anything. Errors name the source and the reason.

    Before any parser runs: size, UTF-8 and nesting depth (`check_text`). A key that appears
    twice in one object is refused: JSON parsers silently keep one of them, so a reviewer
    could read a value that replay never uses."""
    check_text(data, source)
    try:
        head = msgspec.json.decode(data, type=_Versioned)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CassetteError(f"{source} is not a pagetape cassette: {exc}") from None
    if head.pagetape is None:
        raise CassetteError(f"{source} is not a pagetape cassette: it has no 'pagetape' version")
    if head.pagetape != FORMAT_VERSION:
        version = head.pagetape if isinstance(head.pagetape, (int, float, str)) else "unknown"
        raise CassetteError(
            f"{source} has cassette version {version!r}; this pagetape reads version "
            f"{FORMAT_VERSION} only"
        )
    try:
        loads(data, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except Refused as exc:
        raise CassetteError(f"{source} {exc}; not read") from None
    except _DuplicateKey as exc:
        raise CassetteError(
            f"{source} is malformed: the key {exc.args[0]!r} appears twice in one object"
        ) from None
    except ValueError as exc:
        raise CassetteError(f"{source} is malformed: {printable(str(exc))}") from None
    try:
        tape = msgspec.json.decode(data, type=Cassette)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        # The reason may quote a key of the file (an unknown field): one line, no escapes.
        raise CassetteError(f"{source} is malformed: {printable(str(exc))}") from None
    if len(tape.interactions) > MAX_INTERACTIONS:
        raise CassetteError(
            f"{source} holds {len(tape.interactions):,} interactions, more than "
            f"{MAX_INTERACTIONS:,}; not read"
        )
    return tape


def read(
    path: str | os.PathLike[str],
    within: str | os.PathLike[str] | None = None,
    limit: int = MAX_BYTES,
    what: str = "cassette",
) -> bytes:
    """A regular file's bytes, at most LIMIT; every problem is a CassetteError naming it (and
    WHAT it should be: a cassette, a manifest).

    Never opens a FIFO, device or socket (stat first, open non-blocking, re-check the open
    file), so a hostile path cannot hang the reader. With WITHIN, the file (after following
    symlinks) must lie inside that folder."""
    p = Path(path)
    size_said = f"{limit // 2**20} MiB"
    try:
        if within is not None:
            real, root = os.path.realpath(p), os.path.realpath(within)
            if os.path.commonpath([real, root]) != root:
                raise CassetteError(f"{p} leads outside {within} (a symlink?); not read")
        before = os.stat(p)
        if not stat.S_ISREG(before.st_mode):
            raise CassetteError(f"{p} is {_kind(before.st_mode)}, not a {what} file; not read")
        if before.st_size > limit:
            raise CassetteError(f"{p} is larger than {size_said}; not read")
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CassetteError(f"{p}: no such {what}") from None
    except OSError as exc:
        raise CassetteError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (
            before.st_dev,
            before.st_ino,
        ):
            raise CassetteError(f"{p} changed while being opened; not read")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise CassetteError(f"{p}: cannot read the {what} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise CassetteError(f"{p} is larger than {size_said}; not read")
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def load(path: str | os.PathLike[str], within: str | os.PathLike[str] | None = None) -> Cassette:
    """Read and validate a cassette file (see `read` for WITHIN)."""
    return decode(read(path, within), str(path))


def atomic_write(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> None:
    """Write via a temp file in the same folder, fsync, then publish it in one step: readers see
    old or new, never half, and no temp file survives an error or an `Interrupted` signal.

    Without OVERWRITE the file is published with link(), which fails if the path exists: of
    two racing writers exactly one wins, the other gets CassetteRaceError. A new file gets the
    mode the umask gives; an overwritten one keeps its mode."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        old_mode = _existing_mode(p) if overwrite else None
    except OSError as exc:
        raise CassetteError(f"cannot write {p}: {exc.strerror or exc}") from None
    tmp: str | None = None
    try:
        fd = -1
        while fd < 0:
            # Named before it exists, so the cleanup below covers it from the first instant.
            candidate = tmp = str(p.parent / f".{p.name}.{secrets.token_hex(6)}.tmp")
            try:  # 0o666: the kernel applies the umask, as for any new file
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                tmp = None
        with os.fdopen(fd, "wb") as fh:
            if old_mode is not None:
                os.fchmod(fh.fileno(), old_mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with signals.deferred():  # a signal here is raised once the commit is complete
            if overwrite:
                os.replace(candidate, p)
            else:
                _publish_new(candidate, p)
            tmp = None
            signals.note_commit(str(p))
            _fsync_folder(p.parent)
    except FileExistsError:
        raise CassetteRaceError(
            f"{p} was created by someone else while this cassette was being made; nothing was "
            "written (pass --force to overwrite it)"
        ) from None
    except OSError as exc:
        raise CassetteError(f"cannot write {p}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; a file system that cannot fsync a folder is not an error."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise CassetteError unless `atomic_write(PATH)` could create its file: the folder exists
    or can be created, and a file can be made in it. Probed by creating one (permission bits
    say nothing to root or on a read-only mount); nothing is left behind."""
    p = Path(path)
    folder = p.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CassetteError(f"cannot write {p}: {folder} is not a folder")
    probe = folder / f".pagetape-probe.{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    except OSError as exc:
        raise CassetteError(f"cannot write {p}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)


def _existing_mode(path: Path) -> int | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
    return stat.S_IMODE(st.st_mode)


def _publish_new(tmp: str, path: Path) -> None:
    """Move TMP to PATH unless PATH exists. link() is atomic no-clobber; where a file system has
    no hard links, the name is reserved with O_EXCL (still exactly one winner) and the temp
    file renamed over the empty placeholder."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(tmp, path)
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
