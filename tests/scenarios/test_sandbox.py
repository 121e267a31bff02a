"""The embedded sandbox must be indistinguishable from AWS for an unmodified boto3 client.

Everything here goes over real HTTP with real boto3 clients (or raw http.client when the
exact bytes matter), so the wire formats are checked by botocore's own parsers.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import random
import re
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import boto3
import botocore
import botocore.session
import pytest
from botocore import parsers, xform_name
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from pagetape.sandbox import Faults, Sandbox, SandboxAccount, build_account
from pagetape.sandbox.data import parse_iso8601

FRAUD = ("frauddetector", "GetBatchPredictionJobs")
SEGMENTS = ("personalize", "ListBatchSegmentJobs")
DELETIONS = ("personalize", "ListDataDeletionJobs")
AUDIENCES = ("cleanroomsml", "ListAudienceGenerationJobs")
IMPORTS = ("bedrock", "ListModelImportJobs")
OPS = [FRAUD, SEGMENTS, DELETIONS, AUDIENCES, IMPORTS]
IDS = [op for _, op in OPS]

LIST_KEY = {
    FRAUD: "batchPredictions",
    SEGMENTS: "batchSegmentJobs",
    DELETIONS: "dataDeletionJobs",
    AUDIENCES: "audienceGenerationJobs",
    IMPORTS: "modelImportJobSummaries",
}
SIZE = {FRAUD: 23, SEGMENTS: 31, DELETIONS: 19, AUDIENCES: 27, IMPORTS: 26}
PAGE = {FRAUD: 5, SEGMENTS: 7, DELETIONS: 4, AUDIENCES: 6, IMPORTS: 5}
MAX_PAGE = {FRAUD: 50, SEGMENTS: 100, DELETIONS: 100, AUDIENCES: 100, IMPORTS: 1000}
VALIDATION = {
    FRAUD: "ValidationException",
    SEGMENTS: "InvalidInputException",
    DELETIONS: "InvalidInputException",
    AUDIENCES: "ValidationException",
    IMPORTS: "ValidationException",
}
TOKEN_ERROR = {
    FRAUD: "ValidationException",
    SEGMENTS: "InvalidNextTokenException",
    DELETIONS: "InvalidNextTokenException",
    AUDIENCES: "ValidationException",
    IMPORTS: "ValidationException",
}
JSON_TARGET = {
    FRAUD: "AWSHawksNestServiceFacade.GetBatchPredictionJobs",
    SEGMENTS: "AmazonPersonalize.ListBatchSegmentJobs",
    DELETIONS: "AmazonPersonalize.ListDataDeletionJobs",
}
REST_PATH = {AUDIENCES: "/audience-generation-job", IMPORTS: "/model-import-jobs"}
KEY = "AKIASANDBOXTESTKEY01"
DENIED_KEY = "AKIADENIEDTESTKEY001"

BOTOCORE = botocore.session.get_session()
SESSION = boto3.Session(botocore_session=BOTOCORE)
_CLIENTS: dict[tuple[Any, ...], Any] = {}


def client(
    sb: Sandbox,
    service: str,
    *,
    key: str = KEY,
    attempts: int = 1,
    unsigned: bool = False,
    validate: bool = True,
) -> Any:
    """Cached boto3 client; creating clients is the slowest thing in this file."""
    cache_key = (sb.endpoint_url, service, key, attempts, unsigned, validate)
    if cache_key not in _CLIENTS:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            parameter_validation=validate,
            signature_version=botocore.UNSIGNED if unsigned else None,
        )
        _CLIENTS[cache_key] = SESSION.client(
            service,
            endpoint_url=sb.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key="sandbox-secret",
            config=config,
        )
    return _CLIENTS[cache_key]


def call(sb: Sandbox, op: tuple[str, str], **params: Any) -> dict[str, Any]:
    return dict(getattr(client(sb, op[0]), xform_name(op[1]))(**params))


def chain(
    c: Any, op: tuple[str, str], params: dict[str, Any], page: int
) -> tuple[list[dict[str, Any]], int, list[str]]:
    """Follow nextToken to the end; return items, page count and the tokens seen."""
    method = getattr(c, xform_name(op[1]))
    items: list[dict[str, Any]] = []
    tokens: list[str] = []
    pages = 0
    token = None
    while True:
        kwargs = dict(params, maxResults=page)
        if token is not None:
            kwargs["nextToken"] = token
        response = method(**kwargs)
        pages += 1
        items.extend(response[LIST_KEY[op]])
        token = response.get("nextToken")
        if token is None:
            return items, pages, tokens
        tokens.append(token)
        assert pages < 1000


def parsed(op: tuple[str, str], wire_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run wire-JSON items through botocore's own parser, as boto3 would see them."""
    model = BOTOCORE.get_service_model(op[0])
    operation = model.operation_model(op[1])
    parser = parsers.create_parser(model.metadata["protocol"])
    body = json.dumps({LIST_KEY[op]: wire_items}).encode()
    result = parser.parse({"body": body, "headers": {}, "status_code": 200}, operation.output_shape)
    return list(result[LIST_KEY[op]])


