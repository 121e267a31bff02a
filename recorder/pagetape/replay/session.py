"""One test's tape: resolve cassette names, pick replay or recording by record mode, write.

This is the engine behind the pytest plugin, so the plugin stays glue. Modes:
`none` replays only; `once` records a missing cassette; `new_episodes` replays what it has and
records the rest; `all` re-records. Recording goes through the same capture, sanitization, leak
check and atomic write as `pagetape record`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pagetape import RECORD_MODES as MODES
from pagetape.aws.isolation import isolated_environment
from pagetape.errors import CassetteError, CassetteRaceError, UsageError
from pagetape.replay import hook
from pagetape.replay.engine import LIVE, Call, Index, Tape, asked_params, load_index
from pagetape.sanitize.keep import KeepPaths


def resolve_cassette(name: str, base: Path) -> Path:
    """NAME under BASE, `.json` optional; refused if it escapes BASE."""
    if not name:
        raise UsageError("an empty cassette name was given")
    root = base.resolve()
    file_name = name if name.endswith(".json") else name + ".json"
    path = (root / file_name).resolve()  # after the suffix: a symlink `x.json` is followed too
    if not path.is_relative_to(root):
        raise UsageError(f"cassette {name!r} resolves outside the cassette dir {root}")
    return path


class RecordingTape(Tape):
    """A tape that lets calls go live (capturing them), except those its cassettes hold (the
    existing ones in `once` mode, the target too in `new_episodes`)."""

    replay_hits: bool = False
    target: Path | None = None
    records = True  # lets calls go live: network blocking allows them

    @property
    def path(self) -> Path:
        return self.target or super().path

    def client(self, service: str | None = None, **kwargs: Any) -> Any:
        """A live client: credentials, region and endpoint come from the environment, exactly as
        for the code under test (no replay credentials: they would be sent to AWS)."""
        import boto3

        if service is None:
            if not self.indexes:
                raise UsageError(
                    "name the service, e.g. pagetape.client('personalize'): the cassette is "
                    "being recorded and does not say yet"
                )
            service = self.metadata.service
        return boto3.client(service, **kwargs)

    def add_fault(self, spec: Any) -> Any:
        """Recording: the live service answers; a fault applies when the cassette replays."""
        return spec.check()

    def handle(self, model: Any, params: Any, context: Any) -> Any:
        from pagetape.record.capture import tag_operation  # lazy: the sanitizer, record modes only

        if self.replay_hits:
            found = self.lookup(model, params)
            if found is not None:
                index, entry = found
                self.note(Call(entry.operation, entry.params, index.path, entry.index))
                return self.respond(model, entry, bool((context or {}).get(hook.ASYNC_CLIENT)))
        self.note(Call(model.name, asked_params(params), self.path, LIVE))
        tag_operation(model, params)
        return None


@contextlib.contextmanager
def open_tape(
    names: Sequence[str],
    base: Path,
    mode: str = "none",
    repage: bool = False,
    strict_region: bool = False,
    keep: Sequence[str] = (),
    faults: Sequence[Any] = (),
) -> Iterator[Tape]:
    """Activate the cassettes NAMES for the duration of a test, in record MODE. REPAGE cuts the
    recorded items to the page size the code asks for; STRICT_REGION makes a client in another
    region than the cassette's a miss; KEEP names member paths a recording keeps real; FAULTS
    (`fault(...)` or `KIND:PAGE[xTIMES]`) are injected on replay, ignored while
    recording (the live service answers), and each must fire before the test ends."""
    from pagetape.replay.faults import coerce

    specs = [coerce(f) for f in faults]
    if mode not in MODES:
        raise UsageError(f"unknown record mode {mode!r}; use one of {', '.join(MODES)}")
    if not names:
        raise UsageError("@pytest.mark.pagetape needs at least one cassette name")
    paths = [resolve_cassette(n, base) for n in names]
    missing = [p for p in paths if not p.exists()]
    mode = "all" if mode == "rewrite" else mode
    record = mode in ("all", "new_episodes") or (mode == "once" and bool(missing))
    if not record:
        if missing:
            raise CassetteError(
                f"cassette {missing[0]} does not exist{_near(missing[0], base)}; record it with "
                f"`pagetape record ... -o {missing[0]}`, or run pytest with "
                "--pagetape-record=once against a live account"
            )
        tape = Tape(
            [load_index(p) for p in paths],
            process_wide=True,
            isolated=True,
            repage=repage,
            strict_region=strict_region,
        )
        for spec in specs:
            tape.add_fault(spec)
        with isolated_environment(tape.metadata.region), tape:
            yield tape
        tape.check_faults()
        return
    KeepPaths.of(keep)  # a malformed or secret-looking path fails before the test runs
    yield from _record(paths, missing, mode, keep)


def _near(path: Path, base: Path) -> str:
    """A "did you mean" for a cassette name close to existing ones."""
    import difflib

    root = base.resolve()
    if not root.is_dir():
        return f" (the cassette dir {root} does not exist)"
    names = [str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.json")]
    wanted = str(path.relative_to(root).with_suffix("")) if path.is_relative_to(root) else ""
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


@contextlib.contextmanager
def _aws_region_env() -> Iterator[None]:
    """Recording: botocore reads AWS_DEFAULT_REGION, people set AWS_REGION; honour both."""
    import os

    region = os.environ.get("AWS_REGION")
    if not region or os.environ.get("AWS_DEFAULT_REGION"):
        yield
        return
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)


def _record(
    paths: list[Path], missing: list[Path], mode: str, keep: Sequence[str] = ()
) -> Iterator[Tape]:
    from pagetape.record.capture import Capture  # lazy: the sanitizer, record modes only

    # `once` writes the first missing cassette and never touches one that exists (the others
    # still answer what they hold); `new_episodes` appends to the first; `all` rewrites it.
    target = missing[0] if mode == "once" else paths[0]
    existing = [] if mode == "all" else [load_index(p) for p in paths if p.exists()]
    tape = RecordingTape(existing, process_wide=True)
    tape.replay_hits = bool(existing)
    tape.target = target
    with _aws_region_env(), Capture() as capture, tape:
        yield tape
    exchanges = capture.exchanges()
    if not exchanges:
        return
    previous = next((i for i in existing if i.path == target), None)
    try:
        write_recording(target, exchanges, previous, overwrite=mode != "once", keep=keep)
    except CassetteRaceError:
        # `once` under pytest-xdist: another worker recorded this cassette first; theirs stays.
        return


def write_recording(
    target: Path,
    exchanges: list[Any],
    previous: Index | None,
    overwrite: bool = True,
    keep: Sequence[str] = (),
) -> None:
    """Sanitize captured exchanges (after PREVIOUS's interactions) and write TARGET atomically;
    the cassette stays about the operation it was first recorded for."""
    import boto3

    from pagetape.sanitize import writer  # lazy: the sanitizer, record modes only

    old = previous.cassette if previous else None
    import os

    region = (
        old.metadata.region
        if old
        else (boto3.Session().region_name or os.environ.get("AWS_REGION") or "us-east-1")
    )
    tape, sanitizer = writer.build(exchanges, region, previous=old, keep_paths=keep)
    writer.write(target, tape, sanitizer, overwrite=overwrite)


__all__ = ["MODES", "CassetteError", "RecordingTape", "open_tape", "resolve_cassette"]
