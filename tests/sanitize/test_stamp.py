"""The one place a cassette's run facts are set (`pagetape.sanitize.writer.stamp`), used by every
recording and sanitizing pass and, through `stamp_as`, by each cassette of a placebo import."""

from __future__ import annotations

import botocore

import pagetape
from pagetape.cassette import store as cassette_io
from pagetape.sanitize.writer import stamp, stamp_as


def _bare() -> cassette_io.Metadata:
    return cassette_io.Metadata(
        service="iam", operation="ListRoles", region="us-east-1", params={}, page_size=None,
        pages=1, items=2, recorded_at="", tool_version="", botocore_version="", protocol="query",
    )  # fmt: skip


def test_stamp_sets_now_and_the_installed_versions_unless_given() -> None:
    meta = _bare()
    stamp(
        meta, sanitizer={"arn": 3}, kept_rules=["email"], kept_paths=["Roles[].Path"],
        fakes=["f1"], fakes_seal="seal",
    )  # fmt: skip
    assert (meta.tool_version, meta.botocore_version) == (
        pagetape.__version__,
        botocore.__version__,
    )
    assert meta.recorded_at.endswith("+00:00") and "." not in meta.recorded_at  # seconds, UTC
    assert (meta.sanitizer, meta.kept_rules, meta.kept_paths) == (
        {"arn": 3},
        ["email"],
        ["Roles[].Path"],
    )
    assert (meta.fakes, meta.fakes_seal) == (["f1"], "seal")
    assert (meta.pages, meta.items, meta.operation) == (1, 2, "ListRoles")  # described, not stamped


def test_stamp_as_copies_every_run_fact_of_another_cassette() -> None:
    folder = _bare()
    stamp(
        folder, sanitizer={"account_id": 1}, kept_rules=[], kept_paths=["a"], fakes=["x", "y"],
        fakes_seal="s", recorded_at="2024-01-02T03:04:05+00:00", tool_version="0.0.9",
        botocore_version="1.30.0",
    )  # fmt: skip
    mine = _bare()
    mine.operation = "GetRole"
    stamp_as(mine, folder)
    facts = ("recorded_at", "tool_version", "botocore_version", "sanitizer", "kept_rules",
             "kept_paths", "fakes", "fakes_seal")  # fmt: skip
    assert [getattr(mine, f) for f in facts] == [getattr(folder, f) for f in facts]
    assert mine.recorded_at == "2024-01-02T03:04:05+00:00" and mine.operation == "GetRole"