def raw(
    sb: Sandbox,
    op: tuple[str, str],
    params: dict[str, Any] | None = None,
    *,
    auth: str | None = f"AWS4-HMAC-SHA256 Credential={KEY}/20240501/us-east-1/x/aws4_request, "
    "SignedHeaders=host, Signature=00",
) -> tuple[int, dict[str, str], bytes]:
    """Send one request by hand, to see exact status, headers and bytes."""
    params = params or {}
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=5)
    headers = {} if auth is None else {"Authorization": auth}
    try:
        if op in JSON_TARGET:
            headers["X-Amz-Target"] = JSON_TARGET[op]
            headers["Content-Type"] = "application/x-amz-json-1.1"
            conn.request("POST", "/", body=json.dumps(params).encode(), headers=headers)
        else:
            query = urlencode({k: str(v) for k, v in params.items()})
            conn.request("GET", f"{REST_PATH[op]}?{query}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], response["Error"]["Message"], status


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def account(sandbox: Sandbox) -> SandboxAccount:
    return sandbox.account


# ------------------------------------------------------------------------------ chains


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_full_chain_with_small_pages(sandbox: Sandbox, op: tuple[str, str]) -> None:
    items, pages, tokens = chain(client(sandbox, op[0]), op, {}, PAGE[op])
    expected = sandbox.account.expected_items(*op, {})
    assert len(expected) == SIZE[op]
    assert items == parsed(op, expected)
    assert pages == math.ceil(SIZE[op] / PAGE[op]) >= 3
    assert len(set(tokens)) == len(tokens)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_wire_items_equal_expected_items_exactly(sandbox: Sandbox, op: tuple[str, str]) -> None:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"maxResults": PAGE[op]}
    while True:
        status, headers, body = raw(sandbox, op, params)
        assert status == 200
        assert headers["content-length"] == str(len(body))
        want = "application/x-amz-json-1.1" if op in JSON_TARGET else "application/json"
        assert headers["content-type"] == want
        data = json.loads(body)
        items.extend(data[LIST_KEY[op]])
        if "nextToken" not in data:
            break
        params["nextToken"] = data["nextToken"]
    assert items == sandbox.account.expected_items(*op, {})


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_default_page_size_returns_everything(sandbox: Sandbox, op: tuple[str, str]) -> None:
    response = call(sandbox, op)
    assert len(response[LIST_KEY[op]]) == SIZE[op]
    assert "nextToken" not in response


@pytest.mark.parametrize("op", [SEGMENTS, AUDIENCES, IMPORTS], ids=lambda op: op[1])
def test_boto3_paginators_work(sandbox: Sandbox, op: tuple[str, str]) -> None:
    paginator = client(sandbox, op[0]).get_paginator(xform_name(op[1]))
    pages = list(paginator.paginate(PaginationConfig={"PageSize": PAGE[op]}))
    items = [item for page in pages for item in page[LIST_KEY[op]]]
    assert items == parsed(op, sandbox.account.expected_items(*op))
    assert len(pages) == math.ceil(SIZE[op] / PAGE[op])


def test_page_size_equal_to_total_has_no_trailing_token(sandbox: Sandbox) -> None:
    response = call(sandbox, FRAUD, maxResults=23)
    assert len(response["batchPredictions"]) == 23
    assert "nextToken" not in response
    first = call(sandbox, DELETIONS, maxResults=18)
    last = call(sandbox, DELETIONS, maxResults=18, nextToken=first["nextToken"])
    assert len(last["dataDeletionJobs"]) == 1
    assert "nextToken" not in last


# ------------------------------------------------------------------------------ filters


