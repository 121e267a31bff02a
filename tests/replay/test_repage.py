"""Re-paging (pagetape.replay.repage): a recorded chain's items served at whatever page size the
code asks for, linked by pagetape's own tokens, with the chain's end said the way the operation
says it. Requests are the ones real boto3 clients serialize; a real botocore paginator walks the
re-paged chain."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.validate import validate_parameters

from pagetape.aws.isolation import isolated_environment
from pagetape.aws.specs import OperationSpec, resolve
from pagetape.errors import ReplayMissError
from pagetape.replay import repage
from stored import operation_model

JOBS = [{"jobName": f"job-{i}", "status": "ACTIVE"} for i in range(7)]


def _spec(service: str, operation: str) -> OperationSpec:
    return resolve(service, operation).spec


def _recorded() -> list[dict[str, Any]]:
    """Three recorded pages of personalize ListBatchSegmentJobs (3 + 3 + 1 items)."""
    meta = {"HTTPStatusCode": 200, "RetryAttempts": 0}
    return [
        {"batchSegmentJobs": JOBS[0:3], "nextToken": "real-1", "ResponseMetadata": meta},
        {"batchSegmentJobs": JOBS[3:6], "nextToken": "real-2", "ResponseMetadata": meta},
        {"batchSegmentJobs": JOBS[6:], "ResponseMetadata": meta},
    ]


def _walk(chain: repage.Chain, size: int | None) -> list[dict[str, Any]]:
    pages = []
    asked: dict[str, Any] = {} if size is None else {"maxResults": size}
    while True:
        out = repage.page(chain, asked)
        pages.append(out)
        if "nextToken" not in out:
            return pages
        asked = {**asked, "nextToken": out["nextToken"]}
        assert len(pages) <= len(JOBS) + 1, "the re-paged chain does not end"


def test_flatten_keeps_every_item_in_order() -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    assert chain.items == JOBS


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50])
def test_any_page_size_serves_every_item_once_in_order(size: int) -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    pages = _walk(chain, size)
    assert [item for p in pages for item in p["batchSegmentJobs"]] == JOBS
    assert len(pages) == math.ceil(len(JOBS) / size)
    assert all(len(p["batchSegmentJobs"]) == size for p in pages[:-1])


def test_tokens_are_pagetapes_own_and_the_recorded_ones_are_gone() -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    pages = _walk(chain, 2)
    tokens = [p["nextToken"] for p in pages[:-1]]
    assert tokens == [f"{repage.TOKEN_PREFIX}{n}" for n in (2, 4, 6)]
    # The template's other members (ResponseMetadata) come with every page.
    assert all(p["ResponseMetadata"]["HTTPStatusCode"] == 200 for p in pages)


def test_a_token_the_tape_did_not_give_is_a_miss() -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    with pytest.raises(ReplayMissError, match="real-1"):
        repage.page(chain, {"nextToken": "real-1", "maxResults": 2})


def test_a_malformed_pagetape_token_is_a_miss() -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    with pytest.raises(ReplayMissError):
        repage.page(chain, {"nextToken": f"{repage.TOKEN_PREFIX}x"})


def test_without_a_page_size_the_operation_default_applies() -> None:
    # ListBatchSegmentJobs' model default is 100: all seven in one page.
    spec = _spec("personalize", "ListBatchSegmentJobs")
    assert spec.page_size_default == 100
    [only] = _walk(repage.flatten(spec, _recorded()), None)
    assert only["batchSegmentJobs"] == JOBS and "nextToken" not in only
    # With no default either, one page holds everything recorded.
    bedrock = _spec("bedrock", "ListModelImportJobs")
    assert bedrock.page_size_default is None
    flat = repage.flatten(bedrock, [{"modelImportJobSummaries": JOBS[:5], "nextToken": "x"}])
    assert len(repage.page(flat, {})["modelImportJobSummaries"]) == 5


def test_served_pages_are_copies() -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    first = repage.page(chain, {"maxResults": 2})
    first["batchSegmentJobs"][0]["jobName"] = "changed by the code under test"
    first["ResponseMetadata"]["HTTPStatusCode"] = 500
    again = repage.page(chain, {"maxResults": 2})
    assert again["batchSegmentJobs"][0]["jobName"] == "job-0"
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_more_results_flag_and_secondary_lists_follow_the_cut() -> None:
    spec = _spec("s3", "ListObjectsV2")
    recorded = [
        {"Contents": [{"Key": "a"}, {"Key": "b"}], "CommonPrefixes": [{"Prefix": "p/"}],
         "IsTruncated": True, "NextContinuationToken": "ct"},
        {"Contents": [{"Key": "c"}], "IsTruncated": False},
    ]  # fmt: skip
    chain = repage.flatten(spec, recorded)
    first = repage.page(chain, {"MaxKeys": "2"})  # rest-xml query values arrive as text
    assert first["IsTruncated"] is True and first["CommonPrefixes"] == [{"Prefix": "p/"}]
    last = repage.page(chain, {"MaxKeys": "2", "ContinuationToken": first["NextContinuationToken"]})
    assert last["Contents"] == [{"Key": "c"}]
    assert last["IsTruncated"] is False and "NextContinuationToken" not in last
    assert "CommonPrefixes" not in last  # they came with the first page only


@pytest.mark.parametrize(
    ("service", "operation", "reason"),
    [
        ("s3", "ListObjects", "read out of the data"),  # NextMarker || Contents[-1].Key
        ("s3", "ListObjectVersions", "read out of the data"),  # two tokens
        ("athena", "GetQueryResults", "not a list"),  # result key ResultSet.Rows
    ],
)
def test_chains_it_cannot_cut_are_refused_with_a_reason(
    service: str, operation: str, reason: str
) -> None:
    with pytest.raises(ReplayMissError, match=f"{operation}.*{reason}"):
        repage.flatten(_spec(service, operation), [{}])


@contextlib.contextmanager
def _answering(service: str, answer: Any) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """A real boto3 client whose calls ANSWER(model, params) serves at `before-call`, and the
    members each request was read as."""
    asked: list[dict[str, Any]] = []

    def serve(model: Any = None, params: Any = None, **_: Any) -> Any:
        members = repage.asked_members(operation_model(service, model.name), params)
        asked.append(members)
        return AWSResponse(None, 200, HeadersDict({}), None), answer(members)

    with isolated_environment("us-east-1"):
        client = boto3.client(service)
        client.meta.events.register("before-call", serve)
        yield client, asked


@pytest.mark.parametrize("size", [1, 3])
def test_a_real_paginator_walks_the_re_paged_chain(size: int) -> None:
    chain = repage.flatten(_spec("personalize", "ListBatchSegmentJobs"), _recorded())
    with _answering("personalize", lambda m: repage.page(chain, m)) as (client, asked):
        paginator = client.get_paginator("list_batch_segment_jobs")
        pages = list(paginator.paginate(PaginationConfig={"PageSize": size}))
    assert [j for p in pages for j in p["batchSegmentJobs"]] == JOBS
    assert len(pages) == math.ceil(len(JOBS) / size)
    assert [a.get("maxResults") for a in asked] == [size] * len(pages)


def test_a_real_s3_paginator_walks_the_re_paged_chain_to_is_truncated_false() -> None:
    keys = [{"Key": f"k{i}"} for i in range(5)]
    chain = repage.flatten(_spec("s3", "ListObjectsV2"), [{"Contents": keys, "IsTruncated": False}])
    with _answering("s3", lambda m: repage.page(chain, m)) as (client, asked):
        pages = list(
            client.get_paginator("list_objects_v2").paginate(
                Bucket="my-bucket", PaginationConfig={"PageSize": 2}
            )
        )
    assert [p["Contents"] for p in pages] == [keys[0:2], keys[2:4], keys[4:]]
    # The published model reads the bucket back from the path (the client's loses /{Bucket}),
    # the token from S3's `continuation-token` query parameter.
    assert [a["Bucket"] for a in asked] == ["my-bucket"] * 3
    assert [a.get("ContinuationToken") for a in asked] == [
        None,
        "pagetape-repage-2",
        "pagetape-repage-4",
    ]


@pytest.mark.parametrize(
    ("service", "method", "kwargs", "expected"),
    [
        ("personalize", "list_batch_segment_jobs", {"nextToken": "t", "maxResults": 2},
         {"nextToken": "t", "maxResults": 2}),
        ("bedrock", "list_model_import_jobs", {"nextToken": "t", "maxResults": 2},
         {"nextToken": "t", "maxResults": "2"}),
        ("iam", "list_roles", {"Marker": "m", "MaxItems": 3}, {"Marker": "m", "MaxItems": "3"}),
        ("ec2", "describe_instances",
         {"Filters": [{"Name": "tag:team", "Values": ["a", "b"]}], "MaxResults": 5},
         {"Filters": [{"Name": "tag:team", "Values": ["a", "b"]}], "MaxResults": "5"}),
        ("dynamodb", "scan", {"TableName": "t", "Limit": 3, "ExclusiveStartKey": {"k": {"S": "v"}}},
         {"TableName": "t", "Limit": 3, "ExclusiveStartKey": {"k": {"S": "v"}}}),
    ],
)  # fmt: skip
def test_asked_members_reads_what_botocore_serialized(
    service: str, method: str, kwargs: dict[str, Any], expected: dict[str, Any]
) -> None:
    with _answering(service, lambda m: {}) as (client, asked):
        getattr(client, method)(**kwargs)
    assert asked == [expected]


def _non_string_tokens() -> list[tuple[str, str, str]]:
    """Every botocore paginator whose input token is not a string, from the conformance
    sweep's catalogue of paginators."""
    from conformance import synth

    found = []
    for service, name in synth.catalogue():
        tokens = synth.paginators(service)[name]["input_token"]
        shape = synth.session().get_service_model(service).operation_model(name).input_shape
        for token in [tokens] if isinstance(tokens, str) else tokens:
            member = shape.members.get(token) if shape is not None else None
            if member is not None and member.type_name != "string":
                found.append((service, name, token))
    return found


