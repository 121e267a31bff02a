"""Writes that lose nothing (issue 10): atomic no-clobber creation, file modes, signals at every
point of a write, Ctrl-C, and the output path checked before any live call."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import answering
from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteRaceError
from pagetape.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "cassettes" / "personalize" / "list_data_deletion_jobs.json"
SANDBOX_KEY = ("AKIASANDBOXTESTS0000", "sandbox-test-secret-key")


def _writer(path: str, data: bytes, barrier: multiprocessing.synchronize.Barrier) -> str:
    barrier.wait()
    try:
        cassette_io.atomic_write(path, data, overwrite=False)
    except CassetteRaceError:
        return "lost"
    return "won"


def test_racing_writers_exactly_one_wins(tmp_path: Path) -> None:
    """Eight processes released together create the same new cassette: one wins, whole."""
    target = str(tmp_path / "c.json")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(8)
    with ctx.Pool(8) as pool:
        results = pool.starmap(_writer, [(target, b"%d\n" % i * 1000, barrier) for i in range(8)])
    assert sorted(results) == ["lost"] * 7 + ["won"]
    content = Path(target).read_bytes()
    assert content in {b"%d\n" % i * 1000 for i in range(8)}
    assert os.listdir(tmp_path) == ["c.json"]


@pytest.fixture
def rival(tmp_path: Path) -> Iterator[str]:
    """Serves one page; while doing so, another writer creates the cassette."""

    def reply(path: str) -> tuple[str, bytes, dict[str, str]]:
        (tmp_path / "c.json").write_text("the other writer's cassette\n")
        return "application/x-amz-json-1.1", json.dumps({"dataDeletionJobs": []}).encode(), {}

    with answering(reply) as url:
        yield url


def test_cassette_created_during_the_recording_is_not_clobbered(
    cli, rival: str, tmp_path: Path
) -> None:
    result = cli(
        "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
        "--endpoint-url", rival, "-o", "c.json",
    )  # fmt: skip
    assert result.code == 1, result.stderr
    assert "c.json was created by someone else" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "c.json").read_text() == "the other writer's cassette\n"
    assert os.listdir(tmp_path) == ["c.json"]


def test_force_keeps_the_mode_of_an_existing_cassette(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "c.json"
    out.write_text("{}")
    out.chmod(0o664)
    result = cli(
        "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url, "-o", "c.json", "--force", "--page-size", "5",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o664
    assert cassette_io.load(out).metadata.pages == 4


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_cassettes_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """Through the real CLI (`sanitize -o`), in a shell that sets the umask."""
    proc = subprocess.run(
        ["sh", "-c", f'umask {umask:03o} && exec "$0" -m pagetape sanitize "$1" -o new.json',
         sys.executable, str(GOOD)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == mode


_EVERY_POINT = r"""
import json, os, signal, sys
from pathlib import Path
from pagetape import signals
from pagetape.cassette import store as cassette

signals.install()
root, signum, overwrite = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
files = {cassette.__file__, signals.__file__}
OLD, NEW = b"old cassette\n", b"new cassette\n" * 1000

def run(n):
    folder = root / str(n)
    folder.mkdir()
    if overwrite:
        (folder / "c.json").write_bytes(OLD)
    count = [0]
    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
            if count[0] == n:
                os.kill(os.getpid(), signum)
        return local
    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename in files else None
    sys.settrace(tracer)
    outcome = "completed"
    signals._committed.clear()
    try:
        cassette.atomic_write(folder / "c.json", NEW, overwrite=overwrite)
    except signals.Interrupted:
        outcome = "committed" if signals.committed() else "interrupted"
    finally:
        sys.settrace(None)
    names = sorted(os.listdir(folder))
    content = (folder / "c.json").read_bytes() if names == ["c.json"] else None
    return {"n": n, "lines": count[0], "outcome": outcome, "names": names,
            "state": {OLD: "old", NEW: "new", None: "none"}.get(content, "corrupt")}

