"""pagetape's speed against the tools a user would otherwise pick, in one run.

    python bench/bench.py [--rounds N] [--tests N] [--quick] [--full] [--json]

Needs `pip install -e '.[test,bench]'`. Not part of the test run. Prints medians of several
rounds, the ratio to the anchor and the target of each measurement, PASS or MISS:

1. per-test cost in a pytest suite of N tests (pagetape, Stubber, vcrpy, placebo, moto; xdist)
2. replay cost per page at 10, 100 and 1,000 pages, client made once (Stubber excludes
   add_response; vcrpy excludes loading its cassette, which 3 measures)
3. cold load of the 1,000-page cassette: pagetape against vcrpy's YAML
4. recording against a plain boto3 paginator on the same local server, time and peak memory
5. sanitizer throughput, MB of response JSON per second
6. importing the pytest plugin in a session that uses no tape

Long chains come from bench/chain_server.py (realistic jobs and S3 keys on 127.0.0.1); the
4-page suite chain from pagetape's sandbox account.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import suites
from chain_server import BUCKET, ChainServer
from recordings import (
    KEY,
    METHOD,
    REGION,
    SERVICE,
    Recordings,
    client,
    record_all,
    record_pagetape,
    walk,
)

from pagetape.aws.isolation import isolated_environment
from pagetape.cassette.store import Interaction
from pagetape.record.capture import Capture, tag_operation
from pagetape.replay import engine as replay
from pagetape.replay.engine import Tape
from pagetape.sandbox import Sandbox
from pagetape.sanitize import writer

VERSIONS = ("pagetape", "boto3", "botocore", "vcrpy", "moto", "placebo", "pytest-recording")


@dataclass
class Row:
    """One measurement: what, how much, against which anchor and target."""

    section: int
    case: str
    tool: str
    value: float
    unit: str
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class Options:
    rounds: int
    tests: int
    pages: tuple[int, ...]
    record_pages: tuple[int, ...]
    json: bool


# -- measuring ----------------------------------------------------------------------------------


def median_of(rounds: int, run: Callable[[], float]) -> float:
    """Median of ROUNDS results of RUN (seconds it timed itself), after one warm-up call: the
    first call loads models and paginators, which no later page pays."""
    run()
    return statistics.median(run() for _ in range(rounds))


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def peak_bytes(action: Callable[[], Any]) -> int:
    """Peak traced allocation of one ACTION (tracemalloc slows it: never in a timed round)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check(value: float, limit: float, below: bool = True) -> bool:
    return value <= limit if below else value >= limit


# -- 1. suites ----------------------------------------------------------------------------------