def _validate(shape: Any, value: Any) -> None:
    """botocore's own parameter validation of VALUE as member `Token` of SHAPE."""
    validate_parameters({"Token": value}, shape)


def _holder(member: dict[str, Any], shapes: dict[str, Any]) -> Any:
    """A real botocore structure shape with one member `Token` of the given definition."""
    from botocore.model import ShapeResolver

    resolver = ShapeResolver(
        {"Holder": {"type": "structure", "members": {"Token": member}}, **shapes}
    )
    return resolver.get_shape_by_name("Holder")


def test_every_non_string_paginator_token_is_faked_in_its_own_shape() -> None:
    tokens = _non_string_tokens()
    # botocore 1.44: DynamoDB Query and Scan (maps of AttributeValue), S3 ListParts (integer).
    assert {("dynamodb", "Scan"), ("s3", "ListParts")} <= {(s, o) for s, o, _ in tokens}
    for service, operation, token in tokens:
        op = operation_model(service, operation)
        output = op.output_shape.members[_spec(service, operation).output_token[0]]
        # The output token goes back as the input token: botocore validates the request.
        required = {m: "x" for m in op.input_shape.required_members}
        for offset in (1, 37):
            fake = repage.fake_token(output, offset)
            validate_parameters({**required, token: fake}, op.input_shape)
            wire = json.loads(json.dumps(fake))  # as a JSON body brings it back
            numeric = output.type_name in ("integer", "long")
            assert repage.token_offset(wire, numeric) == offset
            assert repage.token_offset(str(wire) if numeric else wire, numeric) == offset


