"""One test's tape: resolve cassette names, pick replay or recording by record mode, write.

This is the engine behind the pytest plugin, so the plugin stays glue. Modes:
`none` replays only; `once` records a missing cassette; `new_episodes` replays what it has and
records the rest; `all` re-records. Recording goes through the same capture, sanitization, leak
check and atomic write as `pagetape record`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pagetape
from pagetape import cassette as cassette_io
from pagetape.errors import CassetteError, PagetapeError, UsageError
from pagetape.keys import visible_params
from pagetape.replay import Index, Tape, isolated_environment, load_index

MODES = ("none", "once", "new_episodes", "all")
_TOKEN_NUMBER = re.compile(r"pagetape-token-(\d+)")


def resolve_cassette(name: str, base: Path) -> Path:
    """NAME under BASE, `.json` optional; refused if it escapes BASE."""
    if not name:
        raise UsageError("an empty cassette name was given")
    root = base.resolve()
    path = (root / name).resolve()
    if path.suffix != ".json":
        path = path.with_name(path.name + ".json")
    if not path.is_relative_to(root):
        raise UsageError(f"cassette {name!r} resolves outside the cassette dir {root}")
    return path


class RecordingTape(Tape):
    """A tape that lets calls go live (capturing them), except hits in new_episodes mode."""

    replay_hits: bool = False

    def handle(self, model: Any, params: Any, context: Any) -> Any:
        from pagetape.capture import tag_operation

        if self.replay_hits:
            found = self.lookup(model, params)
            if found is not None:
                return self.respond(model, found[1])
        tag_operation(model)
        return None


@contextlib.contextmanager
def open_tape(names: Sequence[str], base: Path, mode: str = "none") -> Iterator[Tape]:
    """Activate the cassettes NAMES for the duration of a test, in record MODE."""
    if mode not in MODES:
        raise UsageError(f"unknown record mode {mode!r}; use one of {', '.join(MODES)}")
    if not names:
        raise UsageError("@pytest.mark.pagetape needs at least one cassette name")
    paths = [resolve_cassette(n, base) for n in names]
    missing = [p for p in paths if not p.exists()]
    record = mode in ("all", "new_episodes") or (mode == "once" and bool(missing))
    if not record:
        if missing:
            raise CassetteError(
                f"cassette {missing[0]} does not exist; record it with `pagetape record ... -o "
                f"{missing[0]}`, or run pytest with --pagetape-record=once against a live account"
            )
        tape = Tape([load_index(p) for p in paths], process_wide=True)
        with isolated_environment(tape.metadata.region), tape:
            yield tape
        return
    yield from _record(paths, mode)


def _record(paths: list[Path], mode: str) -> Iterator[Tape]:
    from pagetape.capture import Capture

    target = paths[0]
    existing = [load_index(p) for p in paths if p.exists()] if mode == "new_episodes" else []
    tape = RecordingTape(existing, process_wide=True)
    tape.replay_hits = bool(existing)
    with Capture() as capture, tape:
        yield tape
    exchanges = capture.exchanges()
    if not exchanges:
        return
    write_recording(
        target, exchanges, existing[0] if existing and existing[0].path == target else None
    )


def write_recording(
    target: Path, exchanges: list[Any], previous: Index | None
) -> cassette_io.Cassette:
    """Sanitize captured exchanges (after PREVIOUS's interactions) and write TARGET atomically."""
    import boto3
    from botocore import __version__ as botocore_version

    from pagetape.sanitize import Sanitizer
    from pagetape.secret import load_secret

    old = previous.cassette.interactions if previous else []
    first_token = (
        1
        + max(
            (int(m) for m in _TOKEN_NUMBER.findall(cassette_io.encode(previous.cassette).decode())),
            default=0,
        )
        if previous
        else 1
    )
    sanitizer = Sanitizer(load_secret(), first_token=first_token)
    new, _ = sanitizer.sanitize(exchanges)
    interactions = [*old, *new]
    main = exchanges[0]
    region = (
        previous.cassette.metadata.region
        if previous
        else (boto3.Session().region_name or "us-east-1")
    )
    metadata = describe(main.service, main.operation, region, interactions)
    metadata.tool_version = pagetape.__version__
    metadata.botocore_version = botocore_version
    metadata.recorded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    metadata.sanitizer = dict(sorted(sanitizer.stats.items()))
    tape = cassette_io.Cassette(cassette_io.FORMAT_VERSION, metadata, interactions)
    data = cassette_io.encode(tape)
    sanitizer.check_leaks(data)
    cassette_io.atomic_write(target, data)
    return tape


def describe(
    service: str, operation: str, region: str, interactions: list[cassette_io.Interaction]
) -> cassette_io.Metadata:
    """Metadata derived from interactions recorded by a test: the first operation is the main one."""
    from pagetape.specs import botocore_session, resolve

    result_key = limit_key = None
    tokens: set[str] = {"nextToken", "NextToken"}
    protocol = botocore_session().get_service_model(service).protocol
    with contextlib.suppress(PagetapeError):
        spec = resolve(service, operation).spec
        result_key = spec.result_key[0] if len(spec.result_key) == 1 else None
        limit_key = spec.limit_key
        tokens |= set(spec.input_token)
    mine = [i for i in interactions if i.operation == operation]
    pages = sum(1 for i in mine if i.response.status < 300)
    items = 0
    for i in mine:
        body = i.response.body
        if result_key and isinstance(body, dict) and isinstance(body.get(result_key), list):
            items += len(body[result_key])
    first = mine[0].request if mine else None
    params = (
        visible_params(first.query, first.body, first.headers.get("content-type", ""))
        if first
        else {}
    )
    page_size = params.pop(limit_key, None) if limit_key else None
    for token in tokens:
        params.pop(token, None)
    errors = [i for i in mine if i.response.status >= 300]
    return cassette_io.Metadata(
        service=service,
        operation=operation,
        region=region,
        params=params,
        page_size=int(page_size) if page_size is not None else None,
        pages=pages,
        items=items,
        recorded_at="",
        tool_version="",
        botocore_version="",
        protocol=protocol,
        result_key=result_key,
        error=_error_of(errors[-1]) if errors else None,
    )


def _error_of(interaction: cassette_io.Interaction) -> str:
    body = interaction.response.body if isinstance(interaction.response.body, dict) else {}
    code = body.get("__type") or interaction.response.headers.get("x-amzn-errortype", "Error")
    return f"{str(code).split('#')[-1]}: {body.get('message') or body.get('Message') or ''}".strip()


__all__ = ["MODES", "CassetteError", "RecordingTape", "describe", "open_tape", "resolve_cassette"]