def test_fraud_job_id_filter(sandbox: Sandbox, account: SandboxAccount) -> None:
    everything = account.expected_items(*FRAUD)
    for job in (everything[0], everything[11], everything[-1]):
        got = call(sandbox, FRAUD, jobId=job["jobId"])
        assert got["batchPredictions"] == parsed(FRAUD, [job])
        assert account.expected_items(*FRAUD, {"jobId": job["jobId"]}) == [job]
        assert "nextToken" not in got


def test_fraud_unknown_job_id_is_resource_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, FRAUD, jobId="no-such-job-0001")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert "no-such-job-0001" in message


def test_fraud_malformed_job_id_is_validation_error(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, FRAUD, jobId="Bad Job")
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'Bad Job' at 'jobId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[0-9a-z_-]+$"
    )


def test_segment_jobs_by_solution_version(sandbox: Sandbox, account: SandboxAccount) -> None:
    counts = []
    for arn in account.solution_version_arns:
        expected = account.expected_items(*SEGMENTS, {"solutionVersionArn": arn})
        assert expected and all(item["solutionVersionArn"] == arn for item in expected)
        items, pages, _ = chain(
            client(sandbox, "personalize"), SEGMENTS, {"solutionVersionArn": arn}, 3
        )
        assert items == parsed(SEGMENTS, expected)
        assert pages == math.ceil(len(expected) / 3)
        counts.append(len(expected))
    assert sorted(counts) == [7, 11, 13]
    unknown = account.solution_version_arns[0][:-8] + "00000000"
    assert call(sandbox, SEGMENTS, solutionVersionArn=unknown)["batchSegmentJobs"] == []


def test_deletion_jobs_by_dataset_group(sandbox: Sandbox, account: SandboxAccount) -> None:
    counts = []
    for arn in account.dataset_group_arns:
        expected = account.expected_items(*DELETIONS, {"datasetGroupArn": arn})
        items, _, _ = chain(client(sandbox, "personalize"), DELETIONS, {"datasetGroupArn": arn}, 4)
        assert items == parsed(DELETIONS, expected)
        created = [item["creationDateTime"] for item in items]
        assert created == sorted(created, reverse=True)  # most recent first
        counts.append(len(items))
    assert sorted(counts) == [8, 11]
    unknown = account.dataset_group_arns[0] + "-archived"
    assert call(sandbox, DELETIONS, datasetGroupArn=unknown)["dataDeletionJobs"] == []


def test_personalize_malformed_arn_is_invalid_input(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, SEGMENTS, solutionVersionArn="not-an-arn")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidInputException", 400)
    assert "at 'solutionVersionArn'" in message


def test_audience_jobs_filters_combine(sandbox: Sandbox, account: SandboxAccount) -> None:
    c = client(sandbox, "cleanroomsml")
    everything = account.expected_items(*AUDIENCES)
    by_collab = []
    for collab in account.collaboration_ids:
        items, _, _ = chain(c, AUDIENCES, {"collaborationId": collab}, 4)
        want = [i for i in everything if i["collaborationId"] == collab]
        assert items == parsed(AUDIENCES, want)
        by_collab.append(len(items))
    assert sorted(by_collab) == [13, 14]
    by_model = []
    for model in account.configured_audience_model_arns:
        items, _, _ = chain(c, AUDIENCES, {"configuredAudienceModelArn": model}, 4)
        want = [i for i in everything if i["configuredAudienceModelArn"] == model]
        assert items == parsed(AUDIENCES, want)
        by_model.append(len(items))
    assert by_model == [8, 12, 7]
    combined = []
    for collab in account.collaboration_ids:
        for model in account.configured_audience_model_arns:
            params = {"collaborationId": collab, "configuredAudienceModelArn": model}
            items, _, _ = chain(c, AUDIENCES, params, 4)
            assert items == parsed(AUDIENCES, account.expected_items(*AUDIENCES, params))
            combined.append(len(items))
    assert combined == [8, 6, 0, 0, 6, 7]


def test_audience_malformed_collaboration_id(sandbox: Sandbox) -> None:
    with pytest.raises(ClientError) as excinfo:
        c = client(sandbox, "cleanroomsml", validate=False)  # botocore checks min length
        c.list_audience_generation_jobs(collaborationId="NOT-A-UUID")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert "Member must have length greater than or equal to 36" in message
    assert message.startswith("2 validation errors detected: ")


