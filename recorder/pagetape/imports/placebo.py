"""`pagetape import placebo`: a placebo response folder becomes sanitized pagetape cassettes.

placebo (github.com/garnaat/placebo) saves every boto3 response as one file,
`[<prefix>.]<endpoint prefix>.<Operation>_<N>.json` holding `{"status_code": S, "data": D}`:
D is the response as botocore parsed it (at `after-call`, before botocore's own after-call
handlers: S3 keys are still URL-encoded when botocore asked for `encoding-type=url`), N counts
that operation's calls in order, and placebo serves file N to the N-th call whatever its
parameters (after the last file it starts over at 1). Its JSON encodes a datetime as
`{"__class__": "datetime", "year": ..., "microsecond": ...}` (components as botocore gave them,
read back as UTC), bytes as plain base64 text, and a StreamingBody as
`{"__class__": "StreamingBody", "body": <base64>}`; hand-written files often hold ISO 8601 text.
It records no request, no headers and no region.

So each response is put back on the wire with `pagetape.wire.serialize`, in the protocol botocore speaks
for the service, and the request of each call is rebuilt by botocore itself (a real client whose
`before-call` is captured, nothing sent): the pagination tokens from the page before it when the
operation has a paginator and the files chain (`_1`, `_2`, `_3` linked by their tokens), the
required parameters the response names (S3's bucket is its `Name`) or else a placeholder that
replay matches to any value, nothing else. The exchanges of the whole folder then go through
one sanitizer (a name learnt anywhere is replaced everywhere), the leak proof and the atomic
write of a recording: one cassette per operation,
`<out_dir>/[<prefix>/]<service>/<operation_snake>.json`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from pagetape.aws.isolation import isolated_environment
from pagetape.aws.specs import advance, botocore_session
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import CassetteError, CassetteExistsError
from pagetape.imports.identify import by_endpoint_prefix
from pagetape.imports.placebo_requests import Requests, first_params, mark_placeholders
from pagetape.record.recording import default_output
from pagetape.sanitize import writer
from pagetape.wire import chain, codec, match

if TYPE_CHECKING:
    import botocore.model

    from pagetape.aws.specs import OperationSpec

DEFAULT_REGION = "us-east-1"
DEFAULT_BASE = Path("cassettes")
FILE_NAME = re.compile(r"(?P<head>.+)\.(?P<operation>[A-Za-z][A-Za-z0-9]*)_(?P<index>[0-9]+)\.json")
_REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):")
_MAX_NOTED = 5  # dropped members named in metadata.source; the rest are counted


class _Saved(msgspec.Struct):
    """A placebo JSON file; other keys are ignored, as placebo ignores them."""

    status_code: int
    data: dict[str, Any]


@dataclass
class PlaceboResponse:
    """One placebo file, read and checked, its data still as placebo wrote it."""

    path: Path
    prefix: str  # placebo's optional Pill prefix ("" when none)
    service: str  # the boto3 service name
    operation: str
    index: int
    status: int
    data: dict[str, Any]


@dataclass
class _Group:
    """Every response of one operation (under one prefix), in call order."""

    prefix: str
    service: str
    operation: str
    responses: list[PlaceboResponse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A file `--skip-unreadable` left out, and why (its own fault, or a sibling's)."""

    path: Path
    reason: str  # without the file name in front: "is not JSON: ...", "skipped with ..."

    @classmethod
    def of(cls, path: Path, message: str) -> Skipped:
        """PATH, skipped for an error MESSAGE that may begin with its name."""
        for lead in (f"{path}: ", f"{path} "):
            if message.startswith(lead):
                return cls(path, message[len(lead) :])
        return cls(path, message)


@dataclass
class Imported:
    """What an import wrote, and every file it skipped (only with skip_unreadable)."""

    written: list[Path]
    skipped: list[Skipped] = field(default_factory=list)


SKIP_HINT = "nothing was written (--skip-unreadable imports the other files and names this one)"


def default_out_dir(folder: str | Path) -> Path:
    """`cassettes/<folder name>/` under the current folder: placebo keeps one folder per test,
    so each gets its own cassette folder and two tests' ListRoles never collide."""
    return DEFAULT_BASE / Path(folder).resolve().name


