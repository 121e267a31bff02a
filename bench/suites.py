"""Per-test cost inside a real pytest run: generated suites of N tests, one per tool.

Every test builds its client inside the test with `boto3.client("personalize")` and walks the
same 4-page chain through a paginator, as a user's test would. Each suite runs as its own
`python -m pytest` process in a hermetic environment and is timed from outside, so collection,
plugin and fixture costs count. An empty suite of N trivial tests (importing boto3 like the
others, so that import is not charged per test) is the baseline:
per-test cost = (suite - empty suite) / N.

moto has no personalize: its suite walks IAM ListRoles, 31 roles in pages of 10 (the same 4-page
shape), and creates the 31 roles in each test, because `mock_aws` starts every test empty.
"""

from __future__ import annotations

import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from recordings import KEY, METHOD, REGION, RESULT, Recordings

_WALK = """
def walk(client):
    pages = client.get_paginator("{method}").paginate(PaginationConfig={{"PageSize": {size}}})
    assert sum(len(page["{result}"]) for page in pages) == {items}
"""
_VCR_CONFTEST = """
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return str(Path(__file__).parent / "cassettes")


@pytest.fixture
def default_cassette_name():
    return "chain"
"""
_STUBBER_IMPORTS = "import boto3\nfrom botocore.stub import Stubber\nfrom stub_pages import STUBS\n"
_PLACEBO_IMPORTS = (
    "from pathlib import Path\n\nimport boto3\nimport placebo\n\n"
    "DATA = str(Path(__file__).parent / 'placebo')\n"
)
_STUBBER_BODY = """\
    client = boto3.client("personalize")
    with Stubber(client) as stubber:
        for expected, page in STUBS:
            stubber.add_response("{method}", page, expected)
        walk(client)"""
_PLACEBO_BODY = """\
    session = boto3.Session()
    pill = placebo.attach(session, data_path=DATA)
    pill.playback()
    walk(session.client("personalize"))"""
_MOTO_BODY = """\
    iam = boto3.client("iam")
    for n in range(31):
        iam.create_role(RoleName=f"bench-role-{n:02d}", AssumeRolePolicyDocument=POLICY)
    pages = iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 10})
    assert sum(len(page["Roles"]) for page in pages) == 31"""
_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
    '{"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)


@dataclass(frozen=True)
class Suite:
    """One generated suite: module prelude, test decorator and body, and how to set it up."""

    name: str
    header: str
    body: str
    decorator: str = ""
    ini: str = ""
    args: tuple[str, ...] = ()
    setup: Callable[[Path, Recordings], object] = lambda folder, rec: None
    max_tests: int | None = None  # slow anchors run fewer tests; the cost is per test anyway


def _walk_header(rec: Recordings, imports: str) -> str:
    items = sum(len(page[RESULT]) for page in rec.stub_pages)
    return imports + _WALK.format(method=METHOD, size=rec.page_size, result=RESULT, items=items)


