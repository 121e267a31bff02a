"""Batch recording: a TOML manifest lists recordings; each runs in its own worker process.

vcrpy patches HTTP process-wide, so two recordings can never share a process: every entry is
recorded by a worker of a spawn-context process pool and reports its progress back through a
multiprocessing queue. The whole manifest is validated with `record.plan()` before any network
call; an invalid entry refuses the manifest, a failing recording fails only its own entry.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from pagetape.errors import CassetteExistsError, ManifestError, PagetapeError, UsageError
from pagetape.record.recording import RecordRequest, plan, record
from pagetape.sanitize.secret import load_secret

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class Defaults(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`[defaults]`: settings every recording uses unless it sets its own."""

    region: str | Unset = UNSET
    endpoint_url: str | Unset = UNSET
    profile: str | Unset = UNSET


class Recording(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One `[[recording]]`: what `pagetape record SERVICE OPERATION ...` would be asked."""

    service: str
    operation: str
    output: str  # relative to the manifest's folder
    params: dict[str, Any] = {}
    page_size: int | Unset = UNSET
    max_pages: int | Unset = UNSET
    record_errors: bool = False
    keep_rules: list[str] = []
    keep: list[str] = []  # member paths kept real (--keep)
    region: str | Unset = UNSET
    endpoint_url: str | Unset = UNSET
    profile: str | Unset = UNSET


class Manifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A manifest file: shared defaults and the list of recordings."""

    recording: list[Recording]
    defaults: Defaults = msgspec.field(default_factory=Defaults)


@dataclass(frozen=True)
class ManifestEntry:
    """A validated recording of a manifest; `refused` says why it fails without running."""

    index: int
    name: str  # "recording[2]", the manifest's own field path
    request: RecordRequest
    output: Path
    refused: str | None = None


@dataclass(frozen=True)
class EntryOutcome:
    """What happened to one entry: pages and items recorded, or the one-sentence error."""

    entry: ManifestEntry
    pages: int = 0
    items: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


ProgressHandler = Callable[[int, int, int], None]  # (entry index, pages, items)
DoneHandler = Callable[[EntryOutcome], None]

_MSGSPEC_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)


def load(path: Path) -> Manifest:
    """Read and decode a manifest; every problem is a ManifestError naming the file and field."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"no such manifest {path}") from None
    except OSError as exc:
        raise ManifestError(f"cannot read the manifest {path}: {exc.strerror or exc}") from None
    try:
        manifest = msgspec.toml.decode(data, type=Manifest)
    except msgspec.ValidationError as exc:
        # msgspec stops at the first bad field: each recording is checked on its own, so the
        # message names every bad entry, each by its place.
        problems = [_problem(exc)]
        loose = msgspec.toml.decode(data)
        entries = loose.get("recording") if isinstance(loose, dict) else None
        if isinstance(entries, list) and problems[0][1].startswith("recording["):
            problems = []
            for index, entry in enumerate(entries):
                try:
                    msgspec.convert(entry, type=Recording)
                except msgspec.ValidationError as bad:
                    message, where = _problem(bad)
                    where = f"recording[{index}]" + (f".{where}" if where else "")
                    problems.append((message, where))
            others = {k: v for k, v in loose.items() if k != "recording"}
            try:
                msgspec.convert({**others, "recording": []}, type=Manifest)
            except msgspec.ValidationError as bad:
                problems.insert(0, _problem(bad))
        said = "; ".join(f"{where}: {message}" if where else message for message, where in problems)
        raise ManifestError(f"bad manifest {path}: {said}") from None
    except msgspec.DecodeError as exc:
        raise ManifestError(f"bad manifest {path}: not valid TOML: {exc}") from None
    except ImportError:  # msgspec.toml needs tomli on Python 3.10
        raise UsageError(
            "reading a manifest on Python 3.10 needs tomli: pip install tomli"
        ) from None
    if not manifest.recording:
        raise ManifestError(f"bad manifest {path}: it lists no [[recording]]")
    return manifest


def _problem(exc: msgspec.ValidationError) -> tuple[str, str]:
    """(message, field path) of one msgspec validation error, the message lower-cased."""
    match = _MSGSPEC_AT.match(str(exc))
    message, where = (match["message"], match["path"] or "") if match else (str(exc), "")
    return message[:1].lower() + message[1:], where


def _pick(*values: str | Unset) -> str | None:
    for value in values:
        if not isinstance(value, Unset):
            return value
    return None


def prepare(path: Path, force: bool = False, max_attempts: int = 5) -> list[ManifestEntry]:
    """Load the manifest and validate every entry with `plan()`, offline.

    Raises ManifestError naming the entry if any is invalid or two write the same cassette. An
    entry whose cassette exists (and `force` is off) is kept, refused, so it fails alone."""
    manifest = load(path)
    folder = path.parent
    defaults = manifest.defaults
    entries: list[ManifestEntry] = []
    seen: dict[Path, str] = {}
    bad: list[str] = []  # every invalid entry, each named by its place
    for index, rec in enumerate(manifest.recording):
        name = f"recording[{index}]"
        output = folder / rec.output
        request = RecordRequest(
            service=rec.service,
            operation=rec.operation,
            params_json=msgspec.json.encode(rec.params).decode() if rec.params else None,
            page_size=None if isinstance(rec.page_size, Unset) else rec.page_size,
            max_pages=None if isinstance(rec.max_pages, Unset) else rec.max_pages,
            region=_pick(rec.region, defaults.region),
            profile=_pick(rec.profile, defaults.profile),
            endpoint_url=_pick(rec.endpoint_url, defaults.endpoint_url),
            output=str(output),
            force=force,
            record_errors=rec.record_errors,
            max_attempts=max_attempts,
            keep_rules=list(rec.keep_rules),
            keep_paths=list(rec.keep),
        )
        refused = None
        try:
            plan(request)
        except CassetteExistsError as exc:
            refused = str(exc)
        except UsageError as exc:
            reason = "; ".join(line.strip() for line in str(exc).splitlines())
            bad.append(f"{name} ({rec.service} {rec.operation}): {reason}")
            continue
        key = Path(os.path.abspath(output))
        if key in seen:
            bad.append(f"{name} writes the same cassette as {seen[key]} ({output})")
            continue
        seen[key] = name
        entries.append(ManifestEntry(index, name, request, output, refused))
    if bad:
        raise ManifestError(f"bad manifest {path}: {'; '.join(bad)}")
    return entries


# -- worker side -----------------------------------------------------------------------------

_progress_queue: Queue[tuple[int, int, int] | None] | None = None


def _init_worker(queue: Queue[tuple[int, int, int] | None]) -> None:
    """Runs once in each worker: keep the queue; Ctrl-C is the parent's to handle."""
    global _progress_queue
    _progress_queue = queue
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _record_entry(index: int, request: RecordRequest) -> tuple[int, int, str | None]:
    """Record one entry in this worker process: (pages, items, error or None)."""

    def progress(pages: int, items: int) -> None:
        if _progress_queue is not None:
            _progress_queue.put((index, pages, items))

    try:
        result = record(plan(request), progress)
    except PagetapeError as exc:
        return 0, 0, "; ".join(line.strip() for line in str(exc).splitlines())
    except Exception as exc:  # a bug, not the user's fault: still only this entry fails
        return 0, 0, f"unexpected {type(exc).__name__}: {exc}"
    return result.pages, result.items, None