def import_placebo(
    folder: str | Path,
    out_dir: str | Path | None = None,
    region: str | None = None,
    force: bool = False,
    keep_rules: Iterable[str] = (),
) -> list[Path]:
    """Turn the placebo responses in FOLDER into sanitized cassettes under OUT_DIR (default
    `default_out_dir(FOLDER)`), one per operation; returns the paths written, sorted.
    `import_folder` with skip_unreadable=False: one unreadable file refuses the folder."""
    return import_folder(folder, out_dir, region, force, keep_rules).written


def import_folder(
    folder: str | Path,
    out_dir: str | Path | None = None,
    region: str | None = None,
    force: bool = False,
    keep_rules: Iterable[str] = (),
    skip_unreadable: bool = False,
) -> Imported:
    """`import_placebo`, saying what it skipped. REGION defaults to the one the responses'
    ARNs name most, else us-east-1 (placebo does not record it). Every file is read and every
    cassette built and leak-checked before anything is written; an existing cassette is a
    CassetteExistsError unless FORCE; UsageError for a bad KEEP_RULES name.

    A file that cannot be read or put back on the wire (bad JSON, a timestamp that does not
    parse, an operation botocore does not have) is a CassetteError naming it, and nothing is
    written; with SKIP_UNREADABLE it is skipped with the other files of its operation (a chain
    with a page missing would replay the wrong pages), each named in `Imported.skipped`."""
    source = Path(folder)
    files = _placebo_files(source)  # a folder without any: refused as it is
    skipped: list[Skipped] = []
    try:
        responses = _read_files(files, source, skipped if skip_unreadable else None)
        region = region or guess_region(responses)
        groups: list[_Group] = []
        made: list[tuple[list[Interaction], list[frozenset[str]]]] = []
        with isolated_environment(region):
            requests = Requests(region)
            for group in _groups(responses):
                try:
                    made.append(_exchanges(group, requests))
                except CassetteError as exc:
                    if not skip_unreadable:
                        raise
                    skipped.extend(_skip([r.path for r in group.responses], str(exc)))
                    continue
                groups.append(group)
    except CassetteError as exc:
        if skip_unreadable:
            raise
        raise CassetteError(f"{exc}; {SKIP_HINT}") from None
    if not groups:
        raise CassetteError(
            f"{source}: no placebo response could be imported, nothing was written "
            f"({skipped[0].reason})"
        )
    base = Path(out_dir) if out_dir is not None else default_out_dir(source)
    written = _write_groups(groups, made, region, base, force, keep_rules)
    return Imported(written, sorted(skipped, key=lambda s: s.path.name))


def _write_groups(
    groups: list[_Group],
    made: list[tuple[list[Interaction], list[frozenset[str]]]],
    region: str,
    base: Path,
    force: bool,
    keep_rules: Iterable[str],
) -> list[Path]:
    """Sanitize the groups' exchanges together, prove them clean, write one cassette each."""
    with isolated_environment(region):
        # One sanitizer for the whole folder (one test's world): a name learnt from any
        # response is replaced in all of them, and every cassette is proven free of them all.
        everything = [x for exchanges, _ in made for x in exchanges]
        whole, sanitizer = writer.build(everything, region, None, list(keep_rules))
    built: list[tuple[Path, cassette_io.Cassette]] = []
    start = 0
    for group, (exchanges, roles) in zip(groups, made, strict=True):
        interactions = whole.interactions[start : start + len(exchanges)]
        start += len(exchanges)
        tape = _cassette(whole, group, interactions)
        mark_placeholders(tape, roles)
        built.append((default_output(group.service, group.operation, base / group.prefix), tape))
    for target, _ in built:
        if not force and (target.exists() or target.is_symlink()):
            raise CassetteExistsError(f"{target} already exists; pass --force to overwrite it")
    for _, tape in built:
        sanitizer.check_leaks(cassette_io.encode(tape))
    for target, tape in built:
        writer.write(target, tape, sanitizer, overwrite=force)
    return sorted(target for target, _ in built)


