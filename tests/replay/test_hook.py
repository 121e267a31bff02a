"""The botocore `before-call` hook (pagetape.replay.hook): inert without a tape, the context's
tape first, then the newest process-wide one (threads), each call reaching a tape once however
often a session holds the handler, installed once and lazily. Driven through real boto3 clients in
an isolated environment, answered from a tiny cassette by the real replay engine."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.handlers
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict

from pagetape.aws.isolation import isolated_environment
from pagetape.replay import hook
from pagetape.replay.engine import Tape
from replay_helpers import write_cassette
from stored import interaction

OPERATION = "ListBatchSegmentJobs"


def _cassette(path: Path, *names: str) -> Path:
    """A one-page cassette of ListBatchSegmentJobs listing jobs NAMES."""
    jobs = [{"jobName": n, "status": "ACTIVE"} for n in names]
    page = interaction("personalize", OPERATION, {}, {"batchSegmentJobs": jobs})
    return write_cassette(path, "personalize", OPERATION, [page])


class Counting:
    """An ActiveTape that counts the calls reaching it and passes them to INNER (None: lets
    every call through, as a recording tape does)."""

    def __init__(self, inner: Tape | None = None, records: bool = False) -> None:
        self.inner = inner
        self.records = records
        self.handled = 0

    def handle(self, model: Any, params: Any, context: Any) -> Any:
        self.handled += 1
        return None if self.inner is None else self.inner.handle(model, params, context)


@pytest.fixture
def env() -> Iterator[None]:
    with isolated_environment("us-east-1"):
        yield


@pytest.fixture
def tapes(tmp_path: Path) -> tuple[Tape, Tape]:
    """Two tapes telling different cassettes apart by the job they list."""
    return (
        Tape.load([_cassette(tmp_path / "a.json", "job-from-a")]),
        Tape.load([_cassette(tmp_path / "b.json", "job-from-b")]),
    )


def _listed(client: Any) -> list[str]:
    return [j["jobName"] for j in client.list_batch_segment_jobs()["batchSegmentJobs"]]


class _Terminal:
    """The last `before-call` handler of a client: answers what pagetape let through, so a
    let-through call never reaches the network."""

    def __init__(self) -> None:
        self.reached = 0
        self.marked: list[Any] = []

    def __call__(self, context: Any = None, **_: Any) -> Any:
        self.reached += 1
        self.marked.append((context or {}).get("pagetape_handled"))
        return AWSResponse(None, 200, HeadersDict({}), None), {"batchSegmentJobs": []}


def test_inert_without_a_tape() -> None:
    context: dict[str, Any] = {}
    assert hook.before_call(model=None, params={}, context=context) is None
    assert context == {}  # not even marked: nothing happened
    assert hook.recording_active() is False


def test_install_registers_the_handler_once() -> None:
    hook.install()
    hook.install()
    hook.install_lazily()
    entries = [e for e in botocore.handlers.BUILTIN_HANDLERS if e[1] is hook.before_call]
    assert entries == [("before-call", hook.before_call)]


def test_active_tape_answers_a_real_client_and_is_inert_after(env: None, tapes: Any) -> None:
    tape, _ = tapes
    client = boto3.client("personalize")
    terminal = _Terminal()
    client.meta.events.register("before-call", terminal)
    with tape:
        assert _listed(client) == ["job-from-a"]
    assert terminal.reached == 0  # the tape's answer short-circuited the call
    assert [c.operation for c in tape.calls] == [OPERATION]
    assert _listed(client) == []  # after: the call goes on past pagetape (here: the terminal)
    assert terminal.reached == 1 and len(tape.calls) == 1


def test_nested_tapes_restore_the_outer_one(env: None, tapes: Any) -> None:
    outer, inner = tapes
    client = boto3.client("personalize")
    with outer:
        with inner:
            assert _listed(client) == ["job-from-b"]
        assert _listed(client) == ["job-from-a"]
    assert len(outer.calls) == 1 and len(inner.calls) == 1


def test_a_context_tape_is_not_seen_by_threads(env: None, tapes: Any) -> None:
    tape, _ = tapes
    seen: list[Any] = []
    with tape:  # process_wide=False: this context only
        worker = threading.Thread(
            target=lambda: seen.append(hook.before_call(None, {}, {})), daemon=True
        )
        worker.start()
        worker.join()
    assert seen == [None]


def test_a_process_wide_tape_answers_threads(env: None, tmp_path: Path) -> None:
    tape = Tape.load([_cassette(tmp_path / "c.json", "job-in-thread")], process_wide=True)
    client = boto3.client("personalize")
    got: list[Any] = []
    with tape:
        worker = threading.Thread(target=lambda: got.append(_listed(client)), daemon=True)
        worker.start()
        worker.join()
    assert got == [["job-in-thread"]]
    assert hook.before_call(None, {}, {}) is None  # deactivated: gone from the process too


def test_the_context_tape_wins_over_process_wide_ones(env: None, tapes: Any) -> None:
    wide, mine = tapes
    wide.process_wide = True
    client = boto3.client("personalize")
    got: list[Any] = []
    with wide, mine:
        assert _listed(client) == ["job-from-b"]
        worker = threading.Thread(target=lambda: got.append(_listed(client)), daemon=True)
        worker.start()
        worker.join()
    assert got == [["job-from-a"]]


def test_newest_process_wide_tape_answers_threads(env: None, tapes: Any) -> None:
    first, second = tapes
    first.process_wide = second.process_wide = True
    client = boto3.client("personalize")
    got: list[Any] = []

    def in_thread() -> None:
        got.append(_listed(client))

    with first:
        with second:
            worker = threading.Thread(target=in_thread, daemon=True)
            worker.start()
            worker.join()
        worker = threading.Thread(target=in_thread, daemon=True)
        worker.start()
        worker.join()
    assert got == [["job-from-b"], ["job-from-a"]]


def test_a_call_let_through_reaches_the_tape_once_however_often_registered(env: None) -> None:
    tape = Counting(records=True)
    client = boto3.client("personalize")
    # The builtin copy is there already; a second one, as a default session attach can add.
    client.meta.events.register("before-call", hook.before_call)
    terminal = _Terminal()
    client.meta.events.register("before-call", terminal)
    token = hook.activate(tape, process_wide=False)
    try:
        assert hook.recording_active() is True
        _listed(client)
        _listed(client)
    finally:
        hook.deactivate(tape, token, process_wide=False)
    assert tape.handled == 2  # once per call, not once per registration
    assert terminal.reached == 2 and terminal.marked == [True, True]
    assert hook.recording_active() is False


def test_a_default_session_older_than_the_handler_replays_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: None
) -> None:
    tape = Tape.load([_cassette(tmp_path / "old.json", "job-old-session")])
    # A default session made before pagetape's handler was among the builtins.
    without = [e for e in botocore.handlers.BUILTIN_HANDLERS if e[1] is not hook.before_call]
    with monkeypatch.context() as mp:
        mp.setattr(botocore.handlers, "BUILTIN_HANDLERS", without)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3.Session())
    counting = Counting(tape)
    token = hook.activate(counting, process_wide=False)
    try:
        assert _listed(boto3.client("personalize")) == ["job-old-session"]
        hook.activate(counting, process_wide=False)  # attaching again adds no second copy
        assert _listed(boto3.client("personalize")) == ["job-old-session"]
    finally:
        hook.deactivate(counting, token, process_wide=False)
    assert counting.handled == 2


def test_install_lazily_waits_for_botocore_and_imports_nothing_heavy(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        from pagetape.replay import hook
        assert "botocore" not in sys.modules, "importing the hook imported botocore"
        hook.install_lazily()
        hook.install_lazily()
        waiting = [f for f in sys.meta_path if type(f).__name__ == "_Finder"]
        assert len(waiting) == 1, waiting
        import botocore.handlers
        assert not any(type(f).__name__ == "_Finder" for f in sys.meta_path)
        entry = ("before-call", hook.before_call)
        assert botocore.handlers.BUILTIN_HANDLERS.count(entry) == 1
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