# -- parent side -----------------------------------------------------------------------------


def run(
    entries: list[ManifestEntry],
    jobs: int | None = None,
    on_progress: ProgressHandler | None = None,
    on_done: DoneHandler | None = None,
) -> list[EntryOutcome]:
    """Record every entry that was not refused, up to `jobs` at once, one process each.

    Returns the outcomes in manifest order. `on_progress` is called from a helper thread,
    `on_done` from the calling thread as each entry finishes. On Ctrl-C the entries not yet
    started fail as interrupted and the running ones are let finish (each writes whole or not
    at all)."""
    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be at least 1")

    load_secret()  # create the secret once, here, rather than racing in every worker
    outcomes: dict[int, EntryOutcome] = {}
    for entry in entries:
        if entry.refused is not None:
            outcomes[entry.index] = EntryOutcome(entry, error=entry.refused)
            if on_done:
                on_done(outcomes[entry.index])
    todo = [e for e in entries if e.refused is None]
    if todo:
        outcomes.update(_run_pool(todo, jobs, on_progress, on_done))
    return [outcomes[e.index] for e in entries]


def _run_pool(
    todo: list[ManifestEntry],
    jobs: int | None,
    on_progress: ProgressHandler | None,
    on_done: DoneHandler | None,
) -> dict[int, EntryOutcome]:
    ctx = multiprocessing.get_context("spawn")
    queue: Queue[tuple[int, int, int] | None] = ctx.Queue()
    finished: set[int] = set()

    def drain() -> None:
        while (message := queue.get()) is not None:
            if on_progress and message[0] not in finished:
                on_progress(*message)

    drainer = threading.Thread(target=drain, name="pagetape-progress", daemon=True)
    drainer.start()
    workers = min(len(todo), os.cpu_count() or 1, jobs or len(todo))
    outcomes: dict[int, EntryOutcome] = {}
    executor = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(queue,)
    )
    try:
        futures = {executor.submit(_record_entry, e.index, e.request): e for e in todo}
        try:
            for future in concurrent.futures.as_completed(futures):
                entry = futures[future]
                outcome = _outcome_of(entry, future)
                finished.add(entry.index)
                outcomes[entry.index] = outcome
                if on_done:
                    on_done(outcome)
        except KeyboardInterrupt:
            # Queued entries never start; running ones finish whole (writes are atomic).
            executor.shutdown(wait=True, cancel_futures=True)
            for future, entry in futures.items():
                if entry.index not in outcomes:
                    outcomes[entry.index] = (
                        EntryOutcome(entry, error="interrupted before it started")
                        if future.cancelled()
                        else _outcome_of(entry, future)
                    )
    finally:
        executor.shutdown(wait=True)
        # Workers have exited, so their progress messages are all in the pipe before this one.
        queue.put(None)
        drainer.join()
        queue.close()
    return outcomes


def _outcome_of(
    entry: ManifestEntry, future: concurrent.futures.Future[tuple[int, int, str | None]]
) -> EntryOutcome:
    try:
        pages, items, error = future.result()
    except Exception as exc:  # the worker process died (killed, out of memory)
        return EntryOutcome(entry, error=f"the worker process failed: {exc or type(exc).__name__}")
    return EntryOutcome(entry, pages, items, error)