def exchanges(responses: list[PlaceboResponse], region: str) -> list[Interaction]:
    """The exchanges `import_placebo` sanitizes for RESPONSES (in `read_folder`'s order), one per
    response and in that order: `verify` runs the sanitizer over them in memory to name what
    importing would replace. CassetteError (naming the file) for one not put on the wire."""
    with isolated_environment(region):
        requests = Requests(region)
        return [x for group in _groups(responses) for x in _exchanges(group, requests)[0]]


def _cassette(
    whole: cassette_io.Cassette, group: _Group, interactions: list[cassette_io.Interaction]
) -> cassette_io.Cassette:
    """GROUP's share of the folder's sanitized interactions as a cassette of its own; the
    sanitizer's facts (counts, kept rules, the pseudonyms and their seal) are the folder's."""
    for interaction in interactions:
        interaction.service = None
    folder = whole.metadata
    meta = writer.describe(group.service, group.operation, folder.region, interactions)
    writer.stamp_as(meta, folder)
    meta.source = _describe_source(group)
    return cassette_io.Cassette(cassette_io.FORMAT_VERSION, meta, interactions)


# -- reading -----------------------------------------------------------------------------------


def read_folder(folder: Path) -> list[PlaceboResponse]:
    """Every placebo response directly in FOLDER, checked, in (prefix, service, operation, N)
    order. Other files are ignored; a folder without any, or any file unreadable, is a
    CassetteError naming it."""
    return _read_files(_placebo_files(folder), folder, None)


def _placebo_files(folder: Path) -> list[Path]:
    """The files of FOLDER that are placebo responses by their name (`.json`, and `.pickle`
    to refuse by name); CassetteError for a folder that holds none."""
    if not folder.is_dir():
        raise CassetteError(f"{folder} is not a folder of placebo responses")
    found = [
        path
        for path in sorted(folder.iterdir())
        if path.name.endswith(".pickle") or (path.name.endswith(".json") and not path.is_dir())
    ]
    if not found:
        below = any(p.is_dir() and any(p.glob("*.json")) for p in folder.iterdir())
        hint = "; its subfolders do: import each of them" if below else ""
        raise CassetteError(
            f"{folder} holds no placebo responses (<service>.<Operation>_<N>.json){hint}"
        )
    return found


def _read_files(
    paths: list[Path], folder: Path, skipped: list[Skipped] | None
) -> list[PlaceboResponse]:
    """The responses in PATHS. An unreadable file is a CassetteError, or with SKIPPED given,
    is added to it with the other files of its operation."""
    saved: dict[tuple[str, str], list[tuple[Path, int, _Saved]]] = {}
    bad: dict[tuple[str, str], Path] = {}  # operations with an unreadable file -> that file
    for path in paths:
        try:
            if path.name.endswith(".pickle"):
                raise CassetteError(
                    f"{path} is a pickled placebo response; pagetape does not unpickle files "
                    "(that can run code): record it again in placebo's JSON format"
                )
            head, operation, index, content = read_file(path, folder)
        except CassetteError as exc:
            if skipped is None:
                raise
            named = FILE_NAME.fullmatch(path.name)
            skipped.append(Skipped.of(path, str(exc)))
            if named is not None:
                bad.setdefault((named["head"], named["operation"]), path)
            continue
        saved.setdefault((head, operation), []).append((path, index, content))
    found: list[PlaceboResponse] = []
    for (head, operation), files in saved.items():
        culprit = bad.get((head, operation))
        if culprit is not None:
            if skipped is not None:  # the culprit itself is skipped already
                skipped.extend(Skipped(path, _with(culprit)) for path, _, _ in files)
            continue
        # One service for all the calls of one operation: their members decide together.
        try:
            prefix, service = _service_of(
                files[0][0], head, operation, [content.data for _, _, content in files]
            )
        except CassetteError as exc:
            if skipped is None:
                raise
            skipped.extend(_skip([p for p, _, _ in files], str(exc)))
            continue
        found.extend(
            PlaceboResponse(path, prefix, service, operation, index, c.status_code, c.data)
            for path, index, c in files
        )
    return sorted(found, key=lambda r: (r.prefix, r.service, r.operation, r.index))