def test_import_jobs_status_filter(sandbox: Sandbox, account: SandboxAccount) -> None:
    counts = {}
    for status in ("InProgress", "Completed", "Failed"):
        items, _, _ = chain(client(sandbox, "bedrock"), IMPORTS, {"statusEquals": status}, 4)
        want = account.expected_items(*IMPORTS, {"statusEquals": status})
        assert items == parsed(IMPORTS, want)
        assert all(item["status"] == status for item in items)
        counts[status] = len(items)
    assert counts == {"InProgress": 5, "Completed": 16, "Failed": 5}
    completed = account.expected_items(*IMPORTS, {"statusEquals": "Completed"})
    assert all("importedModelArn" in i and "endTime" in i for i in completed)
    in_progress = account.expected_items(*IMPORTS, {"statusEquals": "InProgress"})
    assert not any("importedModelArn" in i or "endTime" in i for i in in_progress)


def test_import_jobs_name_contains_is_case_sensitive(
    sandbox: Sandbox, account: SandboxAccount
) -> None:
    names = [item["jobName"] for item in account.expected_items(*IMPORTS)]
    for needle in ("llama", "Llama", "mistral", "Mistral", names[3]):
        response = call(sandbox, IMPORTS, nameContains=needle)
        got = [item["jobName"] for item in response["modelImportJobSummaries"]]
        assert got == [name for name in names if needle in name]
    assert [
        item["jobName"]
        for item in call(sandbox, IMPORTS, nameContains=names[3])["modelImportJobSummaries"]
    ] == [names[3]]
    assert call(sandbox, IMPORTS, nameContains="zzz-nothing")["modelImportJobSummaries"] == []


def test_import_jobs_sort_order(sandbox: Sandbox, account: SandboxAccount) -> None:
    desc = account.expected_items(*IMPORTS)
    asc = account.expected_items(*IMPORTS, {"sortOrder": "Ascending", "sortBy": "CreationTime"})
    assert asc == list(reversed(desc))
    times = [parse_iso8601(item["creationTime"]) for item in desc]
    assert times == sorted(times, reverse=True)
    c = client(sandbox, "bedrock")
    items, _, _ = chain(c, IMPORTS, {"sortBy": "CreationTime", "sortOrder": "Ascending"}, 6)
    assert items == parsed(IMPORTS, asc)
    items, _, _ = chain(c, IMPORTS, {"sortOrder": "Descending"}, 6)
    assert items == parsed(IMPORTS, desc)


