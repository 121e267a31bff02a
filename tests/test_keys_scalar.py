"""The one wire form of a query or form value (`pagetape.wire.keys.wire_scalar`), shared by the
request key and placebo's re-made requests."""

from __future__ import annotations

from pagetape.wire.keys import query_pairs, wire_scalar


def test_booleans_are_written_lowercase_as_botocore_sends_them() -> None:
    assert [wire_scalar(v) for v in (True, False, 0, 25, "MaxItems", 1.5)] == [
        "true", "false", "0", "25", "MaxItems", "1.5",
    ]  # fmt: skip
    assert query_pairs({"IsTruncated": True, "ids": [2, 1]}) == [
        ("IsTruncated", "true"), ("ids", "1"), ("ids", "2"),
    ]  # fmt: skip
