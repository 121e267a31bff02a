"""The chain view of stored exchanges (pagetape.wire.chain): which tokens a request asked for,
which a response gave, whether another page follows and how many items it held, read the same
way for every protocol and paginator shape. Exchanges are made by botocore's own serializer and
read back by its parser (tests/stored.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pagetape.aws.specs import OperationSpec
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.wire import chain
from pagetape.wire.chain import items_of, page_of
from stored import interaction, operation_model, request


def test_json_page_reads_tokens_and_items() -> None:
    page = chain.page(
        "personalize",
        interaction(
            "personalize", "ListBatchSegmentJobs",
            {"nextToken": "tok-1", "maxResults": 3},
            {"batchSegmentJobs": [{"jobName": "a"}, {"jobName": "b"}], "nextToken": "tok-2"},
        ),
    )  # fmt: skip
    assert page == chain.Page(asked=("tok-1",), given=("tok-2",), more=True, items=2)


def test_last_page_has_no_next_token_and_says_no_more() -> None:
    page = chain.page(
        "bedrock",
        interaction(
            "bedrock", "ListModelImportJobs", {"nextToken": "tok-1"},
            {"modelImportJobSummaries": []},
        ),
    )  # fmt: skip
    # rest-json: the asked token travels in the query string, and is read back by member.
    assert page is not None
    assert page.asked == ("tok-1",) and page.given == (None,)
    assert page.more is False and page.items == 0


def test_operation_without_a_botocore_paginator_reads_through_its_plugin_spec() -> None:
    # GetBatchPredictionJobs has no paginator in botocore; pagetape_aws describes it.
    assert chain.operation("frauddetector", "GetBatchPredictionJobs") is not None
    page = chain.page(
        "frauddetector",
        interaction(
            "frauddetector", "GetBatchPredictionJobs", {},
            {"batchPredictions": [{"jobId": "j1"}], "nextToken": "n1"},
        ),
    )  # fmt: skip
    assert page == chain.Page(asked=(None,), given=("n1",), more=True, items=1)


def test_more_results_false_ends_the_chain_even_with_a_token() -> None:
    # IAM answers a Marker beside IsTruncated; only IsTruncated says whether a page follows.
    def listed(truncated: bool) -> chain.Page | None:
        return chain.page(
            "iam",
            interaction(
                "iam", "ListRoles", {"Marker": "m1", "MaxItems": 2},
                {"Roles": [], "IsTruncated": truncated, "Marker": "m2"},
            ),
        )  # fmt: skip

    assert listed(True) == chain.Page(("m1",), ("m2",), True, 0)
    assert listed(False) == chain.Page(("m1",), ("m2",), False, 0)


def test_rest_xml_token_read_by_member_whatever_its_wire_name() -> None:
    # S3 sends ContinuationToken as `continuation-token` in the query.
    stored = interaction(
        "s3", "ListObjectsV2", {"Bucket": "bkt", "ContinuationToken": "ct-1", "MaxKeys": 3},
        {"Contents": [{"Key": "k1"}, {"Key": "k2"}], "IsTruncated": True,
         "NextContinuationToken": "ct-2"},
    )  # fmt: skip
    assert ("continuation-token", "ct-1") in stored.request.query
    assert chain.asked("s3", stored) == ("ct-1",)
    assert chain.page("s3", stored) == chain.Page(("ct-1",), ("ct-2",), True, 2)


def test_token_read_out_of_the_data() -> None:
    # S3 v1 without a NextMarker: the next marker is the last key (`Contents[-1].Key`).
    page = chain.page(
        "s3",
        interaction(
            "s3", "ListObjects", {"Bucket": "bkt", "Marker": "m0"},
            {"Contents": [{"Key": "k1"}, {"Key": "k2"}], "IsTruncated": True},
        ),
    )  # fmt: skip
    assert page == chain.Page(("m0",), ("k2",), True, 2)


def test_several_tokens_are_read_in_spec_order() -> None:
    page = chain.page(
        "s3",
        interaction(
            "s3", "ListObjectVersions", {"Bucket": "b", "KeyMarker": "k", "VersionIdMarker": "v"},
            {"Versions": [{"Key": "a"}], "IsTruncated": True, "NextKeyMarker": "k2",
             "NextVersionIdMarker": "v2"},
        ),
    )  # fmt: skip
    assert page == chain.Page(("k", "v"), ("k2", "v2"), True, 1)


def test_map_token_is_compared_as_sorted_json() -> None:
    start = {"sk": {"N": "2"}, "pk": {"S": "a"}}
    stored = interaction(
        "dynamodb", "Scan", {"TableName": "t", "ExclusiveStartKey": start},
        {"Items": [{"pk": {"S": "b"}}], "LastEvaluatedKey": {"pk": {"S": "b"}}},
    )  # fmt: skip
    page = chain.page("dynamodb", stored)
    assert page is not None and page.asked == (start,) and page.more
    # The same map in another key order is the same token.
    assert chain.asked("dynamodb", stored) == chain.key(({"pk": {"S": "a"}, "sk": {"N": "2"}},))


def test_error_response_names_its_code_and_ends_the_chain() -> None:
    page = chain.page(
        "personalize",
        interaction(
            "personalize", "ListBatchSegmentJobs", {"nextToken": "tok-1"},
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, status=400,
        ),
    )  # fmt: skip
    assert page == chain.Page(("tok-1",), (None,), False, None, "ThrottlingException")


def test_unreadable_body_is_no_page_and_an_error_only_when_the_status_says_so() -> None:
    asked = request("personalize", "ListBatchSegmentJobs", {"nextToken": "tok-1"})
    ctype = {"Content-Type": "application/x-amz-json-1.1"}

    def garbled(status: int) -> chain.Page | None:
        return chain.page(
            "personalize",
            Interaction("ListBatchSegmentJobs", asked, Response(status, ctype, "not json {")),
        )

    assert garbled(500) == chain.Page(("tok-1",), (None,), False, None, "500")
    assert garbled(200) == chain.Page(("tok-1",), (None,), False, None, None)


def test_unknown_operation_has_no_chain_view() -> None:
    stored = Interaction("NoSuchOperation", Request("POST", "/"), Response(200))
    assert chain.operation("personalize", "NoSuchOperation") is None
    assert chain.operation("no-such-service", "ListThings") is None
    assert chain.page("personalize", stored) is None
    assert chain.asked("personalize", stored) == ()


def test_interaction_of_another_service_is_read_with_its_own_model() -> None:
    # A cassette of two services writes `service` on the interactions of the second one.
    stored = interaction(
        "personalize", "ListBatchSegmentJobs", {}, {"batchSegmentJobs": [], "nextToken": "t"}
    )
    stored.service = "personalize"
    assert chain.page("bedrock", stored) == chain.Page((None,), ("t",), True, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("abc", "abc"),
        (7, "7"),
        (True, "true"),
        (False, "false"),
        ({"b": 1, "a": [2, 3]}, '{"a":[2,3],"b":1}'),
        ({"t": datetime(2024, 1, 2, tzinfo=timezone.utc)}, '{"t":"2024-01-02T00:00:00+00:00"}'),
    ],
)
def test_canonical_forms(value: object, expected: str | None) -> None:
    assert chain.canonical(value) == expected


def test_page_of_parsed_response_counts_only_the_primary_result_key() -> None:
    found = chain.operation("s3", "ListObjectsV2")
    assert found is not None
    page = chain.page_of(
        found[1],
        ("ct-1",),
        {"Contents": [{"Key": "a"}], "CommonPrefixes": [{"Prefix": "p/"}, {"Prefix": "q/"}],
         "IsTruncated": False, "NextContinuationToken": "ct-2"},
    )  # fmt: skip
    assert page == chain.Page(("ct-1",), ("ct-2",), False, 1)


def test_member_at_follows_the_model_through_lists() -> None:
    kinesis = operation_model("kinesis", "DescribeStream").output_shape
    name, shape = chain.member_at(kinesis, "StreamDescription.Shards[-1].ShardId")
    assert name == "ShardId" and shape is not None and shape.type_name == "string"
    s3 = operation_model("s3", "ListObjects").output_shape
    name, shape = chain.member_at(s3, "Contents[-1].Key")
    assert name == "Key" and shape is not None and shape.name == "ObjectKey"
    # Where the model does not say, the name is still given, without a shape.
    assert chain.member_at(s3, "NoSuchMember.Key") == ("NoSuchMember", None)
    assert chain.member_at(None, "Anything.Else") == ("Anything", None)


# -- items and pages as record, show and `pagetape replay` count them ------------------------

S3_V1 = OperationSpec(
    operation="ListObjects",
    result_key=["Contents", "CommonPrefixes"],
    input_token=["Marker"],
    output_token=["NextMarker || Contents[-1].Key"],
    limit_key="MaxKeys",
    more_results="IsTruncated",
)
LOGS = OperationSpec(
    operation="FilterLogEvents", result_key=["events", "searchedLogStreams"], limit_key="limit"
)


def test_items_are_those_of_the_primary_result_key() -> None:
    """What record, show, the metadata and `pagetape replay` count: FilterLogEvents' events, not
    the log streams it searched (the moto round trip pins 7 events, not 10)."""
    data = {"events": [{"message": "a"}, {"message": "b"}], "searchedLogStreams": [{}, {}, {}]}
    assert items_of(LOGS, {**data, "nextToken": "t"}) == [{"message": "a"}, {"message": "b"}]
    page = page_of(LOGS, ("t0",), {**data, "nextToken": "t1"})
    assert (page.asked, page.given, page.more, page.items) == (("t0",), ("t1",), True, 2)


def test_a_token_read_out_of_the_data_and_a_false_more_results() -> None:
    data = {"Contents": [{"Key": "a/1"}, {"Key": "a/2"}], "CommonPrefixes": [{"Prefix": "b/"}]}
    page = page_of(S3_V1, ("m",), {**data, "IsTruncated": True})
    assert (page.given, page.more, page.items) == (("a/2",), True, 2)
    last = page_of(S3_V1, (), {"Contents": [{"Key": "z"}], "IsTruncated": False})
    assert last.given == ("z",) and not last.more and last.items == 1


def test_no_list_under_the_key_counts_none_and_an_empty_key_is_skipped() -> None:
    # What `pagetape replay` walks for an imported cassette without a known spec.
    spec = OperationSpec(operation="ListThings", result_key=[""])
    page = page_of(spec, (), {"nextToken": "t2", "Things": [1, 2]})
    assert page.items is None and page.more and page.given == ("t2",)
    assert items_of(S3_V1, {"Contents": "not a list", "CommonPrefixes": [1]}) is None
    assert not page_of(spec, (), {"nextToken": ""}).more  # an empty token ends the chain
