"""Replay cost per page: pagetape against botocore's Stubber, vcrpy and placebo, in one run.

Each tool replays the same chain (personalize ListBatchSegmentJobs from the sandbox account, as
a boto3 paginator would request it) through a real boto3 client. Prints microseconds per page,
the ratio to Stubber, and peak memory while loading and replaying. Run:

    python bench/bench_replay.py [--rounds N]

Stubber's time excludes queueing its responses (add_response): it is the lower bound a
hand-stubbed test can reach. vcrpy and placebo record their own files from the sandbox first.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import io
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

from pagetape.isolation import isolated_environment
from pagetape.record import RecordRequest, plan, record
from pagetape.replay import Tape
from pagetape.sandbox import Sandbox

KEY = ("AKIABENCHMARK0000000", "bench-secret")
SERVICE, OPERATION, METHOD, RESULT = (
    "personalize", "ListBatchSegmentJobs", "list_batch_segment_jobs", "batchSegmentJobs",
)  # fmt: skip


def _client(endpoint: str | None = None, session: Any = None) -> Any:
    maker = session or boto3
    return maker.client(
        SERVICE, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1],
    )  # fmt: skip


def _walk(client: Any, page_size: int) -> int:
    pages = 0
    for _page in client.get_paginator(METHOD).paginate(PaginationConfig={"PageSize": page_size}):
        pages += 1
    return pages


def _timed(rounds: int, run: Callable[[], tuple[int, float]]) -> tuple[float, float]:
    """Median microseconds per page over ROUNDS, and peak KiB of one round's allocations."""
    per_page = []
    for _ in range(rounds):
        pages, seconds = run()
        per_page.append(seconds / pages * 1e6)
    gc.collect()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 1024
    tracemalloc.stop()
    return statistics.median(per_page), peak


def bench_pagetape(cassette: Path, page_size: int, rounds: int) -> tuple[float, float]:
    tape = Tape.load([cassette])
    with isolated_environment("us-east-1"), tape:
        client = _client()

        def run() -> tuple[int, float]:
            start = time.perf_counter()
            pages = _walk(client, page_size)
            return pages, time.perf_counter() - start

        return _timed(rounds, run)


def bench_stubber(cassette: Path, page_size: int, rounds: int) -> tuple[float, float]:
    tape = Tape.load([cassette])
    with isolated_environment("us-east-1"), tape:
        parsed = [
            p
            for p in _client()
            .get_paginator(METHOD)
            .paginate(PaginationConfig={"PageSize": page_size})
        ]
    for page in parsed:
        page.pop("ResponseMetadata", None)
    client = _client()
    stubber = Stubber(client)
    stubber.activate()

    def run() -> tuple[int, float]:
        for i, page in enumerate(parsed):
            expected = {"maxResults": page_size}
            if i:
                expected["nextToken"] = parsed[i - 1]["nextToken"]
            stubber.add_response(METHOD, copy.deepcopy(page), expected)
        start = time.perf_counter()
        pages = _walk(client, page_size)
        return pages, time.perf_counter() - start

    return _timed(rounds, run)


def bench_vcrpy(path: Path, endpoint: str, page_size: int, rounds: int) -> tuple[float, float]:
    """vcrpy matches on host and port, so it replays against the endpoint it recorded."""
    import vcr

    def run() -> tuple[int, float]:
        start = time.perf_counter()
        with vcr.use_cassette(str(path), record_mode="none"):
            pages = _walk(_client(endpoint), page_size)
        return pages, time.perf_counter() - start

    return _timed(rounds, run)


def bench_placebo(folder: Path, page_size: int, rounds: int) -> tuple[float, float]:
    import placebo

    def run() -> tuple[int, float]:
        start = time.perf_counter()
        session = boto3.Session()
        pill = placebo.attach(session, data_path=str(folder))
        pill.playback()
        with contextlib.redirect_stdout(io.StringIO()):  # placebo prints every datetime it loads
            pages = _walk(_client(session=session), page_size)
        return pages, time.perf_counter() - start

    return _timed(rounds, run)


@contextlib.contextmanager
def recordings(page_size: int) -> Iterator[tuple[Path, Path, Path, str]]:
    """Record the same chain once per tool from the sandbox account."""
    import placebo
    import vcr

    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        base = Path(tmp)
        request = RecordRequest(
            SERVICE, OPERATION, page_size=page_size, region="us-east-1",
            endpoint_url=sandbox.endpoint_url, output=str(base / "tape.json"), credentials=KEY,
        )  # fmt: skip
        record(plan(request))
        with vcr.use_cassette(str(base / "vcr.yaml"), record_mode="all"):
            _walk(_client(sandbox.endpoint_url), page_size)
        session = boto3.Session()
        (base / "placebo").mkdir()
        pill = placebo.attach(session, data_path=str(base / "placebo"))
        pill.record()
        with contextlib.redirect_stdout(io.StringIO()):
            _walk(_client(sandbox.endpoint_url, session), page_size)
        pill.stop()
        yield base / "tape.json", base / "vcr.yaml", base / "placebo", sandbox.endpoint_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("PAGETAPE_SECRET", "bench")
    print(f"{'tool':10} {'pages':>5} {'us/page':>9} {'x Stubber':>9} {'peak KiB':>9}")
    for page_size in (10, 1):
        with recordings(page_size) as (tape, vcr_file, placebo_dir, endpoint):
            results = {
                "stubber": bench_stubber(tape, page_size, args.rounds),
                "pagetape": bench_pagetape(tape, page_size, args.rounds),
                "vcrpy": bench_vcrpy(vcr_file, endpoint, page_size, max(3, args.rounds // 5)),
                "placebo": bench_placebo(placebo_dir, page_size, max(3, args.rounds // 5)),
            }
        pages = -(-31 // page_size)
        anchor = results["stubber"][0]
        for tool, (micros, peak) in results.items():
            print(f"{tool:10} {pages:>5} {micros:>9.0f} {micros / anchor:>9.2f} {peak:>9.0f}")


if __name__ == "__main__":
    main()
