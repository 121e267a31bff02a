"""The request key and the request view from botocore's own serialized requests: a stored
request and the live one botocore makes for the same call are the same key, whatever the
host, region, header case or idempotency token."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from pagetape.aws.isolation import isolated_environment
from pagetape.cassette.store import Request
from pagetape.wire.request import (
    live_request,
    logical_path,
    query_pairs,
    request_key,
    visible_params,
    wire_scalar,
)


class _Caught(Exception):
    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__("caught")
        self.params = params


def serialized(service: str, method: str, region: str = "us-east-1", **kwargs: Any) -> Any:
    """botocore's serialized request dict for one call, caught at before-call, never sent."""

    def catch(params: Any = None, **_: Any) -> None:
        raise _Caught(dict(params))

    with isolated_environment(region):
        client = boto3.client(service, region_name=region)
        client.meta.events.register("before-call.*.*", catch)
        with pytest.raises(_Caught) as caught:
            getattr(client, method)(**kwargs)
    return caught.value.params


def test_a_json_call_is_the_same_key_from_any_region() -> None:
    one = live_request(serialized("personalize", "list_batch_segment_jobs", maxResults=5))
    other = live_request(
        serialized("personalize", "list_batch_segment_jobs", "eu-west-1", maxResults=5)
    )
    key = request_key("personalize", "ListBatchSegmentJobs", one)
    assert key == request_key("personalize", "ListBatchSegmentJobs", other)
    assert key != request_key(
        "personalize",
        "ListBatchSegmentJobs",
        live_request(serialized("personalize", "list_batch_segment_jobs", maxResults=6)),
    )


def test_the_stored_form_of_a_body_is_the_same_key_as_its_bytes() -> None:
    live = live_request(serialized("personalize", "list_batch_segment_jobs", maxResults=5))
    stored = Request(
        method="POST",
        path="/",
        headers={"content-type": "application/x-amz-json-1.1"},
        body={"maxResults": 5},
    )
    assert request_key("personalize", "X", live) == request_key("personalize", "X", stored)


def test_header_case_does_not_change_the_key() -> None:
    body = b"Action=ListRoles&Version=2010-05-08&MaxItems=2"
    lower = Request(
        method="POST",
        path="/",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=body,
    )
    upper = Request(
        method="POST",
        path="/",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=body.decode(),
    )
    assert request_key("iam", "ListRoles", lower) == request_key("iam", "ListRoles", upper)


def test_dropped_members_are_left_out_on_both_sides() -> None:
    def asked(token: str) -> Request:
        return Request(
            method="POST",
            path="/",
            headers={"content-type": "application/x-amz-json-1.1"},
            body={"maxResults": 5, "clientToken": token},
        )

    assert request_key("s", "Op", asked("a")) != request_key("s", "Op", asked("b"))
    drop = ["clientToken"]
    assert request_key("s", "Op", asked("a"), drop) == request_key("s", "Op", asked("b"), drop)


def test_a_query_protocol_call_is_read_as_form_fields() -> None:
    live = live_request(serialized("iam", "list_roles", PathPrefix="/fraud/", MaxItems=2))
    assert live.method == "POST" and live.path == "/"
    params = visible_params(live)
    assert params["Action"] == "ListRoles" and params["PathPrefix"] == "/fraud/"
    assert params["MaxItems"] == "2"


def test_an_s3_listing_keeps_its_bucket_in_the_logical_path() -> None:
    params = serialized("s3", "list_objects_v2", Bucket="reports", Prefix="2024/")
    live = live_request(params)
    assert live.path.startswith("/reports") and "list-type=2" in logical_path(params)
    assert ("prefix", "2024/") in live.query
    # The bucket is part of what makes the request this one.
    other = live_request(serialized("s3", "list_objects_v2", Bucket="other", Prefix="2024/"))
    assert request_key("s3", "ListObjectsV2", live) != request_key("s3", "ListObjectsV2", other)


@pytest.mark.parametrize(
    "query, pairs",
    [
        ("b=2&a=1", [("a", "1"), ("b", "2")]),
        ({"a": ["2", "1"], "flag": True}, [("a", "1"), ("a", "2"), ("flag", "true")]),
        ([("z", 1)], [("z", "1")]),
        (None, []),
        ("empty=", [("empty", "")]),
    ],
)
def test_query_pairs_reads_every_form_botocore_uses(query: Any, pairs: Any) -> None:
    assert query_pairs(query) == pairs


def test_a_body_that_is_not_json_is_its_text() -> None:
    request = Request(method="PUT", path="/b/k", headers={"content-type": "text/csv"}, body=b"a,b")
    assert visible_params(request) == {"<body>": "a,b"}


# -- scalars on the wire --------------------------------------------------------------------------


def test_booleans_are_written_lowercase_as_botocore_sends_them() -> None:
    assert [wire_scalar(v) for v in (True, False, 0, 25, "MaxItems", 1.5)] == [
        "true", "false", "0", "25", "MaxItems", "1.5",
    ]  # fmt: skip
    assert query_pairs({"IsTruncated": True, "ids": [2, 1]}) == [
        ("IsTruncated", "true"), ("ids", "1"), ("ids", "2"),
    ]  # fmt: skip