@pytest.mark.parametrize(
    ("member", "shapes"),
    [
        ({"shape": "Key"}, {"Key": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}}}),
        ({"shape": "Cursor"}, {"Cursor": {"type": "structure", "required": ["Shard", "Seq"],
          "members": {"Shard": {"shape": "S"}, "Seq": {"shape": "L"}, "At": {"shape": "T"}}}}),
        ({"shape": "Union"}, {"Union": {"type": "structure", "union": True,
          "members": {"n": {"shape": "L"}, "s": {"shape": "S"}}}}),
        ({"shape": "Path"}, {"Path": {"type": "list", "member": {"shape": "S"}}}),
        ({"shape": "L"}, {}),
        ({"shape": "D"}, {}),
    ],
)  # fmt: skip
def test_tokens_of_any_shape_validate_and_read_back(
    member: dict[str, Any], shapes: dict[str, Any]
) -> None:
    base = {"S": {"type": "string"}, "L": {"type": "long"}, "T": {"type": "timestamp"},
            "D": {"type": "double"}}  # fmt: skip
    holder = _holder(member, {**base, **shapes})
    shape = holder.members["Token"]
    for offset in (2, 40):
        fake = repage.fake_token(shape, offset)
        _validate(holder, fake)
        assert repage.token_offset(json.loads(json.dumps(fake))) == offset


def test_a_token_of_another_shape_the_tape_did_not_give_is_a_miss() -> None:
    op = operation_model("dynamodb", "Scan")
    items = [{"pk": {"S": f"k{i}"}} for i in range(5)]
    pages = [{"Items": items[:2], "Count": 2, "LastEvaluatedKey": items[1]},
             {"Items": items[2:], "Count": 3}]  # fmt: skip
    chain = repage.flatten(_spec("dynamodb", "Scan"), pages, op)
    first = repage.page(chain, {"TableName": "t", "Limit": 2})
    assert first["Count"] == 2 and isinstance(first["LastEvaluatedKey"], dict)
    second = repage.page(chain, {"Limit": 2, "ExclusiveStartKey": first["LastEvaluatedKey"]})
    assert second["Items"] == items[2:4] and second["Count"] == 2
    with pytest.raises(ReplayMissError, match="not a token this tape gave out"):
        repage.page(chain, {"Limit": 2, "ExclusiveStartKey": {"pk": {"S": "k1"}}})


def test_each_re_paged_page_names_the_recorded_pages_it_draws_on() -> None:
    """`.calls` numbers a re-paged request after its recorded page; a recorded page with no
    items belongs to the request that reaches it, so a full walk requests every one."""
    spec = _spec("personalize", "ListBatchSegmentJobs")
    recorded = [{"batchSegmentJobs": JOBS[:2]}, {"batchSegmentJobs": []},
                {"batchSegmentJobs": JOBS[2:5]}, {"batchSegmentJobs": []}]  # fmt: skip
    chain = repage.flatten(spec, recorded)
    assert [repage.served_pages(chain, o, 2) for o in (0, 2, 4)] == [[0], [1, 2], [2, 3]]
    assert repage.served_pages(chain, 0, 10) == [0, 1, 2, 3]
    assert repage.served_pages(chain, 1, 1) == [0]