results = [run(0)]  # no signal: counts the lines a whole write executes
for n in range(1, results[0]["lines"] + 2):
    results.append(run(n))
print(json.dumps(results))
"""


@pytest.mark.parametrize("overwrite", [True, False], ids=["force", "new"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_at_any_line_of_a_write_leaves_no_temp_file(
    tmp_path: Path, signum: int, overwrite: bool
) -> None:
    """The signal is raised at every line the write executes (a trace hook sends it): each time
    the folder holds the old cassette or the whole new one and nothing else, and the outcome
    says which (a signal held during the commit is raised after it; `signals.committed()` then
    names the file, so the CLI never claims that nothing was written)."""
    proc = subprocess.run(
        [sys.executable, "-c", _EVERY_POINT, str(tmp_path), str(int(signum)), str(int(overwrite))],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) > 20  # every line of atomic_write, its helpers and signals.deferred
    before = "old" if overwrite else "none"
    for r in results:
        assert r["state"] != "corrupt", r
        if r["state"] == "none":
            assert r["names"] == [], r
        else:
            assert r["names"] == ["c.json"], r
        expected = {"interrupted": before, "committed": "new", "completed": "new"}[r["outcome"]]
        assert r["state"] == expected, r
    outcomes = {r["outcome"] for r in results}
    assert {"interrupted", "committed", "completed"} <= outcomes


def _hanging_server() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(120)  # a safety net for a broken run, not a timed assertion
    return sock


@pytest.mark.parametrize(
    ("signum", "says"),
    [
        (signal.SIGINT, "pagetape: interrupted; nothing was written"),
        (signal.SIGTERM, "pagetape: stopped by SIGTERM; nothing was written"),
        (signal.SIGHUP, "pagetape: stopped by SIGHUP; nothing was written"),
    ],
)
def test_signal_during_a_recording_says_one_line(tmp_path: Path, signum: int, says: str) -> None:
    """The service never answers; once pagetape's request has arrived it gets the signal."""
    sock = _hanging_server()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": SANDBOX_KEY[0],
        "AWS_SECRET_ACCESS_KEY": SANDBOX_KEY[1],
    }
    with sock:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pagetape", "record", "personalize", "ListDataDeletionJobs",
             "--region", "us-east-1", "--endpoint-url", f"http://127.0.0.1:{sock.getsockname()[1]}",
             "-o", "out/c.json"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        conn, _ = sock.accept()
        with conn:
            conn.settimeout(120)
            conn.recv(65536)  # the request is in: pagetape is waiting for the answer
            proc.send_signal(signum)
            _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum
    assert [line for line in stderr.splitlines() if line.strip()] == [says]
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_unwritable_output_is_refused_before_any_call(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "plain.txt").write_text("a file, not a folder")
    (tmp_path / "folder.json").mkdir()
    for output, says in [
        ("plain.txt/c.json", "cannot write plain.txt/c.json: plain.txt is not a folder"),
        ("plain.txt/deeper/c.json", "plain.txt is not a folder"),
        ("folder.json", "folder.json is a folder"),
    ]:
        result = cli(
            "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
            "--endpoint-url", sandbox.endpoint_url, "-o", output,
        )  # fmt: skip
        assert result.code == 2 and says in result.stderr, result.stderr
    assert sandbox.request_count == 0
    assert sorted(os.listdir(tmp_path)) == ["folder.json", "plain.txt"]


def test_a_finaliser_broken_by_the_signal_prints_nothing(tmp_path: Path) -> None:
    """A signal landing inside a constructor (http.client's, on Python 3.13) leaves a half-made
    object whose finaliser fails when it is collected; that echo is not shown, the one line is."""
    script = (
        "import gc, os, signal\n"
        "from pagetape import signals\n"
        "class HalfMade:\n"
        "    def __del__(self):\n"
        "        raise AttributeError('fp')\n"
        "signals.install()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "except signals.Interrupted:\n"
        "    HalfMade()\n"
        "    gc.collect()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