def test_import_jobs_creation_time_window_is_strict(
    sandbox: Sandbox, account: SandboxAccount
) -> None:
    desc = account.expected_items(*IMPORTS)
    newer = parse_iso8601(desc[5]["creationTime"])
    older = parse_iso8601(desc[20]["creationTime"])
    response = call(sandbox, IMPORTS, creationTimeAfter=older, creationTimeBefore=newer)
    assert response["modelImportJobSummaries"] == parsed(IMPORTS, desc[6:20])
    params = {"creationTimeAfter": older, "creationTimeBefore": newer, "statusEquals": "Completed"}
    items, _, _ = chain(client(sandbox, "bedrock"), IMPORTS, params, 2)
    want = [i for i in desc[6:20] if i["status"] == "Completed"]
    assert (
        items == parsed(IMPORTS, want) == parsed(IMPORTS, account.expected_items(*IMPORTS, params))
    )
    only_after = call(sandbox, IMPORTS, creationTimeAfter=newer)["modelImportJobSummaries"]
    assert only_after == parsed(IMPORTS, desc[:5])
    # second precision from a naive-looking string, as botocore sends it
    july = datetime(2024, 7, 1, tzinfo=timezone.utc)
    before_july = call(sandbox, IMPORTS, creationTimeBefore="2024-07-01T00:00:00Z")
    assert before_july["modelImportJobSummaries"] == parsed(
        IMPORTS, [i for i in desc if parse_iso8601(i["creationTime"]) < july]
    )


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_max_results_out_of_range(sandbox: Sandbox, op: tuple[str, str]) -> None:
    c = client(sandbox, op[0], validate=False)
    method = getattr(c, xform_name(op[1]))
    with pytest.raises(ClientError) as excinfo:
        method(maxResults=0)
    code, message, status = error_of(excinfo)
    assert (code, status) == (VALIDATION[op], 400)
    assert message == (
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    too_big = MAX_PAGE[op] + 1
    with pytest.raises(ClientError) as excinfo:
        method(maxResults=too_big)
    code, message, _ = error_of(excinfo)
    assert code == VALIDATION[op]
    assert message.endswith(f"Member must have value less than or equal to {MAX_PAGE[op]}")
    assert len(method(maxResults=MAX_PAGE[op])[LIST_KEY[op]]) == SIZE[op]


@pytest.mark.parametrize(
    ("param", "value"),
    [("statusEquals", "Running"), ("sortOrder", "Sideways"), ("sortBy", "Name")],
)
def test_bedrock_bad_enum(sandbox: Sandbox, param: str, value: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, IMPORTS, **{param: value})
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert f"Value '{value}' at '{param}'" in message
    assert "Member must satisfy enum value set: [" in message


def test_json_body_type_errors_are_serialization_exceptions(sandbox: Sandbox) -> None:
    status, _, body = raw(sandbox, FRAUD, {"maxResults": "five"})
    assert status == 400
    assert json.loads(body)["__type"] == "SerializationException"


# ------------------------------------------------------------------------------ tokens


def first_token(sb: Sandbox, op: tuple[str, str], **params: Any) -> str:
    token = call(sb, op, maxResults=2, **params)["nextToken"]
    assert isinstance(token, str)
    return token


def decode_payload(token: str) -> dict[str, Any]:
    payload = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_tampered_and_garbage_tokens_are_refused(sandbox: Sandbox, op: tuple[str, str]) -> None:
    token = first_token(sandbox, op)
    i = len(token) // 3
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    forged = (
        base64.urlsafe_b64encode(json.dumps(dict(decode_payload(token), offset=0)).encode())
        .decode()
        .rstrip("=")
        + "."
        + token.split(".")[1]
    )
    for bad in (tampered, forged, "garbage", token + "x", token.replace(".", "")):
        with pytest.raises(ClientError) as excinfo:
            call(sandbox, op, maxResults=2, nextToken=bad)
        code, message, status = error_of(excinfo)
        assert (code, message, status) == (TOKEN_ERROR[op], "Invalid pagination token", 400)


def test_token_from_another_operation_is_refused(sandbox: Sandbox) -> None:
    segments_token = first_token(sandbox, SEGMENTS)
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, DELETIONS, maxResults=2, nextToken=segments_token)
    assert error_of(excinfo)[0] == "InvalidNextTokenException"
    fraud_token = first_token(sandbox, FRAUD)
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, IMPORTS, maxResults=2, nextToken=fraud_token)
    assert error_of(excinfo)[0] == "ValidationException"


def test_token_reused_with_other_filters_is_refused(
    sandbox: Sandbox, account: SandboxAccount
) -> None:
    arns = account.solution_version_arns
    token = first_token(sandbox, SEGMENTS, solutionVersionArn=arns[0])
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, SEGMENTS, maxResults=2, nextToken=token, solutionVersionArn=arns[1])
    assert error_of(excinfo)[0] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, SEGMENTS, maxResults=2, nextToken=token)
    assert error_of(excinfo)[0] == "InvalidNextTokenException"
    token = first_token(sandbox, IMPORTS, statusEquals="Completed")
    with pytest.raises(ClientError) as excinfo:
        call(sandbox, IMPORTS, maxResults=2, nextToken=token, statusEquals="Failed")
    assert error_of(excinfo) == ("ValidationException", "Invalid pagination token", 400)
    # a different page size with the same filters is fine, as on AWS
    assert call(sandbox, IMPORTS, maxResults=3, nextToken=token, statusEquals="Completed")


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_tokens_embed_account_data_and_are_planted(sandbox: Sandbox, op: tuple[str, str]) -> None:
    token = first_token(sandbox, op)
    assert token == first_token(sandbox, op)  # deterministic
    payload = decode_payload(token)
    planted = sandbox.account.planted_values()
    assert payload["accountId"] == sandbox.account.account_id
    assert payload["bucket"] == sandbox.account.token_buckets[op]
    assert {payload["accountId"], payload["bucket"]} <= planted
    assert payload["offset"] == 2