def _skip(paths: list[Path], reason: str) -> list[Skipped]:
    """PATHS, one operation's files, skipped for REASON: the file it names gets it, the others
    go with that file; a reason naming none of them (an operation botocore lacks) is all's."""
    culprit = next((p for p in paths if str(p) in reason), None)
    if culprit is None:
        return [Skipped.of(path, reason) for path in paths]
    return [Skipped.of(p, reason) if p == culprit else Skipped(p, _with(culprit)) for p in paths]


def _with(culprit: Path) -> str:
    return (
        f"skipped with {culprit.name}, an unreadable response of the same operation (a chain "
        "with a page missing would replay the wrong pages)"
    )


def read_response(path: Path, folder: Path | None = None) -> PlaceboResponse:
    """One placebo file on its own, its service resolved from its name and data."""
    head, operation, index, saved = read_file(path, folder)
    prefix, service = _service_of(path, head, operation, [saved.data])
    return PlaceboResponse(path, prefix, service, operation, index, saved.status_code, saved.data)


def read_file(path: Path, folder: Path | None = None) -> tuple[str, str, int, _Saved]:
    """One placebo file: bounded read, JSON with `status_code` and a `data` object, a name that
    says which service (head) and operation answered, and which call (N) it was."""
    named = FILE_NAME.fullmatch(path.name)
    if named is None:
        raise CassetteError(
            f"{path} is not named like a placebo response (<service>.<Operation>_<N>.json)"
        )
    try:  # the name goes into the cassette (metadata.source), which is UTF-8 text
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        raise CassetteError(f"{_shown(path)}: its name is not UTF-8 text; not read") from None
    raw = cassette_io.read(path, folder)
    cassette_io.check_text(raw, str(path))
    try:
        saved = msgspec.json.decode(raw, type=_Saved)
    except msgspec.ValidationError as exc:
        raise CassetteError(f"{path} is not a placebo response: {exc}") from None
    except msgspec.DecodeError as exc:
        raise CassetteError(f"{path} is not JSON: {exc}") from None
    if not 100 <= saved.status_code <= 599:
        raise CassetteError(f"{path}: status_code {saved.status_code} is not an HTTP status")
    return named["head"], named["operation"], int(named["index"]), saved


def _shown(path: Path) -> str:
    """PATH with the bytes of a name that is not UTF-8 shown as escapes (\\xff)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def guess_region(responses: Iterable[PlaceboResponse]) -> str:
    """The region the responses' ARNs name most often, else us-east-1."""
    counts: Counter[str] = Counter()
    for response in responses:
        counts.update(_REGION_IN_ARN.findall(msgspec.json.encode(response.data).decode()))
    return counts.most_common(1)[0][0] if counts else DEFAULT_REGION


# -- which service answered --------------------------------------------------------------------


def _service_of(
    path: Path, head: str, operation: str, datas: list[dict[str, Any]]
) -> tuple[str, str]:
    """(prefix, boto3 service) of a file name's head: placebo names the service by its endpoint
    prefix (`monitoring`, `api.sagemaker`, `elasticloadbalancing`), after an optional prefix."""
    labels = head.split(".")
    known: str | None = None
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        services = _services_for(candidate)
        with_op = [s for s in services if operation in _operation_names(s)]
        if with_op:
            prefix = ".".join(labels[:start])
            if prefix in (".", ".."):  # the prefix names a folder of the output: never up
                raise CassetteError(
                    f"{path}: its prefix {prefix!r} would write outside the output folder; not read"
                )
            return prefix, _closest(with_op, candidate, operation, datas)
        known = known or (services[0] if services else None)
    if known is not None:
        raise CassetteError(f"{path}: {known} has no operation {operation!r}")
    raise CassetteError(
        f"{path}: unknown AWS service {head!r} (no botocore service has that endpoint prefix "
        "or name)"
    )