def _utc(value: Any) -> Any:
    """Parsed pages with UTC datetimes, so their repr is valid Python for a stub module."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc)
    if isinstance(value, dict):
        return {k: _utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_utc(v) for v in value]
    return value


def _stub_module(folder: Path, rec: Recordings) -> None:
    """stub_pages.py: each page as a literal with the parameters the paginator will send."""
    stubs = [(expected, _utc(page)) for expected, page in rec.stubs()]
    (folder / "stub_pages.py").write_text(f"import datetime\n\nSTUBS = {stubs!r}\n")


def _copy_vcr(folder: Path, rec: Recordings) -> None:
    (folder / "cassettes").mkdir()
    shutil.copy(rec.vcr, folder / "cassettes" / "chain.yaml")
    (folder / "conftest.py").write_text(_VCR_CONFTEST)


def suites(rec: Recordings) -> list[Suite]:
    """The empty baseline, Stubber (the anchor), pagetape, vcrpy, placebo and moto."""
    return [
        Suite("empty", "import boto3  # noqa: F401\n", "    pass"),
        Suite(
            "stubber",
            _walk_header(rec, _STUBBER_IMPORTS),
            _STUBBER_BODY.format(method=METHOD),
            setup=_stub_module,
        ),
        Suite(
            "pagetape",
            _walk_header(rec, "import boto3\nimport pytest\n"),
            '    walk(boto3.client("personalize"))',
            decorator='@pytest.mark.pagetape("personalize/list_batch_segment_jobs")',
            ini="pagetape_cassette_dir = cassettes",
            setup=lambda folder, r: shutil.copytree(r.pagetape, folder / "cassettes"),
        ),
        Suite(
            "vcrpy",
            _walk_header(rec, "import boto3\nimport pytest\n"),
            '    walk(boto3.client("personalize"))',
            decorator="@pytest.mark.vcr",
            args=("--record-mode=none",),
            setup=_copy_vcr,
        ),
        Suite(
            "placebo",
            _walk_header(rec, _PLACEBO_IMPORTS),
            _PLACEBO_BODY,
            setup=lambda folder, r: shutil.copytree(r.placebo, folder / "placebo"),
            max_tests=200,
        ),
        Suite(
            "moto",
            f"import boto3\nfrom moto import mock_aws\n\nPOLICY = {_POLICY!r}\n",
            _MOTO_BODY,
            decorator="@mock_aws",
            max_tests=200,
        ),
    ]


def write_suite(suite: Suite, rec: Recordings, folder: Path, tests: int) -> None:
    """FOLDER/test_bench.py with TESTS copies of the suite's test, plus its ini and files."""
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text(f"[pytest]\n{suite.ini}\n")
    decorator = f"{suite.decorator}\n" if suite.decorator else ""
    tests_text = "".join(f"\n\n{decorator}def test_{i}():\n{suite.body}\n" for i in range(tests))
    (folder / "test_bench.py").write_text(suite.header + tests_text)
    suite.setup(folder, rec)


def hermetic_env(home: Path) -> dict[str, str]:
    """No AWS or pagetape setting of this machine leaks in: fake key, no ~/.aws, no IMDS."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "PAGETAPE_", "PYTEST_", "BOTO_"))
    }
    env.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID=KEY[0], AWS_SECRET_ACCESS_KEY=KEY[1],
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), PYTHONDONTWRITEBYTECODE="1",
    )  # fmt: skip
    return env


def run_suite(folder: Path, tests: int, args: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of one pytest process over FOLDER; fails loudly unless all TESTS passed."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, *args], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0 or f"{tests} passed" not in done.stdout:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise RuntimeError(f"suite {folder.name} failed:\n{tail}")
    return seconds


@dataclass
class SuiteTimes:
    """Median wall seconds per (suite, tests, workers), and the per-test cost derived."""

    walls: dict[tuple[str, int, int], list[float]] = field(default_factory=dict)

    def median(self, name: str, tests: int, workers: int) -> float:
        return statistics.median(self.walls[(name, tests, workers)])

    def per_test(self, name: str, tests: int, workers: int) -> float:
        """(suite - empty suite of as many tests) / tests, in seconds."""
        base = self.median("empty", tests, workers)
        return (self.median(name, tests, workers) - base) / tests


class _Run(NamedTuple):
    name: str
    folder: Path
    tests: int
    workers: int
    args: tuple[str, ...]


def _size(suite: Suite, tests: int) -> int:
    return min(tests, suite.max_tests or tests)


def _plan(rec: Recordings, base: Path, tests: int) -> list[_Run]:
    """Write every suite once; the baseline at each size a suite runs at. pagetape, Stubber and
    the baseline also run under pytest-xdist with 2 and 4 workers."""
    every = suites(rec)
    sizes = sorted({_size(s, tests) for s in every})
    runs = []
    for suite in every:
        for size in sizes if suite.name == "empty" else [_size(suite, tests)]:
            folder = base / f"{suite.name}-{size}"
            write_suite(suite, rec, folder, size)
            runs.append(_Run(suite.name, folder, size, 0, suite.args))
    for name in ("empty", "stubber", "pagetape"):
        for workers in (2, 4):
            runs.append(_Run(name, base / f"{name}-{tests}", tests, workers, ("-n", str(workers))))
    return runs


def measure(rec: Recordings, base: Path, tests: int, rounds: int) -> SuiteTimes:
    """Run every suite ROUNDS times, interleaved so machine noise spreads over all of them."""
    env = hermetic_env(base / "home")
    runs = _plan(rec, base, tests)
    times = SuiteTimes()
    for _ in range(rounds):
        for run in runs:
            wall = run_suite(run.folder, run.tests, run.args, env)
            times.walls.setdefault((run.name, run.tests, run.workers), []).append(wall)
    return times