# ------------------------------------------------------------------------------ auth and errors


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_unsigned_request_is_refused(sandbox: Sandbox, op: tuple[str, str]) -> None:
    c = client(sandbox, op[0], unsigned=True)
    with pytest.raises(ClientError) as excinfo:
        getattr(c, xform_name(op[1]))()
    code, message, status = error_of(excinfo)
    assert (code, message, status) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
        403,
    )


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_denied_access_key(sandbox: Sandbox, op: tuple[str, str]) -> None:
    c = client(sandbox, op[0], key=DENIED_KEY)
    with pytest.raises(ClientError) as excinfo:
        getattr(c, xform_name(op[1]))()
    code, message, status = error_of(excinfo)
    assert code == "AccessDeniedException"
    # json-1.1 services report client faults as 400 (see the frauddetector API page)
    assert status == (400 if op in JSON_TARGET else 403)
    assert f"is not authorized to perform: {op[0].replace('cleanroomsml', 'cleanrooms-ml')}:" in (
        message
    )
    assert sandbox.account.denied_principal_arn in message
    assert sandbox.account.denied_principal_arn in sandbox.account.planted_values()


def test_error_wire_formats(sandbox: Sandbox) -> None:
    status, headers, body = raw(sandbox, FRAUD, {"maxResults": 0})
    assert status == 400
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert set(json.loads(body)) == {"__type", "message"}
    assert json.loads(body)["__type"] == "ValidationException"
    status, headers, body = raw(sandbox, IMPORTS, {"maxResults": 0})
    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"
    assert set(json.loads(body)) == {"message"}
    status, headers, body = raw(sandbox, AUDIENCES, auth=None)
    assert status == 403
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    status, _, body = raw(sandbox, SEGMENTS, auth="Bearer abc")
    assert (status, json.loads(body)["__type"]) == (403, "MissingAuthenticationTokenException")


def test_unknown_operations(sandbox: Sandbox) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    auth = f"AWS4-HMAC-SHA256 Credential={KEY}/20240501/us-east-1/x/aws4_request"
    try:
        conn.request("GET", "/nope", headers={"Authorization": auth})
        response = conn.getresponse()
        response.read()
        assert response.status == 404
        assert response.getheader("x-amzn-ErrorType") == "UnknownOperationException"
        target = "AmazonPersonalize.ListSolutions"
        conn.request(
            "POST", "/", body=b"{}", headers={"Authorization": auth, "X-Amz-Target": target}
        )
        response = conn.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["__type"] == "UnknownOperationException"
    finally:
        conn.close()


# ------------------------------------------------------------------------------ faults


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def test_throttling_is_retried_and_changes_nothing(fresh: Sandbox) -> None:
    clean_fraud = chain(client(fresh, "frauddetector"), FRAUD, {}, 10)
    clean_imports = chain(client(fresh, "bedrock"), IMPORTS, {}, 10)
    fresh.faults.throttle_every = 3
    before = fresh.request_count
    fraud = chain(client(fresh, "frauddetector", attempts=3), FRAUD, {}, 10)
    imports = chain(client(fresh, "bedrock", attempts=3), IMPORTS, {}, 10)
    assert (fraud, imports) == (clean_fraud, clean_imports)  # same items, pages, tokens
    assert fresh.request_count - before == 3 + 3 + 2  # two throttled requests were retried


def test_throttling_wire_format(fresh: Sandbox) -> None:
    fresh.faults.throttle_every = 1
    for op in (FRAUD, AUDIENCES):
        with pytest.raises(ClientError) as excinfo:
            call(fresh, op)
        code, message, status = error_of(excinfo)
        assert (code, message) == ("ThrottlingException", "Rate exceeded")
        assert status == (400 if op in JSON_TARGET else 429)
    status, headers, body = raw(fresh, IMPORTS)
    assert (status, headers["x-amzn-errortype"]) == (429, "ThrottlingException")
    status, _, body = raw(fresh, SEGMENTS)
    assert (status, json.loads(body)["__type"]) == (400, "ThrottlingException")
    fresh.faults.throttle_every = None
    assert call(fresh, FRAUD)["batchPredictions"]


def test_internal_errors(fresh: Sandbox) -> None:
    fresh.faults = Faults(error_every=1)
    for op in (DELETIONS, IMPORTS):
        with pytest.raises(ClientError) as excinfo:
            call(fresh, op)
        code, _, status = error_of(excinfo)
        assert (code, status) == ("InternalServerException", 500)
    # the next request fails once, its retry succeeds
    fresh.faults.error_every = fresh.request_count + 1
    response = client(fresh, "personalize", attempts=2).list_data_deletion_jobs()
    assert len(response["dataDeletionJobs"]) == 19
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_fail_after_closes_connections(fresh: Sandbox) -> None:
    fresh.faults.fail_after = fresh.answered_count + 2
    c = client(fresh, "cleanroomsml")
    first = c.list_audience_generation_jobs(maxResults=5)
    c.list_audience_generation_jobs(maxResults=5, nextToken=first["nextToken"])
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        c.list_audience_generation_jobs(maxResults=5, nextToken=first["nextToken"])
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        call(fresh, FRAUD)
    fresh.faults.fail_after = None
    assert call(fresh, FRAUD)["batchPredictions"]