def _services_for(name: str) -> list[str]:

    found = list(by_endpoint_prefix().get(name, []))
    if name in botocore_session().get_available_services() and name not in found:
        found.append(name)
    return found


@cache
def _operation_names(service: str) -> frozenset[str]:

    return frozenset(botocore_session().get_service_model(service).operation_names)


def _closest(services: list[str], prefix: str, operation: str, datas: list[dict[str, Any]]) -> str:
    """Of services sharing an endpoint prefix and an operation (ses and sesv2, elb and elbv2),
    the one whose output shape takes the responses, whose protocol gave the content type placebo
    kept (`ResponseMetadata.HTTPHeaders`), whose shape knows most of their members; then the
    one named like the prefix (rds, not neptune or docdb)."""
    if len(services) == 1:
        return services[0]

    seen = {
        str(ctype).split(";")[0].strip().lower()
        for data in datas
        for ctype in [codec.content_type(_http_headers(data))]
        if ctype
    }

    def score(service: str) -> tuple[bool, bool, int, bool, str]:
        model = botocore_session().get_service_model(service)
        shape = model.operation_model(operation).output_shape
        fits = True
        try:
            for data in datas:
                if shape is not None and "Error" not in data:
                    _Converter().value(shape, data, "data")
        except _Bad:
            fits = False
        family = "xml" if codec.wire_protocol(model) in ("query", "ec2", "rest-xml") else "json"
        speaks = any(family in ctype for ctype in seen)
        members = shape.members if shape is not None else {}
        known = sum(1 for data in datas for key in data if key in members)
        return (fits, speaks, known, service == prefix, service)

    return max(services, key=score)


def _http_headers(data: Mapping[str, Any]) -> dict[str, Any]:
    meta = data.get("ResponseMetadata")
    headers = meta.get("HTTPHeaders") if isinstance(meta, dict) else None
    return headers if isinstance(headers, dict) else {}


# -- responses on the wire ---------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, at: str, reason: str) -> None:
        super().__init__(f"{at} {reason}")


def _type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "text" if isinstance(value, str) else "null"


