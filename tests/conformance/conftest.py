"""Fixtures of the conformance sweep: one local server per worker, and an outcome log that
`python -m conformance.report` (and the terminal summary of `pytest tests/conformance`) reads."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import report
from conformance.runner import Outcome
from conformance.server import ConformanceServer


def _results_dir(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        return Path(cache.mkdir("conformance"))
    report.DEFAULT_RESULTS.mkdir(parents=True, exist_ok=True)  # -p no:cacheprovider
    return report.DEFAULT_RESULTS


@pytest.fixture(scope="session")
def conformance_server() -> Iterator[ConformanceServer]:
    with ConformanceServer() as server:
        yield server


@pytest.fixture(scope="session")
def log_outcome(request: pytest.FixtureRequest) -> Iterator[Callable[[Outcome], None]]:
    """Append each outcome as one JSON line to outcomes-<run>-<worker>.jsonl, where run is
    xdist's testrunuid (shared by the workers of one run); failing cassettes are kept."""
    config = request.config
    worker = getattr(config, "workerinput", {})
    run = worker.get("testrunuid") or os.urandom(16).hex()
    results = _results_dir(config)
    report.prune(results)
    path = results / f"outcomes-{run}-{worker.get('workerid', 'main')}.jsonl"
    with path.open("a") as out:

        def log(outcome: Outcome) -> None:
            if outcome.cassette and Path(outcome.cassette).exists():
                kept = results / f"cassettes-{run}" / Path(outcome.cassette).name
                kept.parent.mkdir(exist_ok=True)
                shutil.copyfile(outcome.cassette, kept)
                outcome.cassette = str(kept)
            out.write(outcome.to_json() + "\n")
            out.flush()

        yield log


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the report when this run checked paginators (loaded on the xdist controller only
    when tests/conformance is on the command line; else run `python -m conformance.report`)."""
    if hasattr(config, "workerinput"):
        return
    results = _results_dir(config)
    rows = report.load(results)
    if not rows or not any(p.stat().st_mtime >= _session_start for p in results.glob("*.jsonl")):
        return
    summary = report.summarize(rows)
    (results / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    terminalreporter.write_sep("=", "pagetape conformance")
    terminalreporter.write_line(report.render(summary))
    terminalreporter.write_line(f"summary: {results / 'summary.json'}")


_session_start = 0.0


def pytest_sessionstart(session: pytest.Session) -> None:
    import time

    global _session_start
    _session_start = time.time()