def test_server_is_quiet(fresh: Sandbox, capfd: pytest.CaptureFixture[str]) -> None:
    before = set(threading.enumerate())
    raw(fresh, FRAUD)
    raw(fresh, IMPORTS, auth=None)
    fresh.faults.fail_after = 0
    with pytest.raises(http.client.RemoteDisconnected):
        raw(fresh, SEGMENTS)
    conn = http.client.HTTPConnection("127.0.0.1", fresh.port, timeout=5)
    conn.request("OPTIONS", "/")
    conn.getresponse().read()
    conn.close()
    fresh.stop()  # cuts every connection, so each handler thread of this test ends
    for handler in set(threading.enumerate()) - before:
        handler.join(timeout=60)  # a safety net for a broken run, not a timed assertion
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


# ------------------------------------------------------------------------------ data quality


def _check_value(path: str, shape: Any, value: Any) -> None:
    meta = shape.metadata
    if shape.type_name == "string":
        assert isinstance(value, str), path
        if "enum" in meta:
            assert value in meta["enum"], path
        if "min" in meta:
            assert len(value) >= meta["min"], (path, value)
        if "max" in meta:
            assert len(value) <= meta["max"], (path, value)
        if "pattern" in meta:
            try:
                pattern = re.compile(meta["pattern"])
            except re.error:
                return  # e.g. \p{ASCII}: a Java-only construct
            assert pattern.fullmatch(value), (path, value, meta["pattern"])
    elif shape.type_name == "integer":
        assert isinstance(value, int) and value >= 0, path
    elif shape.type_name == "timestamp":
        if shape.serialization.get("timestampFormat") == "iso8601" or isinstance(value, str):
            assert isinstance(value, str) and value.endswith("Z"), path
            parse_iso8601(value)
        else:
            assert isinstance(value, float), path
    else:
        raise AssertionError(f"unexpected shape {shape.type_name} at {path}")


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_field_satisfies_the_botocore_model(
    account: SandboxAccount, op: tuple[str, str]
) -> None:
    output = BOTOCORE.get_service_model(op[0]).operation_model(op[1]).output_shape
    member = output.members[LIST_KEY[op]].member
    seen: set[str] = set()
    for i, item in enumerate(account.expected_items(*op)):
        assert set(member.required_members) <= set(item), i
        for name, value in item.items():
            assert name in member.members, name
            _check_value(f"{op[1]}[{i}].{name}", member.members[name], value)
            seen.add(name)
    assert seen == set(member.members)  # every field kind appears somewhere


def test_optional_fields_follow_status(account: SandboxAccount) -> None:
    for job in account.expected_items(*FRAUD):
        assert ("completionTime" in job) == (job["status"] in {"COMPLETE", "FAILED", "CANCELED"})
        if job["status"] == "FAILED":
            assert job["failureReason"]
    for op in (SEGMENTS, DELETIONS):
        for job in account.expected_items(*op):
            assert ("failureReason" in job) == (job["status"] == "CREATE FAILED")
    audiences = account.expected_items(*AUDIENCES)
    assert 0 < sum("description" in job for job in audiences) < len(audiences)
    started_by = {job["startedBy"] for job in audiences}
    assert started_by == {account.account_id, account.collaborator_account_id}