class _Converter:
    """Placebo's data back to botocore's parsed form, checked against the output shape:
    datetimes from placebo's objects or ISO text, blobs from base64; members the model does
    not know are dropped and remembered."""

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def value(self, shape: botocore.model.Shape, value: Any, at: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                return _plain(value)
            if not isinstance(value, dict):
                raise _Bad(at, f"should be an object, not {_type(value)}")
            out = {}
            for key, item in value.items():
                member = shape.members.get(key)
                if member is None:
                    if (at, key) != ("data", "ResponseMetadata"):
                        self.dropped.append(f"{at}.{key}")
                elif item is not None:
                    out[key] = self.value(member, item, f"{at}.{key}")
            return out
        if kind == "list":
            if not isinstance(value, list):
                raise _Bad(at, f"should be a list, not {_type(value)}")
            # A null in a list is what the service sent (DMS's [null] public addresses).
            return [
                None if v is None else self.value(shape.member, v, f"{at}[{i}]")
                for i, v in enumerate(value)
            ]
        if kind == "map":
            if not isinstance(value, dict):
                raise _Bad(at, f"should be an object, not {_type(value)}")
            return {str(k): self.value(shape.value, v, f"{at}.{k}") for k, v in value.items()}
        if kind == "timestamp":
            return _timestamp(value, at)
        if kind == "blob":
            return _blob(value, at)
        if kind == "string":
            if shape.serialization.get("jsonvalue"):
                return _plain(value)
            if not isinstance(value, str):
                raise _Bad(at, f"should be text, not {_type(value)}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _Bad(at, f"should be a boolean, not {_type(value)}")
            return value
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Bad(at, f"should be an integer, not {_type(value)}")
            return value
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Bad(at, f"should be a number, not {_type(value)}")
            return value
        return value


def _timestamp(value: Any, at: str) -> datetime:
    if isinstance(value, dict) and value.get("__class__") == "datetime":
        parts = {k: v for k, v in value.items() if k not in ("__class__", "__module__")}
        try:
            return datetime(tzinfo=timezone.utc, **parts)
        except (TypeError, ValueError):
            raise _Bad(at, "is not a valid placebo datetime") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _Bad(at, f"is not a valid epoch time: {value}") from None
    if isinstance(value, str):
        from botocore.utils import parse_timestamp

        try:
            parsed: datetime = parse_timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise _Bad(at, f"is not a timestamp: {value[:40]!r}") from None
        return parsed.astimezone(timezone.utc)
    raise _Bad(at, f"should be a timestamp, not {_type(value)}")


def _blob(value: Any, at: str) -> bytes:
    if isinstance(value, dict) and value.get("__class__") == "StreamingBody":
        value = value.get("body", "")
    if not isinstance(value, str):
        raise _Bad(at, f"should be base64 text, not {_type(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        # placebo under Python 2 wrote bytes as text (a credential report's CSV): the text is
        # the bytes.
        return value.encode("utf-8")


def _plain(value: Any) -> Any:
    """A document's value as plain JSON (placebo datetimes as ISO text)."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            try:
                return _timestamp(value, "").isoformat()
            except _Bad:
                pass
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class _Page:
    """One response made ready: botocore's parsed form and its bytes on the wire."""

    response: PlaceboResponse
    parsed: dict[str, Any]
    wire: tuple[int, dict[str, str], bytes]


def _pages(group: _Group) -> Iterator[_Page]:
    from pagetape.wire import serialize as wire  # lazy: imports botocore; re-made pages only

    model = botocore_session().get_service_model(group.service)
    op = model.operation_model(group.operation)
    protocol = codec.wire_protocol(model)
    convert = _Converter()
    for response in group.responses:
        parsed: dict[str, Any]
        if response.status >= 300:
            error = response.data.get("Error")
            if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
                raise CassetteError(
                    f"{response.path}: status_code {response.status} but data has no "
                    "Error.Code, so the error cannot be rebuilt"
                )
            parsed = {"Error": error, **_error_members(op, error["Code"], response.data, convert)}
        elif op.output_shape is None:
            parsed = {}
        else:
            try:
                parsed = convert.value(op.output_shape, response.data, "data")
            except _Bad as exc:
                raise CassetteError(
                    f"{response.path}: {exc} in {group.service} {group.operation}'s output"
                ) from None
        try:
            serialized = wire.serialize(protocol, op, parsed, response.status)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise CassetteError(
                f"{response.path}: cannot put the response back on the wire ({exc!r})"
            ) from None
        yield _Page(response, parsed, serialized)
    if convert.dropped:
        shown = ", ".join(convert.dropped[:_MAX_NOTED])
        more = len(convert.dropped) - _MAX_NOTED
        group.notes.append(
            f"members botocore's model does not know were dropped: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )


def _error_members(
    op: botocore.model.OperationModel, code: str, data: dict[str, Any], convert: _Converter
) -> dict[str, Any]:
    """The members of the modelled error CODE that placebo saved beside `Error` (QuickSight's
    ResourceNotFoundException.ResourceType): botocore parses them from the error body."""
    from pagetape.wire import serialize as wire  # lazy: imports botocore; re-made pages only

    shape = wire.error_shape(op, code)
    if shape is None:
        return {}
    found = {k: v for k, v in data.items() if k in shape.members and k != "Message"}
    return dict(convert.value(shape, found, "data")) if found else {}


# -- chains ------------------------------------------------------------------------------------


def _groups(responses: list[PlaceboResponse]) -> Iterator[_Group]:
    current: _Group | None = None
    for response in responses:
        key = (response.prefix, response.service, response.operation)
        if current is None or (current.prefix, current.service, current.operation) != key:
            if current is not None:
                yield current
            current = _Group(*key)
        current.responses.append(response)
    if current is not None:
        yield current


def _exchanges(group: _Group, requests: Requests) -> tuple[list[Interaction], list[frozenset[str]]]:
    """The group's responses as exchanges, with the request locations that hold placeholders:
    each request asks for the tokens of the page before it while the pages chain; a chain cut
    short (a token, but no later file) ends at its last page: the token is dropped from it, and
    the cassette says so."""
    found = chain.operation(group.service, group.operation)
    spec = found[1] if found is not None else None
    op = botocore_session().get_service_model(group.service).operation_model(group.operation)
    pages = list(_pages(group))
    if spec is not None and pages:
        last = pages[-1]
        if last.response.status < 300 and chain.page_of(spec, (), last.parsed).more:
            _end_chain(spec, last.parsed)
            last.wire = _reserialize(group, op, last)
            group.notes.append(
                f"{last.response.path.name} gives a token but no later file answers it: the "
                "token was dropped so the chain ends there"
            )
    exchanges: list[Interaction] = []
    roles: list[frozenset[str]] = []
    params: dict[str, Any] = {}
    placeheld: frozenset[str] = frozenset()
    previous: _Page | None = None
    for page in pages:
        more = (
            spec is not None
            and previous is not None
            and previous.response.status < 300
            and chain.page_of(spec, (), previous.parsed).more
        )
        if more and spec is not None and previous is not None:
            advance(params, spec, [chain.search(t, previous.parsed) for t in spec.output_token])
        else:
            params = first_params(
                group.service, group.operation, op, spec, page.parsed, requests.region, 0
            )
            other = first_params(
                group.service, group.operation, op, spec, page.parsed, requests.region, 1
            )
            placeheld = _differing(
                _rebuilt(requests, page, params), _rebuilt(requests, page, other)
            )
        request = _rebuilt(requests, page, params)
        status, response_headers, response_body = page.wire
        exchanges.append(
            Interaction(
                service=group.service,
                operation=group.operation,
                request=request,
                response=Response(
                    status=status,
                    headers={k.lower(): v for k, v in response_headers.items()},
                    body=response_body,
                ),
            )
        )
        roles.append(placeheld)
        previous = page
    return exchanges, roles


def _rebuilt(requests: Requests, page: _Page, params: dict[str, Any]) -> Request:
    """The request of PAGE's call, botocore's failure to build it named by the file."""
    response = page.response
    try:
        return requests(response.service, response.operation, params)
    except CassetteError as exc:
        raise CassetteError(f"{response.path}: {exc}") from None


def _differing(one: Request, other: Request) -> frozenset[str]:
    """Request locations (`path.1`, `body.TableName`, `query.since`) whose values differ
    between two requests built with different placeholders: where the placeholders went."""
    views = [match.view(one), match.view(other)]
    locations = set(views[0].values) | set(views[1].values)
    return frozenset(
        loc for loc in locations if views[0].values.get(loc) != views[1].values.get(loc)
    )


def _reserialize(group: _Group, op: botocore.model.OperationModel, page: _Page) -> Any:
    from pagetape.wire import serialize as wire  # lazy: imports botocore; re-made pages only

    protocol = codec.wire_protocol(op.service_model)
    return wire.serialize(protocol, op, page.parsed, page.response.status)


def _end_chain(spec: OperationSpec, parsed: dict[str, Any]) -> None:
    """Drop the output tokens named by plain paths and set a plain more_results to false."""

    def at(path: str) -> tuple[dict[str, Any] | None, str]:
        node: Any = parsed
        *parents, last = path.split(".")
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        return (node if isinstance(node, dict) else None), last

    for expression in spec.output_token:
        if re.fullmatch(r"[A-Za-z0-9_.]+", expression):
            node, name = at(expression)
            if node is not None:
                node.pop(name, None)
    if spec.more_results and re.fullmatch(r"[A-Za-z0-9_.]+", spec.more_results):
        node, name = at(spec.more_results)
        if node is not None and name in node:
            node[name] = False


def _describe_source(group: _Group) -> str:
    names = [r.path.name for r in group.responses]
    files = names[0] if len(names) == 1 else f"{names[0]} to {names[-1]}"
    count = f"{len(names)} response" + ("s" if len(names) != 1 else "")
    text = (
        f"placebo: {count} ({files}). placebo records no request parameters: requests carry "
        "the pagination tokens of the page before them, the parameters the response echoes, "
        "and placeholders (matching any value on replay) for other required ones"
    )
    return "; ".join([text, *group.notes])