def section_suites(rec: Recordings, base: Path, opts: Options) -> list[Row]:
    """Per-test cost in real pytest processes; pagetape against Stubber, target <= 1.5x."""
    rounds = max(1, (opts.rounds + 1) // 2)  # each round is a dozen pytest processes
    times = suites.measure(rec, base, opts.tests, rounds)
    return _serial_rows(rec, times, opts.tests) + _xdist_rows(times, opts.tests)


def _serial_rows(rec: Recordings, times: suites.SuiteTimes, n: int) -> list[Row]:
    rows = [Row(1, f"{n} tests", "empty", times.median("empty", n, 0), "s suite")]
    anchor = times.per_test("stubber", n, 0)
    for suite in suites.suites(rec)[1:]:
        size = min(n, suite.max_tests or n)
        cost = times.per_test(suite.name, size, 0)
        row = Row(1, f"{n} tests", suite.name, cost * 1e3, "ms/test", cost / anchor)
        if suite.name == "pagetape":
            row.target, row.ok = "<= 1.5x Stubber", check(cost / anchor, 1.5)
        notes = [f"{size} tests (slow anchor)"] if size != n else []
        if suite.name == "moto":
            notes.append("IAM ListRoles, 31 roles created per test")
        row.note = "; ".join(notes)
        rows.append(row)
    return rows


def _xdist_rows(times: suites.SuiteTimes, n: int) -> list[Row]:
    """Per-test cost under -n 2 and -n 4 (against the empty suite with as many workers)."""
    rows = []
    for workers in (2, 4):
        case, anchor = f"{n} tests -n {workers}", times.per_test("stubber", n, workers)
        for name in ("empty", "stubber", "pagetape"):
            wall = times.median(name, n, workers)
            note = f"suite {wall:.1f} s, speedup {times.median(name, n, 0) / wall:.2f}x vs serial"
            if name == "empty":
                rows.append(Row(1, case, name, wall, "s suite", note=note))
                continue
            cost = times.per_test(name, n, workers)
            rows.append(Row(1, case, name, cost * 1e3, "ms/test", cost / anchor, note=note))
    return rows


# -- 2. replay per page -------------------------------------------------------------------------


def _timed_walk(api: Any, page_size: int) -> float:
    start = time.perf_counter()
    pages = walk(api, page_size)
    return (time.perf_counter() - start) / len(pages)


def replay_pagetape(rec: Recordings, rounds: int) -> float:
    with isolated_environment(REGION), Tape.load([rec.tape]):
        api = boto3.client(SERVICE)
        return median_of(rounds, lambda: _timed_walk(api, rec.page_size))


def replay_stubber(rec: Recordings, rounds: int) -> float:
    """Stubber's own time only: its responses are queued before the clock starts."""
    from botocore.stub import Stubber

    api = client()
    stubber = Stubber(api)
    stubber.activate()

    def run() -> float:
        for expected, page in rec.stubs():
            stubber.add_response(METHOD, page, expected)
        return _timed_walk(api, rec.page_size)

    return median_of(rounds, run)


def replay_vcrpy(rec: Recordings, rounds: int) -> float:
    """The cassette is loaded once (section 3 times that); each round rewinds it."""
    import vcr

    with vcr.use_cassette(str(rec.vcr), record_mode="none") as cassette:
        api = client()

        def run() -> float:
            cassette.rewind()
            return _timed_walk(api, rec.page_size)

        return median_of(rounds, run)


def replay_placebo(rec: Recordings, rounds: int) -> float:
    import placebo

    session = boto3.Session()
    pill = placebo.attach(session, data_path=str(rec.placebo))
    pill.playback()
    api = client(session=session)

    def run() -> float:
        with contextlib.redirect_stdout(io.StringIO()):  # placebo 0.10 prints every datetime
            return _timed_walk(api, rec.page_size)

    return median_of(rounds, run)


def section_replay(chains: dict[int, Recordings], opts: Options) -> list[Row]:
    """Microseconds per page through a paginator; pagetape against Stubber, target <= 1.2x."""
    rows = []
    tools = {
        "stubber": replay_stubber,
        "pagetape": replay_pagetape,
        "vcrpy": replay_vcrpy,
        "placebo": replay_placebo,
    }
    for pages, rec in chains.items():
        slow = max(2, opts.rounds // 2) if pages >= 1000 else opts.rounds  # vcrpy is O(pages^2)
        results = {
            name: run(rec, slow if name == "vcrpy" else opts.rounds) for name, run in tools.items()
        }
        for name, seconds in results.items():
            ratio = seconds / results["stubber"]
            row = Row(2, f"{pages} pages", name, seconds * 1e6, "us/page", ratio)
            if name == "pagetape":
                row.target, row.ok = "<= 1.2x Stubber", check(ratio, 1.2)
            rows.append(row)
    return rows


# -- 3. cassette load ---------------------------------------------------------------------------


def load_pagetape_cold(rec: Recordings) -> float:
    """Tape.load with the per-process cache emptied: parsing and indexing, every time."""
    replay._cache.clear()
    return timed(lambda: Tape.load([rec.tape]))


def load_vcrpy(rec: Recordings) -> float:
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    return timed(lambda: FilesystemPersister.load_cassette(rec.vcr, serializer=yamlserializer))


def section_load(pages: int, rec: Recordings, opts: Options) -> list[Row]:
    """Cold load of the longest chain; target: pagetape >= 20x faster than vcrpy."""
    vcr_s = median_of(opts.rounds, lambda: load_vcrpy(rec))
    tape_s = median_of(opts.rounds, lambda: load_pagetape_cold(rec))
    case = f"{pages} pages"
    vcrpy = Row(3, case, "vcrpy", vcr_s * 1e3, "ms", 1.0, note=_mib(rec.vcr, "YAML"))
    tape = Row(3, case, "pagetape", tape_s * 1e3, "ms", vcr_s / tape_s, ">= 20x faster")
    tape.ok, tape.note = check(vcr_s / tape_s, 20, below=False), _mib(rec.tape, "JSON")
    return [vcrpy, tape]


def _mib(path: Path, kind: str) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB {kind}"


# -- 4. recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordCase:
    """A chain to record: how the server is built and what the recording asks."""

    name: str
    pages: int
    server: dict[str, int]
    page_size: int | None
    s3: bool = False


def record_cases(opts: Options) -> list[RecordCase]:
    chains = [RecordCase(f"{p} pages", p, {"jobs": p * 10}, 10) for p in opts.record_pages]
    return [
        *chains,
        RecordCase("1 page x 1000 items", 1, {"jobs": 1000, "default_page": 1000}, None),
        RecordCase("S3 1 page x 1000 keys", 1, {"objects": 1000}, 1000, s3=True),
    ]


def _recorder(case: RecordCase, endpoint: str, out: Path) -> Callable[[], Any]:
    if case.s3:
        params = json.dumps({"Bucket": BUCKET})
        return lambda: record_pagetape(
            endpoint,
            case.page_size,
            out,
            service="s3",
            operation="ListObjectsV2",
            params_json=params,
            force=True,
        )
    return lambda: record_pagetape(endpoint, case.page_size, out, force=True)


def _plain(case: RecordCase, endpoint: str) -> Callable[[], Any]:
    """The same walk with boto3 alone (its default session, warm after the first round)."""
    if not case.s3:
        return lambda: walk(client(endpoint), case.page_size)

    def list_objects() -> list[Any]:
        s3 = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id=KEY[0],
            aws_secret_access_key=KEY[1],
        )
        config = {"PageSize": case.page_size} if case.page_size else {}
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig=config)
        return list(pages)

    return list_objects


