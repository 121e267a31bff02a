"""pytest glue for pagetape: a marker, a fixture, an option and an ini key. Every knob is a small
overridable fixture (`pagetape_cassette_dir`, `pagetape_record_mode`); the engine lives in
`pagetape.replay.session`. Loading this plugin imports neither boto3 nor vcrpy: tests that do not use a
tape pay nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pagetape import RECORD_MODES
from pagetape.replay.hook import install_lazily  # stdlib only: no boto3, no vcrpy

# Now, not at pytest_configure: conftest files are imported before that hook runs, and a
# boto3 client a conftest creates at import time must carry the replay handler too.
install_lazily()

_call_passed = pytest.StashKey[bool]()
_active_tape = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pagetape", "replay AWS cassettes recorded by pagetape")
    group.addoption(
        "--pagetape-record",
        choices=RECORD_MODES,
        default=None,
        help="none (default): replay only; once: record missing cassettes; new_episodes: record "
        "requests the cassette lacks; all (or rewrite): re-record everything. Recording talks to "
        "the account your environment's credentials and endpoint point at.",
    )
    group.addoption(
        "--pagetape-block-network",
        action="store_true",
        default=False,
        help="fail any test that opens an internet socket outside a recording tape",
    )
    parser.addini(
        "pagetape_cassette_dir",
        "cassette folder, relative to rootdir (unset: 'cassettes' beside each test module)",
        default=None,
    )
    parser.addini(
        "pagetape_keep",
        "member paths every recording keeps real, one per line (Items[].status.S)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pagetape(*cassettes, repage=False, strict_region=False, keep=(), faults=()): replay "
        "these cassettes (names relative to the cassette dir, .json optional; none: "
        "{module}/{test}) while the test runs; keep: member paths a recording keeps real "
        "(Items[].status.S); faults: fault('throttle', page=2, times=2) or "
        "'throttle:2x2', injected on replay through botocore's retries",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    # The tape's isolation starts before other autouse fixtures (so clients they create
    # replay); one of them may then clear AWS_* (a hermetic conftest): refill what is missing.
    tape = item.stash.get(_active_tape, None)
    if tape is not None and tape.isolated:
        from pagetape.aws.isolation import complete_environment

        complete_environment(tape.metadata.region)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_call_passed] = report.passed
        # A replay miss raised deep inside botocore: the explanation, not 50 lines of stack.
        error = call.excinfo.value if call.excinfo is not None else None
        if report.failed and error is not None and _is_pagetape_error(error):
            report.longrepr = f"{type(error).__name__}: {error}"
    return report


def _is_pagetape_error(error: BaseException) -> bool:
    from pagetape.errors import PagetapeError

    return isinstance(error, PagetapeError)


@pytest.fixture(autouse=True)
def _pagetape_block_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """--pagetape-block-network: a socket opened outside a recording tape fails the test."""
    if not request.config.getoption("--pagetape-block-network"):
        yield
        return
    from pagetape.replay.hook import recording_active
    from pagetape.replay.network import blocked

    with blocked(recording_active):
        yield


@pytest.fixture
def pagetape_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """Where cassette names are resolved: the ini key relative to rootdir when set, else
    `cassettes` beside the test module (as pytest-recording does); override to choose."""
    configured = request.config.getini("pagetape_cassette_dir")
    if configured:
        return Path(request.config.rootpath) / str(configured)
    return Path(request.node.path).parent / "cassettes"


@pytest.fixture
def pagetape_record_mode(request: pytest.FixtureRequest) -> str:
    """The record mode; override to pin one for a module."""
    return str(request.config.getoption("--pagetape-record") or "none")


@pytest.fixture
def pagetape(
    request: pytest.FixtureRequest, pagetape_cassette_dir: Path, pagetape_record_mode: str
) -> Iterator[Any]:
    """The active tape of a test marked `@pytest.mark.pagetape(...)`."""
    from pagetape.errors import PagetapeError
    from pagetape.replay.session import open_tape

    marker = request.node.get_closest_marker("pagetape")
    if marker is None:
        pytest.fail("the pagetape fixture needs @pytest.mark.pagetape(...)", pytrace=False)
    names = [str(a) for a in marker.args] or [_default_name(request.node)]
    options: dict[str, Any] = {
        k: bool(marker.kwargs[k]) for k in ("repage", "strict_region") if k in marker.kwargs
    }
    keep = [*marker.kwargs.get("keep", ()), *request.config.getini("pagetape_keep")]
    if keep:
        options["keep"] = [str(path) for path in keep]
    if marker.kwargs.get("faults"):
        options["faults"] = list(marker.kwargs["faults"])
    failure = None
    try:
        context = open_tape(names, pagetape_cassette_dir, pagetape_record_mode, **options)
        tape = context.__enter__()
    except PagetapeError as exc:
        failure = str(exc)
    if failure is not None:  # outside the except: one message, no "during handling of..."
        pytest.fail(failure, pytrace=False)
    request.node.stash[_active_tape] = tape
    yield tape
    if not request.node.stash.get(_call_passed, False):
        # A test that failed, was skipped or never ran (a later fixture failed) records
        # nothing: its exchanges may be incomplete.
        context.__exit__(_TestFailed, _TestFailed(), None)
        return
    try:
        context.__exit__(None, None, None)
    except PagetapeError as exc:
        failure = str(exc)
    if failure is not None:  # outside the except: one message, no "during handling of..."
        pytest.fail(failure, pytrace=False)
    if tape.misses:
        pytest.fail(
            f"the code under test swallowed a replay miss:\n{tape.misses[0]}", pytrace=False
        )


def _default_name(node: pytest.Item) -> str:
    """{module}/{test}, as pytest-recording names cassettes; parameters made file-safe."""
    import re

    module = Path(str(node.path)).stem
    return f"{module}/{re.sub(r'[^A-Za-z0-9_.-]+', '_', node.name).strip('_')}"


class _TestFailed(Exception):
    """Thrown into the tape's context when the test did not pass, so nothing is written."""


@pytest.fixture(autouse=True)
def _pagetape_marker(request: pytest.FixtureRequest) -> None:
    """A marked test replays even if it does not ask for the `pagetape` fixture."""
    if request.node.get_closest_marker("pagetape") is not None:
        request.getfixturevalue("pagetape")
