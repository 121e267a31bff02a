"""Fuzzing the loader and `verify` (issue 10): whatever the bytes, only CassetteError (the
documented error) or a cassette; `verify_file` only findings, never an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteError
from pagetape.verify.lint import verify_file

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "cassettes" / "personalize" / "list_data_deletion_jobs.json").read_bytes()
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _mutate(doc: Any, path: list[Any], value: Any) -> Any:
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


PATHS = [
    ["pagetape"], ["metadata"], ["metadata", "service"], ["metadata", "operation"],
    ["metadata", "params"], ["metadata", "pages"], ["metadata", "fakes"], ["interactions"],
    ["interactions", 0], ["interactions", 0, "request"], ["interactions", 0, "request", "body"],
    ["interactions", 0, "request", "query"], ["interactions", 1, "response", "body"],
    ["interactions", 1, "response", "headers"], ["interactions", 2, "operation"],
    ["interactions", 2, "request", "body", "nextToken"], ["interactions", 3, "response", "status"],
]  # fmt: skip


def _check(path: Path) -> None:
    try:
        cassette_io.load(path)
    except CassetteError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
    for finding in verify_file(path):
        assert finding.file == str(path)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(data)
    _check(path)


@FUZZ
@given(st.integers(0, len(GOOD)), st.binary(max_size=8), st.integers(0, 8))
def test_damaged_real_cassette(tmp_path: Path, at: int, insert: bytes, cut: int) -> None:
    """The shipped cassette truncated, spliced and overwritten at any byte."""
    path = tmp_path / "f.json"
    path.write_bytes(GOOD[:at] + insert + GOOD[at + cut :])
    _check(path)


@FUZZ
@given(st.sampled_from(PATHS), json_values)
def test_any_value_anywhere(tmp_path: Path, where: list[Any], value: Any) -> None:
    """Every field of a real cassette replaced by any JSON value: wrong types, odd bodies."""
    path = tmp_path / "f.json"
    path.write_text(json.dumps(_mutate(json.loads(GOOD), where, value)))
    _check(path)