def record_case(case: RecordCase, out: Path, rounds: int) -> Row:
    """Record and walk plainly in alternation (same machine noise); then one traced recording."""
    tape_s, plain_s = [], []
    with ChainServer(**case.server) as server:
        recorder, plain = (
            _recorder(case, server.endpoint_url, out),
            _plain(case, server.endpoint_url),
        )
        recorder(), plain()  # warm-up
        for _ in range(rounds):
            tape_s.append(timed(recorder))
            plain_s.append(timed(plain))
        peak = peak_bytes(recorder)
        page = len(server.first_page(case.page_size, s3=case.s3))
    tape, ratio = statistics.median(tape_s), statistics.median(tape_s) / statistics.median(plain_s)
    note = (
        f"plain {statistics.median(plain_s):.3f} s; {tape / case.pages * 1e3:.2f} ms/page; peak "
        f"{peak / 2**20:.1f} MiB = {peak / page:.0f}x one page ({page / 1024:.0f} KiB), "
        f"{peak / page / case.pages:.1f}x per page"
    )
    return Row(4, case.name, "pagetape", tape, "s", ratio, "<= 1.2x boto3", check(ratio, 1.2), note)


def section_record(base: Path, opts: Options) -> list[Row]:
    rounds = max(2, opts.rounds // 2)
    return [record_case(case, base / "record.json", rounds) for case in record_cases(opts)]


# -- 5. sanitizer -------------------------------------------------------------------------------


def captured_chain(pages: int) -> list[Interaction]:
    """The raw (unsanitized) exchanges of a live walk, as `pagetape record` captures them."""
    with ChainServer(jobs=pages * 10) as server:
        api = client(server.endpoint_url)
        api.meta.events.register("before-call", tag_operation)
        with Capture() as capture:
            walk(api, 10)
        exchanges: list[Interaction] = capture.exchanges()
        return exchanges


def section_sanitize(pages: int, base: Path, opts: Options) -> list[Row]:
    """writer.build (the sanitizer's two passes) and writer.write (encode, leak proof, atomic
    write): what `pagetape record` and `pagetape sanitize` run after the capture."""
    exchanges = captured_chain(pages)
    megabytes = sum(len(x.response.body) for x in exchanges) / 1e6
    builds, writes = [], []
    for _ in range(max(2, opts.rounds // 2)):
        fresh = copy.deepcopy(exchanges)
        start = time.perf_counter()
        tape, sanitizer = writer.build(fresh, REGION, params={})
        built = time.perf_counter()
        writer.write(base / "sanitized.json", tape, sanitizer)
        builds.append(built - start)
        writes.append(time.perf_counter() - built)
    build_s, write_s = statistics.median(builds), statistics.median(writes)
    rate = megabytes / (build_s + write_s)
    note = f"{megabytes:.2f} MB; sanitize {build_s:.2f} s + encode/proof/write {write_s:.2f} s"
    return [
        Row(
            5,
            f"{pages} pages",
            "pagetape",
            rate,
            "MB/s",
            None,
            ">= 20 MB/s",
            check(rate, 20, below=False),
            note,
        )
    ]


# -- 6. plugin import ---------------------------------------------------------------------------

_IMPORT = (
    "import time, pytest\n"
    "start = time.perf_counter()\n"
    "import pytest_pagetape.plugin\n"
    "print(time.perf_counter() - start)\n"
)


def section_import(base: Path, opts: Options) -> list[Row]:
    """Median over fresh processes of importing the plugin once pytest is imported."""
    env = suites.hermetic_env(base / "home")
    runs = 15 if opts.rounds >= 3 else 5
    seconds = [
        float(
            subprocess.run(
                [sys.executable, "-c", _IMPORT], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    ms = statistics.median(seconds) * 1e3
    return [Row(6, f"{runs} processes", "pagetape", ms, "ms", None, "< 5 ms", ms < 5)]


# -- running and printing -----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def format_row(row: Row) -> str:
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
    status = "" if row.ok is None else "PASS" if row.ok else "MISS"
    value = f"{_number(row.value)} {row.unit}"
    return (
        f"  {row.case:22} {row.tool:9} {value:>15} {ratio:>8}  {row.target:28} {status:4}"
        f"  {row.note}".rstrip()
    )


TITLES = {
    1: "1. suite overhead per test (ratio: x Stubber)",
    2: "2. replay per page, client made once (ratio: x Stubber)",
    3: "3. cold cassette load (ratio: vcrpy time / pagetape time)",
    4: "4. recording against a plain boto3 walk (ratio: x boto3)",
    5: "5. sanitizer throughput",
    6: "6. plugin import in a session without tapes",
}


class Report:
    """Prints each section as it completes (unless --json), keeps every row for the end."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.rows: list[Row] = []

    def add(self, rows: list[Row]) -> None:
        self.rows += rows
        if not self.as_json and rows:
            print(f"\n{TITLES[rows[0].section]}")
            for row in rows:
                print(format_row(row))
            sys.stdout.flush()

    def finish(self, info: dict[str, Any]) -> None:
        misses = [f"{r.section}:{r.case}" for r in self.rows if r.ok is False]
        if self.as_json:
            print(
                json.dumps(
                    {"machine": info, "rows": [asdict(r) for r in self.rows], "misses": misses},
                    indent=2,
                )
            )
        else:
            print(f"\ntargets missed: {', '.join(misses) or 'none'}")


@contextlib.contextmanager
def chain_recordings(pages: tuple[int, ...], base: Path) -> Iterator[dict[int, Recordings]]:
    """Each chain length recorded by every tool from its own chain server."""
    chains = {}
    for n in pages:
        with ChainServer(jobs=n * 10) as server:
            chains[n] = record_all(server.endpoint_url, 10, base / f"chain-{n}")
    yield chains


def run(opts: Options, base: Path) -> None:
    info = machine()
    report = Report(opts.json)
    if not opts.json:
        print(", ".join(f"{k} {v}" for k, v in info.items()))
        print(f"rounds {opts.rounds}, tests {opts.tests}")
    with Sandbox() as sandbox:
        suite_chain = record_all(sandbox.endpoint_url, 10, base / "sandbox")
    report.add(section_suites(suite_chain, base / "suites", opts))
    with chain_recordings(opts.pages, base) as chains:
        report.add(section_replay(chains, opts))
        longest = max(chains)
        report.add(section_load(longest, chains[longest], opts))
    report.add(section_record(base, opts))
    report.add(section_sanitize(max(opts.pages), base, opts))
    report.add(section_import(base, opts))
    report.finish(info)


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument("--tests", type=int, default=1000, help="tests per generated suite")
    parser.add_argument("--quick", action="store_true", help="small N, few rounds: a smoke run")
    parser.add_argument("--full", action="store_true", help="also record 10,000 pages")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    pages = (10, 100) if args.quick else (10, 100, 1000)
    record_pages = (*pages, 10_000) if args.full else pages
    return Options(
        rounds=2 if args.quick else args.rounds,
        tests=min(args.tests, 40) if args.quick else args.tests,
        pages=pages,
        record_pages=record_pages,
        json=args.json,
    )


def main() -> None:
    opts = parse()
    with tempfile.TemporaryDirectory(prefix="pagetape-bench-") as tmp:
        # This process is as hermetic as the suites: no AWS profile, file or IMDS of the machine.
        env = suites.hermetic_env(Path(tmp) / "home")
        os.environ.clear()
        os.environ.update(env, PAGETAPE_SECRET="bench-secret-not-a-real-one")
        run(opts, Path(tmp))


if __name__ == "__main__":
    main()