_TEXT_FINDERS = [
    re.compile(r"arn:aws[^\s]*"),
    re.compile(r"s3://[^\s]*"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    re.compile(r"\bAKIA[A-Z0-9]{16}\b"),
    re.compile(r"\b\d{12}\b"),
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
]
_NOT_SENSITIVE = {"status", "detectorVersion"}
_FREE_TEXT = {"failureReason", "description"}


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_planted_values_cover_every_sensitive_value(
    account: SandboxAccount, op: tuple[str, str]
) -> None:
    planted = account.planted_values()
    kinds: set[str] = set()
    for item in account.expected_items(*op):
        for name, value in item.items():
            if not isinstance(value, str) or name in _NOT_SENSITIVE or "Time" in name:
                continue
            if name in _FREE_TEXT:
                for finder in _TEXT_FINDERS:
                    for found in finder.findall(value):
                        assert found.rstrip(".,;:)") in planted, (name, found)
                        kinds.add(finder.pattern)
            else:
                assert value in planted, (name, value)
    if op != IMPORTS:  # bedrock summaries carry no free text
        assert len(kinds) >= 5


def test_planted_values_are_complete_and_not_trivial(account: SandboxAccount) -> None:
    planted = account.planted_values()
    assert account.account_id != "123456789012"
    assert re.fullmatch(r"[1-9]\d{11}", account.account_id)
    assert {account.account_id, account.collaborator_account_id} <= planted
    assert set(account.buckets) | set(account.emails) | set(account.ip_addresses) <= planted
    assert set(account.access_key_ids) | set(account.iam_role_arns) <= planted
    assert all(re.fullmatch(r"AKIA[A-Z0-9]{16}", key) for key in account.access_key_ids)
    assert all(":role/" in arn and arn.count("/") >= 2 for arn in account.iam_role_arns)
    assert set(account.token_buckets.values()) <= planted
    for words in ("ACTIVE", "COMPLETE", "Completed", "us-east-1", "aws", account.company):
        assert words not in planted
    assert min(len(value) for value in planted) >= 7
    # the bedrock bucket only ever appears inside pagination tokens
    blob = json.dumps([account.expected_items(*op) for op in OPS])
    assert account.token_buckets[IMPORTS] not in blob


# ------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes() -> None:
    random.seed(1)
    a = build_account(7)
    random.seed(2)
    b = build_account(7)
    assert a.planted_values() == b.planted_values()
    for op in OPS:
        assert a.expected_items(*op) == b.expected_items(*op)
    other = build_account(8)
    assert other.account_id != a.account_id
    assert other.expected_items(*FRAUD) != a.expected_items(*FRAUD)
    with Sandbox(account=a) as one, Sandbox(account=b) as two:
        for op in OPS:
            params: dict[str, Any] = {"maxResults": 4}
            for _ in range(2):
                first, second = raw(one, op, params), raw(two, op, params)
                assert first[0] == second[0] == 200
                assert first[1]["x-amzn-requestid"] == second[1]["x-amzn-requestid"]
                assert first[2] == second[2]
                params["nextToken"] = json.loads(first[2])["nextToken"]


# ------------------------------------------------------------------------------ lifecycle


def test_stop_frees_the_port() -> None:
    sb = Sandbox().start()
    port = sb.port
    assert sb.endpoint_url == f"http://127.0.0.1:{port}"
    c = client(sb, "frauddetector")
    assert c.get_batch_prediction_jobs(maxResults=1)["batchPredictions"]  # keep-alive conn open
    sb.stop()
    sb.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = sb.endpoint_url
    probe = socket.socket()
    with pytest.raises(OSError):
        probe.settimeout(1)
        probe.connect(("127.0.0.1", port))
    probe.close()
    with Sandbox(port=port) as again:
        assert again.port == port
        assert call(again, FRAUD, maxResults=1)["batchPredictions"]


def test_serve_forever_blocks_until_stopped() -> None:
    sb = Sandbox().start()  # bound before serve_forever: its port is known, nothing to wait for
    thread = threading.Thread(target=sb.serve_forever, daemon=True)
    thread.start()
    assert sb.endpoint_url.startswith("http://127.0.0.1:")
    assert call(sb, IMPORTS, maxResults=1)["modelImportJobSummaries"]
    assert thread.is_alive()
    sb.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_expected_items_ignores_paging_params(account: SandboxAccount) -> None:
    assert account.expected_items(*SEGMENTS, {"maxResults": 3, "nextToken": "x"}) == (
        account.expected_items(*SEGMENTS)
    )
    items = account.expected_items(*IMPORTS)
    items[0]["jobName"] = "mutated"
    assert account.expected_items(*IMPORTS)[0]["jobName"] != "mutated"
    after = datetime(2024, 6, 1, tzinfo=timezone.utc)
    as_string = account.expected_items(*IMPORTS, {"creationTimeAfter": "2024-06-01T00:00:00Z"})
    assert as_string == account.expected_items(*IMPORTS, {"creationTimeAfter": after})
    shifted = after.astimezone(timezone(timedelta(hours=2)))
    assert as_string == account.expected_items(*IMPORTS, {"creationTimeAfter": shifted})
