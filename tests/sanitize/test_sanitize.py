"""Sanitization: nothing real reaches disk, yet the cassette stays linked, valid and replayable.

Real parts only: the sandbox account over real HTTP, real boto3 and botocore models, the real
vcrpy for foreign cassettes, and exchanges built by hand (with real service and operation
names) for positions the five seeded operations never use.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import boto3
import botocore.parsers
import botocore.session
import pytest
import vcr
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import SANDBOX_KEY, encoded_forms
from pagetape.aws.isolation import isolated_environment
from pagetape.aws.specs import resolve, snake_case
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import LeakError
from pagetape.imports.resanitize import read_pagetape, sanitize_file
from pagetape.replay.engine import Tape, replay_chain
from pagetape.sandbox import Sandbox
from pagetape.sanitize import rules
from pagetape.sanitize.walker import Sanitizer
from pagetape.sanitize.writer import build, next_token_number
from pagetape.verify.lint import verify_file
from sanitize_helpers import (
    FIVE,
    TEST_SECRET,
    Case,
    as_cassette,
    hermetic_env,
    items_of,
    json11,
    leaks,
    record_corpus,
    record_live,
    without_recorded_at,
)

SECRET = TEST_SECRET.encode()
CORPUS = [
    "get_batch_prediction_jobs", "list_batch_segment_jobs", "list_audience_generation_jobs",
    "list_data_deletion_jobs", "list_model_import_jobs", "f-fraud", "f-segments", "f-deletions",
    "f-audiences", "f-imports", "e-no-such-job", "e-denied-rest", "e-denied-json", "t-retried",
    "t-ends",
]  # fmt: skip
FULL = CORPUS[:5]
WITH_ITEMS = [n for n in CORPUS if not n.startswith("e-")]
CORPUS_VERIFIED = CORPUS
FREE_TEXT = frozenset({"failureReason", "description"})
DETECTORS = {r.name: re.compile(r.pattern) for r in rules.DETECTORS if r.pattern}
TRAIL = ".,;:)]}'\""
ACCT = "367279807972"  # a real-looking account id for hand-built exchanges
OTHER_ACCT = "914660325134"


@dataclass
class Corpus:
    folder: Path
    cases: dict[str, Case]
    planted: set[str]

    def tape(self, name: str) -> cassette_io.Cassette:
        return cassette_io.load(self.cases[name].path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Every seeded operation recorded once, with filters, error chains and throttling."""
    folder = tmp_path_factory.mktemp("corpus")
    with hermetic_env(tmp_path_factory.mktemp("corpus-home")):
        cases, planted = record_corpus(folder)
    assert sorted(c.name for c in cases) == sorted(CORPUS)
    return Corpus(folder, {c.name: c for c in cases}, planted)


SERVICES = {
    "GetModelImportJob": "bedrock",
    "GetAudienceGenerationJob": "cleanroomsml",
    "DescribeStacks": "cloudformation",
    "ListRoles": "iam",
    "ListBatchSegmentJobs": "personalize",
}


def encode(interactions: list[cassette_io.Interaction], sanitizer: Sanitizer, op: str) -> bytes:
    """The bytes a writer would put on disk for these sanitized interactions."""
    return cassette_io.encode(as_cassette(interactions, sanitizer, SERVICES[op], op))


def no_trace(data: bytes, *originals: str) -> list[str]:
    text = data.decode()
    return [form for value in originals for form in encoded_forms(value) if form in text]


# ================================================================== the leak corpus


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_has_no_planted_value_in_any_encoding(corpus: Corpus, name: str) -> None:
    data = corpus.cases[name].path.read_text()
    assert leaks(data, corpus.planted) == []
    assert "authorization" not in data.lower()


@pytest.mark.parametrize("name", CORPUS_VERIFIED)
def test_corpus_cassette_passes_verify(corpus: Corpus, name: str) -> None:
    assert [str(f) for f in verify_file(corpus.cases[name].path)] == []


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_cassette_replays_like_the_sandbox(corpus: Corpus, name: str) -> None:
    case = corpus.cases[name]
    tape = corpus.tape(name)
    result = replay_chain(case.path)
    assert len(result.items) == len(case.expected) == tape.metadata.items
    assert [i.get("status") for i in result.items] == [e.get("status") for e in case.expected]
    assert result.pages == tape.metadata.pages
    if case.error is None:
        assert result.error is None
        assert all(i.response.status == 200 for i in tape.interactions)
    else:
        assert result.error is not None and result.error.startswith(case.error)
        assert tape.interactions[-1].response.status >= 400
        assert tape.metadata.error is not None and tape.metadata.error.startswith(case.error)


def test_error_messages_are_sanitized_but_still_linked(corpus: Corpus) -> None:
    account = _fake_account(corpus)
    missing = corpus.tape("e-no-such-job")
    fake_job = missing.metadata.params["jobId"]
    assert fake_job != "no-such-job"
    assert (
        missing.metadata.error
        == f"ResourceNotFoundException: Batch prediction job {fake_job} not found."
    )
    assert missing.interactions[0].request.body["jobId"] == fake_job
    for name in ("e-denied-rest", "e-denied-json"):
        error = corpus.tape(name).metadata.error or ""
        # The STS ARN is rebuilt with the same fake account as every other cassette.
        assert f"User: arn:aws:sts::{account}:assumed-role/" in error, error
        assert f":{account}:*" in error and "is not authorized to perform" in error


# ================================================================== positions the five lack

GET_IMPORT_JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCT}:model-import-job/d48ay13f2log"
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240104/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=2f1c8d1e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b"
)


def _import_job_exchange(
    request_headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None
) -> Interaction:
    bucket = f"globex-bedrock-custom-weights-{ACCT}"
    body = {
        "jobArn": GET_IMPORT_JOB_ARN,
        "jobName": "globex-llama3-support-bot-0104-5929",
        "importedModelName": "globex-llama3-support-bot-v1",
        "importedModelArn": f"arn:aws:bedrock:us-east-1:{ACCT}:imported-model/ochvqdr917qs",
        "roleArn": f"arn:aws:iam::{ACCT}:role/service-role/globex-BedrockImportRole",
        "modelDataSource": {"s3DataSource": {"s3Uri": f"s3://{bucket}/llama3/weights/"}},
        "status": "Failed",
        "failureMessage": (
            f"Role globex-BedrockImportRole cannot read s3://{bucket}/llama3/config.json "
            "(requested from 54.193.109.11 by priya.raman@globex-retail.com)"
        ),
        "creationTime": "2024-01-04T08:22:41.486Z",
        "lastModifiedTime": "2024-01-04T11:00:27.803Z",
        "vpcConfig": {
            "subnetIds": ["subnet-0a1b2c3d4e5f67890", "subnet-0fedcba9876543210"],
            "securityGroupIds": ["sg-0123456789abcdef0"],
        },
        "importedModelKmsKeyArn": f"arn:aws:kms:us-east-1:{ACCT}:key/1f2e3d4c-5b6a-4789-8abc-def012345678",
    }
    return Interaction(
        service="bedrock",
        operation="GetModelImportJob",
        request=Request(
            method="GET",
            path="/model-import-jobs/" + quote(GET_IMPORT_JOB_ARN, safe=""),
            query=[],
            headers={"Authorization": SIGNED, **(request_headers or {})},
            body=b"",
        ),
        response=Response(
            status=200,
            headers={"Content-Type": "application/json", **(response_headers or {})},
            body=json.dumps(body).encode(),
        ),
    )


def test_url_path_label_and_nested_structures(tmp_path: Path) -> None:
    sanitizer = Sanitizer(SECRET)
    [out], _ = sanitizer.sanitize([_import_job_exchange()])
    body = out.response.body
    fake_arn = unquote(out.request.path.removeprefix("/model-import-jobs/"))
    # The ARN in the path is the same fake as the ARN in the body: the path still addresses it.
    assert fake_arn == body["jobArn"] != GET_IMPORT_JOB_ARN
    assert out.request.path.startswith("/model-import-jobs/") and out.request.path.count("/") == 2
    fake_acct = fake_arn.split(":")[4]
    assert fake_acct != ACCT and re.fullmatch(r"\d{12}", fake_acct)
    for key in ("importedModelArn", "roleArn", "importedModelKmsKeyArn"):
        assert body[key].split(":")[4] == fake_acct
    uri = body["modelDataSource"]["s3DataSource"]["s3Uri"]
    assert re.fullmatch(r"s3://[a-z0-9-]+/[a-z0-9]{6}/[a-z]{7}/", uri), uri
    bucket = uri[5:].split("/")[0]
    assert bucket.endswith(f"-{fake_acct}") and f"s3://{bucket}/" in body["failureMessage"]
    # Lists keep their length; every member is faked and keeps its shape.
    vpc = body["vpcConfig"]
    assert [len(v) for v in vpc["subnetIds"]] == [24, 24] and len(vpc["securityGroupIds"]) == 1
    assert not {*vpc["subnetIds"], *vpc["securityGroupIds"]} & {
        "subnet-0a1b2c3d4e5f67890", "subnet-0fedcba9876543210", "sg-0123456789abcdef0",
    }  # fmt: skip
    assert out.request.headers == {} and out.response.headers == {
        "content-type": "application/json"
    }
    assert body["status"] == "Failed" and body["creationTime"] == "2024-01-04T08:22:41.486Z"
    data = encode([out], sanitizer, "GetModelImportJob")
    sanitizer.check_leaks(data)
    originals = [ACCT, "globex-BedrockImportRole", "priya.raman", "54.193.109.11", "d48ay13f2log",
                 "globex-llama3", "AKIAIOSFODNN7EXAMPLE", "ochvqdr917qs", "1f2e3d4c-5b6a"]  # fmt: skip
    assert no_trace(data, *originals) == []
    path = tmp_path / "get.json"
    path.write_bytes(data)
    assert verify_file(path) == []
    # The sanitized path label replays: botocore quotes the fake ARN its own way.
    with isolated_environment("us-east-1"), Tape.load([path]) as tape:
        job = tape.client("bedrock").get_model_import_job(jobIdentifier=fake_arn)
    assert job["jobArn"] == fake_arn and job["vpcConfig"] == vpc


CREDENTIAL_HEADERS = [
    ("request", "Authorization", SIGNED),
    ("request", "X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"),
    ("request", "X-Amz-Date", "20240104T082241Z"),
    ("request", "Cookie", "aws-session=s3cr3t-cookie-value-0123"),
    ("request", "amz-sdk-invocation-id", "28c3ee17-0d7c-4eff-bc4f-3741c70ae111"),
    ("request", "User-Agent", "Boto3/1.34.0 md/Botocore#1.34.0 app/globex-fraud-pipeline"),
    ("response", "Set-Cookie", "session=abcdef0123456789abcdef; Path=/; Secure"),
    ("response", "x-amzn-RequestId", "0c5a3e2f-1b2c-4d5e-8f90-a1b2c3d4e5f6"),
    ("response", "x-amz-apigw-id", "Rq1pZGk3IAMEY9g="),
    ("response", "Date", "Thu, 04 Jan 2024 08:22:41 GMT"),
]


@pytest.mark.parametrize(("side", "header", "value"), CREDENTIAL_HEADERS)
def test_credential_and_noise_headers_are_dropped(side: str, header: str, value: str) -> None:
    extra = {header: value}
    exchange = (
        _import_job_exchange(request_headers=extra)
        if side == "request"
        else _import_job_exchange(response_headers=extra)
    )
    sanitizer = Sanitizer(SECRET)
    [out], _ = sanitizer.sanitize([exchange])
    headers = getattr(out, side).headers
    assert header.lower() not in {h.lower() for h in headers}
    data = encode([out], sanitizer, "GetModelImportJob")
    assert value not in data.decode() and quote(value, safe="") not in data.decode()
    assert sanitizer.stats["headers"] >= 1


def test_header_bound_by_the_output_shape_is_kept_and_sanitized() -> None:
    key_arn = f"arn:aws:kms:us-east-1:{ACCT}:key/1f2e3d4c-5b6a-4789-8abc-def012345678"
    exchange = Interaction(service="s3", operation="PutObject", request=Request(method="PUT", path="/globex-private-bucket/exports/users.csv", query=[], headers={"Authorization": SIGNED, "Content-Type": "text/csv"}, body=b"id,email\n1,a@globex.com\n"), response=Response(status=200, headers={"x-amz-server-side-encryption-aws-kms-key-id": key_arn, "x-amz-id-2": "abc/def+ghi=",
         "x-amz-request-id": "0F1E2D3C4B5A6978", "ETag": '"9b2cf535f27731c974343645a3985328"'}, body=b""))  # fmt: skip
    sanitizer = Sanitizer(SECRET)
    [out], _ = sanitizer.sanitize([exchange])
    kept = out.response.headers["x-amz-server-side-encryption-aws-kms-key-id"]
    assert kept.startswith("arn:aws:kms:us-east-1:") and ":key/" in kept and ACCT not in kept
    assert (
        "x-amz-id-2" not in out.response.headers and "x-amz-request-id" not in out.response.headers
    )
    # The bucket label and the key in the path are faked; the extension survives.
    assert out.request.path.endswith(".csv") and "globex-private-bucket" not in out.request.path


def test_nested_maps_and_lists() -> None:
    job_arn = (
        f"arn:aws:cleanrooms-ml:us-east-1:{ACCT}:audience-generation-job/"
        "f53e2c38-be5c-4931-9d89-20982d3fe297"
    )
    role = f"arn:aws:iam::{ACCT}:role/cleanrooms-ml/globex-AudienceGenerationRole"
    body = {
        "audienceGenerationJobArn": job_arn,
        "name": "globex-lookalike-churn-risk-20241127-989a",
        "status": "ACTIVE",
        "createTime": "2024-11-27T06:29:30.236Z",
        "updateTime": "2024-11-27T07:22:44.236Z",
        "seedAudience": {
            "dataSource": {"s3Uri": "s3://globex-cleanrooms-seed-audiences/seed/members.csv"},
            "roleArn": role,
            "sqlParameters": {
                "queryString": f"SELECT email FROM audience WHERE owner = '{OTHER_ACCT}'",
                "parameters": {
                    "partner_account": OTHER_ACCT,
                    "owner": "mei.tanaka@globex-retail.com",
                },
            },
        },
        "includeSeedInOutput": False,
        "collaborationId": "ca304218-62f2-421b-86bf-4fa2f4337bd1",
        "metrics": {
            "relevanceMetrics": [
                {"audienceSize": {"type": "ABSOLUTE", "value": 10000}, "score": 0.82},
                {"audienceSize": {"type": "PERCENTAGE", "value": 15}, "score": 0.64},
            ],
            "recallMetric": 0.71,
        },
        "startedBy": OTHER_ACCT,
        "tags": {"cost-center": "fraud-ml", "owner-ip": "54.193.109.11", "account": ACCT},
    }
    exchange = Interaction(
        service="cleanroomsml",
        operation="GetAudienceGenerationJob",
        request=Request(
            method="GET",
            path="/audience-generation-job/" + quote(job_arn, safe=""),
            query=[],
            headers={"Authorization": SIGNED},
            body=b"",
        ),
        response=Response(
            status=200, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode()
        ),
    )
    sanitizer = Sanitizer(SECRET)
    [out], _ = sanitizer.sanitize([exchange])
    got = out.response.body
    fake_acct = got["audienceGenerationJobArn"].split(":")[4]
    partner = got["startedBy"]
    assert re.fullmatch(r"\d{12}", partner) and partner not in (OTHER_ACCT, fake_acct)
    params = got["seedAudience"]["sqlParameters"]["parameters"]
    # Map keys are kept, values sanitized, consistently with the fields and the SQL text.
    assert set(params) == {"partner_account", "owner"} and params["partner_account"] == partner
    assert f"'{partner}'" in got["seedAudience"]["sqlParameters"]["queryString"]
    assert params["owner"].endswith(".example") and "tanaka" not in params["owner"]
    assert got["tags"]["account"] == fake_acct and got["tags"]["cost-center"] == "fraud-ml"
    assert ipaddress.ip_address(got["tags"]["owner-ip"]) in ipaddress.ip_network("198.18.0.0/15")
    assert got["metrics"] == body["metrics"] and got["includeSeedInOutput"] is False
    assert got["seedAudience"]["roleArn"].split(":")[4] == fake_acct
    assert re.fullmatch(
        r"s3://[a-z-]+/[a-z]{4}/[a-z]{7}\.csv", got["seedAudience"]["dataSource"]["s3Uri"]
    )
    assert unquote(out.request.path.split("/")[-1]) == got["audienceGenerationJobArn"]
    data = encode([out], sanitizer, "GetAudienceGenerationJob")
    sanitizer.check_leaks(data)
    assert no_trace(data, ACCT, OTHER_ACCT, "mei.tanaka", "globex-cleanrooms", "f53e2c38") == []


def _stack_xml(stack_id: str, name: str, token: str | None, request_id: str) -> bytes:
    next_token = f"<NextToken>{token}</NextToken>" if token else ""
    return f"""<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackId>{stack_id}</StackId>
        <StackName>{name}</StackName>
        <StackStatus>CREATE_COMPLETE</StackStatus>
        <CreationTime>2024-03-01T10:00:00.000Z</CreationTime>
        <RoleARN>arn:aws:iam::{ACCT}:role/globex-CloudFormationDeployer</RoleARN>
        <Description>Owned by priya.raman@globex-retail.com; deploys from 54.193.109.11</Description>
      </member>
    </Stacks>
    {next_token}
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>
</DescribeStacksResponse>""".encode()


def test_form_encoded_request_and_xml_response_keep_the_chain() -> None:
    stack = "globex-fraud-pipeline"
    stack_id = f"arn:aws:cloudformation:us-east-1:{ACCT}:stack/{stack}/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
    real_token = "eyJhY2NvdW50SWQiOiIzNjcyNzk4MDc5NzIiLCJvZmZzZXQiOjF9.WxIOpDvI7Tn1DGH4"
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    xml = {"Content-Type": "text/xml"}

    def page(extra: dict[str, str], token: str | None, request_id: str) -> Interaction:
        body = urlencode(
            {"Action": "DescribeStacks", "Version": "2010-05-15", "StackName": stack, **extra}
        )
        return Interaction(
            service="cloudformation",
            operation="DescribeStacks",
            request=Request(method="POST", path="/", query=[], headers=form, body=body.encode()),
            response=Response(
                status=200, headers=xml, body=_stack_xml(stack_id, stack, token, request_id)
            ),
        )

    first = page({}, real_token, "0c5a3e2f-1b2c-4d5e-8f90-a1b2c3d4e5f6")
    second = page({"NextToken": real_token}, None, "1d6b4f30-2c3d-4e6f-9a01-b2c3d4e5f607")
    sanitizer = Sanitizer(SECRET)
    out, _ = sanitizer.sanitize([first, second])
    sent = [dict(parse_qsl(i.request.body)) for i in out]
    assert sent[0]["Action"] == "DescribeStacks" and sent[0]["Version"] == "2010-05-15"
    fake_stack = sent[0]["StackName"]
    assert fake_stack != stack and len(fake_stack) == len(stack)
    # Parse the sanitized XML with botocore's own parser: still valid, token linked.
    model = botocore.session.get_session().get_service_model("cloudformation")
    shape = model.operation_model("DescribeStacks").output_shape
    parser = botocore.parsers.create_parser("query")
    parsed = [
        parser.parse({"status_code": 200, "headers": {}, "body": i.response.body.encode()}, shape)
        for i in out
    ]
    assert parsed[0]["NextToken"] == sent[1]["NextToken"] == "pagetape-token-0001"
    assert "NextToken" not in parsed[1]
    [summary] = parsed[0]["Stacks"]
    assert summary["StackName"] == fake_stack and f":stack/{fake_stack}/" in summary["StackId"]
    assert summary["StackId"].split(":")[4] == summary["RoleARN"].split(":")[4] != ACCT
    assert summary["StackStatus"] == "CREATE_COMPLETE"
    assert parsed[0]["ResponseMetadata"]["RequestId"] != "0c5a3e2f-1b2c-4d5e-8f90-a1b2c3d4e5f6"
    data = encode(out, sanitizer, "DescribeStacks")
    sanitizer.check_leaks(data)
    assert no_trace(data, ACCT, stack, real_token, "priya.raman", "54.193.109.11", "0f1e2d3c") == []


def _tag(xml: str, tag: str) -> str:
    found = re.search(rf"<{tag}>([^<]+)</{tag}>", xml)
    assert found, tag
    return found.group(1)


def test_iam_xml_marker_and_principals() -> None:
    role_id = "AROA3XFRBF535PLBIFPI4"[:20]
    xml = f"""<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListRolesResult>
    <IsTruncated>true</IsTruncated>
    <Marker>AAGt3Jk2pQ7dGl0ZXJhbC1tYXJrZXItMzY3Mjc5ODA3OTcy</Marker>
    <Roles><member>
      <Path>/fraud/scoring/</Path>
      <RoleName>globex-FraudBatchScoring</RoleName>
      <RoleId>{role_id}</RoleId>
      <Arn>arn:aws:iam::{ACCT}:role/fraud/scoring/globex-FraudBatchScoring</Arn>
      <CreateDate>2024-01-03T08:00:00Z</CreateDate>
    </member></Roles>
  </ListRolesResult>
</ListRolesResponse>""".encode()
    exchange = Interaction(
        service="iam",
        operation="ListRoles",
        request=Request(
            method="POST",
            path="/",
            query=[],
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            body=b"Action=ListRoles&Version=2010-05-08&PathPrefix=%2Ffraud%2F",
        ),
        response=Response(status=200, headers={"Content-Type": "text/xml"}, body=xml),
    )
    sanitizer = Sanitizer(SECRET)
    [out], _ = sanitizer.sanitize([exchange])
    text = out.response.body
    assert "<Marker>pagetape-token-0001</Marker>" in text
    assert "<IsTruncated>true</IsTruncated>" in text
    fake_arn, fake_name, fake_id = (_tag(text, t) for t in ("Arn", "RoleName", "RoleId"))
    assert fake_arn.startswith("arn:aws:iam::") and fake_arn.endswith(f"/{fake_name}")
    assert ":role/" in fake_arn and fake_name != "globex-FraudBatchScoring"
    assert fake_id.startswith("AROA") and len(fake_id) == len(role_id) and fake_id != role_id
    data = encode([out], sanitizer, "ListRoles")
    sanitizer.check_leaks(data)
    assert no_trace(data, ACCT, "globex-FraudBatchScoring", role_id) == []


# ================================================================== the leak check aborts


def _name_in_free_text() -> Interaction:
    job = {
        "jobName": "acme-winter-boots-20240101-ab12",
        "batchSegmentJobArn": f"arn:aws:personalize:us-east-1:{ACCT}:batch-segment-job/acme-x",
        "status": "CREATE FAILED",
        "failureReason": "Job acme-winter-boots-20240101-ab12 could not start.",
        "creationDateTime": 1704067200.0,
    }
    return json11("personalize", "ListBatchSegmentJobs", {}, {"batchSegmentJobs": [job]})


def test_leak_check_aborts_when_a_rule_is_switched_off() -> None:
    on = Sanitizer(SECRET)
    out, _ = on.sanitize([_name_in_free_text()])
    on.check_leaks(encode(out, on, "ListBatchSegmentJobs"))  # all rules on: clean
    reason = out[0].response.body["batchSegmentJobs"][0]["failureReason"]
    assert "acme-winter-boots" not in reason

    off = Sanitizer(SECRET, disabled={"free_text"})
    out, _ = off.sanitize([_name_in_free_text()])
    job = out[0].response.body["batchSegmentJobs"][0]
    assert job["jobName"] != "acme-winter-boots-20240101-ab12"  # replaced in its field ...
    assert "acme-winter-boots-20240101-ab12" in job["failureReason"]  # ... kept in free text
    with pytest.raises(
        LeakError, match=r"the 'name' rule replaced.*\(plain\).*nothing was written"
    ):
        off.check_leaks(encode(out, off, "ListBatchSegmentJobs"))


REAL_JOB = "acme-winter-boots-20240101-ab12"


@pytest.mark.parametrize(
    "inserted",
    [
        REAL_JOB,
        f"/{REAL_JOB}.",
        encoded_forms(REAL_JOB)[2],
        encoded_forms("s3://globex/" + REAL_JOB)[3],
        quote(f"s3://globex/{REAL_JOB}", safe=""),
    ],
)
def test_leak_check_finds_the_original_in_any_form(inserted: str) -> None:
    sanitizer = Sanitizer(SECRET)
    out, _ = sanitizer.sanitize([_name_in_free_text()])
    data = encode(out, sanitizer, "ListBatchSegmentJobs").decode()
    sanitizer.check_leaks(data.encode())
    doctored = data.replace("could not start.", f"could not start {inserted}")
    with pytest.raises(LeakError, match=r"the 'name' rule replaced"):
        sanitizer.check_leaks(doctored.encode())


def test_name_inside_a_url_encoded_link_is_replaced() -> None:
    job = {
        "jobName": "globex-job-123",
        "status": "CREATE FAILED",
        "failureReason": "See https://console.aws.amazon.com/s3/buckets/b?prefix=exports%2Fglobex-job-123%2F",
        "creationDateTime": 1704067200.0,
    }
    exchange = json11("personalize", "ListBatchSegmentJobs", {}, {"batchSegmentJobs": [job]})
    sanitizer = Sanitizer(SECRET)
    out, _ = sanitizer.sanitize([exchange])
    data = encode(out, sanitizer, "ListBatchSegmentJobs")
    leaked = "globex-job-123" in data.decode()
    with contextlib.suppress(LeakError):
        sanitizer.check_leaks(data)
        assert not leaked, "the original was written and the leak check let it through"


def test_s3_key_word_recurring_in_free_text_does_not_abort_the_write() -> None:
    job = {
        "jobName": "globex-job-123",
        "status": "CREATE FAILED",
        "failureReason": "Invalid item ID in row 1921 of s3://globex-segments/input/users.json; "
        "fix the users file and retry.",
        "creationDateTime": 1704067200.0,
    }
    exchange = json11("personalize", "ListBatchSegmentJobs", {}, {"batchSegmentJobs": [job]})
    sanitizer = Sanitizer(SECRET)
    out, _ = sanitizer.sanitize([exchange])
    reason = out[0].response.body["batchSegmentJobs"][0]["failureReason"]
    assert "globex-segments" not in reason and reason.endswith("file and retry.")
    sanitizer.check_leaks(encode(out, sanitizer, "ListBatchSegmentJobs"))


def test_bucket_in_an_s3_arn_is_replaced() -> None:
    job = {
        "jobName": "globex-job-123",
        "status": "CREATE FAILED",
        "failureReason": "Cannot write to arn:aws:s3:::globex-private-exports/reports/q1.csv now.",
        "creationDateTime": 1704067200.0,
    }
    exchange = json11("personalize", "ListBatchSegmentJobs", {}, {"batchSegmentJobs": [job]})
    sanitizer = Sanitizer(SECRET)
    out, _ = sanitizer.sanitize([exchange])
    reason = out[0].response.body["batchSegmentJobs"][0]["failureReason"]
    assert reason.startswith("Cannot write to arn:aws:s3:::")
    assert "globex-private-exports" not in reason, reason
    assert reason.endswith(".csv now."), reason  # a key keeps its extension, as in s3:// URIs


def test_record_with_a_rule_off_writes_nothing(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    base = ["--region", "us-east-1", "--endpoint-url", sandbox.endpoint_url]
    keep = tmp_path / "keep.json"
    keep.write_text("previous cassette")
    result = cli(
        "record", "frauddetector", "GetBatchPredictionJobs", "-p", "jobId=no-such-job",
        "--record-errors", "--keep-rule", "free_text", "-o", "keep.json", "--force", *base,
    )  # fmt: skip
    assert result.code == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "'name' rule replaced" in line and "nothing was written" in line
    assert keep.read_text() == "previous cassette"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]
    # The library path refuses the same way and leaves no file.
    with pytest.raises(LeakError):
        record_live(
            sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "lib.json",
            params={"jobId": "no-such-job"}, record_errors=True, keep_rules=["free_text"],
        )  # fmt: skip
    assert not (tmp_path / "lib.json").exists()


# ================================================================== referential integrity


def _pairs_of(case: Case, tape: cassette_io.Cassette) -> Iterator[tuple[str, str, str]]:
    """(where, real, fake) for every identifier, aligned item by item and in free text."""
    recorded = items_of(tape)
    assert len(recorded) == len(case.expected)
    for real_item, fake_item in zip(case.expected, recorded, strict=True):
        assert set(real_item) == set(fake_item)
        for key, real in real_item.items():
            fake = fake_item[key]
            if key in FREE_TEXT:
                yield from _free_text_pairs(key, real, fake)
            elif not isinstance(real, str) or _kept_field(case, key):
                assert real == fake, key  # numbers, enums, timestamps, versions
            else:
                yield key, real, fake
                yield from _parts(key, real, fake)
    for key, real in case.params.items():
        if key not in ("sortOrder", "statusEquals"):
            yield f"params.{key}", real, tape.metadata.params[key]


def _kept_field(case: Case, key: str) -> bool:
    shape = _item_shapes(case.service, case.operation)[key]
    kept = getattr(shape, "enum", None) or shape.type_name == "timestamp"
    return bool(kept) or key in ("status", "detectorVersion") or key.endswith("Time")


def _free_text_pairs(key: str, real: str, fake: str) -> Iterator[tuple[str, str, str]]:
    for name in ("arn", "s3_uri", "email", "access_key_id", "ip_address", "account_id", "uuid"):
        reals = [m.rstrip(TRAIL) for m in DETECTORS[name].findall(real)]
        fakes = [m.rstrip(TRAIL) for m in DETECTORS[name].findall(fake)]
        assert len(reals) == len(fakes), (name, real, fake)
        for r, f in zip(reals, fakes, strict=True):
            yield f"{key}:{name}", r, f
            yield from _parts(f"{key}:{name}", r, f)


def _parts(key: str, real: str, fake: str) -> Iterator[tuple[str, str, str]]:
    if real.startswith("arn:"):
        r, f = real.split(":", 5), fake.split(":", 5)
        if r[4]:
            yield f"{key}.account", r[4], f[4]
        rw, fw = re.split(r"[/:]", r[5]), re.split(r"[/:]", f[5])
        assert len(rw) == len(fw)
        yield from ((f"{key}.resource", a, b) for a, b in zip(rw[1:], fw[1:], strict=True))
    elif real.startswith("s3://"):
        yield f"{key}.bucket", real[5:].split("/")[0], fake[5:].split("/")[0]


def _mapping(corpus: Corpus, names: list[str]) -> dict[str, dict[str, set[str]]]:
    forward: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name in names:
        for where, real, fake in _pairs_of(corpus.cases[name], corpus.tape(name)):
            forward[real][fake].add(f"{name}:{where}")
    return forward


def test_pseudonyms_are_a_function_across_all_five_cassettes(corpus: Corpus) -> None:
    forward = _mapping(corpus, WITH_ITEMS)
    assert len(forward) > 300
    conflicts = {real: dict(fakes) for real, fakes in forward.items() if len(fakes) > 1}
    assert conflicts == {}


def test_pseudonyms_are_injective(corpus: Corpus) -> None:
    forward = _mapping(corpus, WITH_ITEMS)
    backward: dict[str, set[str]] = defaultdict(set)
    for real, fakes in forward.items():
        for fake in fakes:
            backward[fake].add(real)
    collisions = {fake: reals for fake, reals in backward.items() if len(reals) > 1}
    assert collisions == {}
    # Only AWS's own words map to themselves; no other fake is somebody's real value.
    kept = {real for real, fakes in forward.items() if real in fakes}
    assert kept <= {"service-role", "cleanrooms-ml"}
    assert set(backward) & set(forward) == kept


def test_email_inside_an_arn_is_the_same_fake_as_elsewhere(corpus: Corpus) -> None:
    [denied] = [v for v in corpus.planted if v.startswith("arn:aws:sts::")]
    email = denied.rsplit("/", 1)[1]  # the assumed-role session name is the user's email
    forward = _mapping(corpus, WITH_ITEMS)
    [fake_email] = forward[email]  # the same email, in failure reasons of the full chains
    error = corpus.tape("e-denied-json").metadata.error or ""
    assert f"/{fake_email} is not authorized" in error, (fake_email, error)


def _fake_account(corpus: Corpus) -> str:
    real = corpus.cases["get_batch_prediction_jobs"].expected[0]["arn"].split(":")[4]
    [fake] = _mapping(corpus, FULL)[real]
    return fake


def test_fraud_job_id_is_the_end_of_its_arn(corpus: Corpus) -> None:
    jobs = items_of(corpus.tape("get_batch_prediction_jobs"))
    assert all(job["arn"].endswith(f":batch-prediction/{job['jobId']}") for job in jobs)
    assert all(f"/{job['jobId']}/" in job["outputPath"] for job in jobs)


@pytest.mark.parametrize(
    ("name", "arn_key"),
    [
        ("list_batch_segment_jobs", "batchSegmentJobArn"),
        ("list_data_deletion_jobs", "dataDeletionJobArn"),
    ],
)
def test_personalize_job_name_is_the_end_of_its_arn(
    corpus: Corpus, name: str, arn_key: str
) -> None:
    jobs = items_of(corpus.tape(name))
    assert jobs and all(job[arn_key].endswith("/" + job["jobName"]) for job in jobs)


def test_started_by_follows_the_account_in_the_arns(corpus: Corpus) -> None:
    case = corpus.cases["list_audience_generation_jobs"]
    same = different = 0
    for real, fake in zip(case.expected, items_of(corpus.tape(case.name)), strict=True):
        arn_account = fake["audienceGenerationJobArn"].split(":")[4]
        if real["startedBy"] == real["audienceGenerationJobArn"].split(":")[4]:
            assert fake["startedBy"] == arn_account
            same += 1
        else:
            assert fake["startedBy"] != arn_account
            different += 1
    assert same and different
    partner = {f["startedBy"] for f in items_of(corpus.tape(case.name))} - {_fake_account(corpus)}
    [partner_account] = partner
    texts = [f.get("description", "") for f in items_of(corpus.tape(case.name))]
    assert any(f"partner account {partner_account};" in t for t in texts)


def test_bucket_in_input_path_is_the_bucket_named_in_the_failure_reason(corpus: Corpus) -> None:
    case = corpus.cases["get_batch_prediction_jobs"]
    checked = 0
    for real, fake in zip(case.expected, items_of(corpus.tape(case.name)), strict=True):
        said = re.search(r"policy of bucket (\S+) blocks", real.get("failureReason", ""))
        if said and said.group(1) == real["inputPath"][5:].split("/")[0]:
            fake_said = re.search(r"policy of bucket (\S+) blocks", fake["failureReason"])
            assert fake_said and fake_said.group(1) == fake["inputPath"][5:].split("/")[0]
            assert fake_said.group(1) != said.group(1)
            checked += 1
    assert checked >= 1


def test_account_inside_bucket_names_is_the_account_in_the_arns(corpus: Corpus) -> None:
    case = corpus.cases["get_batch_prediction_jobs"]
    real_account = case.expected[0]["arn"].split(":")[4]
    checked = 0
    for real, fake in zip(case.expected, items_of(corpus.tape(case.name)), strict=True):
        real_bucket, fake_bucket = (
            real["inputPath"][5:].split("/")[0],
            fake["inputPath"][5:].split("/")[0],
        )
        if real_bucket.endswith(real_account):
            assert fake_bucket.endswith("-" + fake["arn"].split(":")[4])
            assert fake["iamRoleArn"].split(":")[4] == fake["arn"].split(":")[4]
            checked += 1
    assert checked == len(case.expected)


@pytest.mark.parametrize(
    "name", ["f-fraud", "f-segments", "f-deletions", "f-audiences", "f-imports"]
)
def test_sanitized_filters_in_metadata_match_the_items(corpus: Corpus, name: str) -> None:
    case = corpus.cases[name]
    tape = corpus.tape(name)
    fake_params = tape.metadata.params
    assert set(fake_params) == set(case.params)
    recorded = items_of(tape)
    for key, real in case.params.items():
        if key in recorded[0]:
            assert {item[key] for item in recorded} == {fake_params[key]}
            assert fake_params[key] != real
    for interaction in tape.interactions:
        request = interaction.request
        sent = request.body if isinstance(request.body, dict) else dict(request.query)
        assert {k: sent[k] for k in fake_params} == fake_params


@pytest.mark.xfail(
    strict=True,
    reason="sanitize.py fakes nameContains and jobName as whole independent words, so the "
    "sanitized nameContains filter is no longer a substring of the recorded job names",
)
def test_name_contains_filter_still_matches_the_recorded_names(corpus: Corpus) -> None:
    tape = corpus.tape("f-imports")
    needle = tape.metadata.params["nameContains"]
    assert all(needle in item["jobName"] for item in items_of(tape))


# ================================================================== format preservation


@cache
def _item_shapes(service: str, operation: str) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    key = resolve(service, operation).spec.result_key[0]
    item = model.operation_model(operation).output_shape.members[key].member
    return dict(item.members)


def _satisfies(shape: Any, value: str) -> bool | None:
    """True/False against the shape's pattern and length; None when re cannot compile it."""
    meta = shape.metadata
    if "min" in meta and len(value) < meta["min"]:
        return False
    if "max" in meta and len(value) > meta["max"]:
        return False
    if "pattern" not in meta:
        return True
    try:
        pattern = re.compile(meta["pattern"])
    except re.error:
        return None
    return pattern.search(value) is not None


@pytest.mark.parametrize("name", FULL)
def test_every_item_field_satisfies_its_output_shape(corpus: Corpus, name: str) -> None:
    case = corpus.cases[name]
    shapes = _item_shapes(case.service, case.operation)
    checked = 0
    for real_item, fake_item in zip(case.expected, items_of(corpus.tape(name)), strict=True):
        for key, fake in fake_item.items():
            if not isinstance(fake, str):
                continue
            real_ok = _satisfies(shapes[key], real_item[key])
            if real_ok:  # the sandbox's own value fits: the fake must fit too
                assert _satisfies(shapes[key], fake), (
                    key,
                    real_item[key],
                    fake,
                    shapes[key].metadata,
                )
                checked += 1
    assert checked >= 3 * len(case.expected)


def _all_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _all_strings(item)
    elif isinstance(value, str):
        yield value


def _aligned(corpus: Corpus, detector: str) -> list[tuple[str, str]]:
    return [
        (real, fake)
        for name in WITH_ITEMS
        for where, real, fake in _pairs_of(corpus.cases[name], corpus.tape(name))
        if DETECTORS[detector].fullmatch(real)
        and not where.endswith((".account", ".resource", ".bucket"))
    ]


def test_arns_keep_partition_service_region_and_resource_type(corpus: Corpus) -> None:
    pairs = _aligned(corpus, "arn")
    assert len(pairs) > 100
    for real, fake in pairs:
        r, f = real.split(":", 5), fake.split(":", 5)
        assert f[:4] == r[:4], (real, fake)
        assert re.fullmatch(r"\d{12}|", f[4]) and (f[4] == "") == (r[4] == "")
        real_type, fake_type = re.split(r"[/:]", r[5]), re.split(r"[/:]", f[5])
        if len(real_type) > 1 and r[2] != "s3":  # S3 ARNs start with the bucket: no type
            assert fake_type[0] == real_type[0], (real, fake)
        assert re.sub(r"[^/:]", "", r[5]) == re.sub(r"[^/:]", "", f[5])


def test_uuids_stay_lowercase_uuids(corpus: Corpus) -> None:
    lower_uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    pairs = _aligned(corpus, "uuid")
    for name in WITH_ITEMS:
        for real, fake in zip(
            corpus.cases[name].expected, items_of(corpus.tape(name)), strict=True
        ):
            for key in (
                "collaborationId",
                "audienceGenerationJobArn",
                "configuredAudienceModelArn",
            ):
                if key in real:
                    pairs += list(
                        zip(
                            lower_uuid.findall(real[key]),
                            lower_uuid.findall(fake[key]),
                            strict=True,
                        )
                    )
    assert len(pairs) > 20
    for real, fake in pairs:
        assert lower_uuid.fullmatch(fake) and fake != real


def test_s3_uris_keep_bucket_key_structure_and_extension(corpus: Corpus) -> None:
    pairs = _aligned(corpus, "s3_uri")
    assert len(pairs) > 40
    bucket = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
    for real, fake in pairs:
        r, f = real[5:].split("/"), fake[5:].split("/")
        assert fake.startswith("s3://") and len(r) == len(f) and bucket.fullmatch(f[0])
        assert f[0] != r[0]
        if "." in r[-1]:
            assert f[-1].rsplit(".", 1)[1] == r[-1].rsplit(".", 1)[1]


def test_bedrock_ids_stay_twelve_lowercase_alphanumerics(corpus: Corpus) -> None:
    case = corpus.cases["list_model_import_jobs"]
    checked = 0
    for real, fake in zip(case.expected, items_of(corpus.tape(case.name)), strict=True):
        for key in ("jobArn", "importedModelArn"):
            if key in real:
                real_id, fake_id = real[key].rsplit("/", 1)[1], fake[key].rsplit("/", 1)[1]
                assert re.fullmatch(r"[a-z0-9]{12}", fake_id) and fake_id != real_id
                checked += 1
    assert checked > 26


def test_keys_ips_and_tokens_have_their_fake_forms(corpus: Corpus) -> None:
    keys = _aligned(corpus, "access_key_id")
    ips = _aligned(corpus, "ip_address")
    assert keys and ips
    for _, fake in keys:
        assert re.fullmatch(r"AKIAPAGETAPE[A-Z0-9]{8}", fake)
    for real, fake in ips:
        # Public addresses move to the benchmark range; private ones stay private.
        if ipaddress.ip_address(real).is_private:
            assert ipaddress.ip_address(fake).is_private and fake != real
        else:
            assert ipaddress.ip_address(fake) in ipaddress.ip_network("198.18.0.0/15")
    for name in CORPUS:
        for interaction in corpus.tape(name).interactions:
            for body in (interaction.request.body, interaction.response.body):
                if isinstance(body, dict) and "nextToken" in body:
                    assert re.fullmatch(r"pagetape-token-\d{4}", body["nextToken"])
            for key, value in interaction.request.query:
                if key == "nextToken":
                    assert re.fullmatch(r"pagetape-token-\d{4}", value)


# ================================================================== keyed pseudonyms


def test_same_secret_same_bytes_different_secret_different_fakes(
    corpus: Corpus, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for service, operation in FIVE:
        name = snake_case(operation)
        again = record_live(sandbox, service, operation, tmp_path / f"{name}.json", 7)
        assert without_recorded_at(again.path.read_bytes()) == without_recorded_at(
            corpus.cases[name].path.read_bytes()
        )
    monkeypatch.setenv("PAGETAPE_SECRET", "another-secret")
    other = record_live(sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "o.json", 7)
    mine = corpus.tape("get_batch_prediction_jobs")
    theirs = cassette_io.load(other.path)
    long_fakes = {f for f in mine.metadata.fakes if len(f) >= 6}
    assert len(long_fakes) > 50 and not long_fakes & set(theirs.metadata.fakes)
    for a, b in zip(items_of(mine), items_of(theirs), strict=True):
        assert a["status"] == b["status"] and a.get("totalRecordsCount") == b.get(
            "totalRecordsCount"
        )
        assert a["jobId"] != b["jobId"] and a["arn"].split(":")[4] != b["arn"].split(":")[4]


def test_secret_file_is_created_private_reused_and_never_written(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAGETAPE_SECRET")
    secret_file = Path(os.environ["XDG_CONFIG_HOME"]) / "pagetape" / "secret"
    assert not secret_file.exists()
    first = record_live(sandbox, "personalize", "ListDataDeletionJobs", tmp_path / "a.json", 5)
    assert secret_file.is_file()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) >= 32
    second = record_live(sandbox, "personalize", "ListDataDeletionJobs", tmp_path / "b.json", 5)
    assert secret_file.read_text().strip() == secret  # reused, not regenerated
    assert without_recorded_at(first.path.read_bytes()) == without_recorded_at(
        second.path.read_bytes()
    )
    for path in (first.path, second.path):
        assert no_trace(path.read_bytes(), secret) == []
    # The file really keys the pseudonyms: the test secret gives other fakes.
    monkeypatch.setenv("PAGETAPE_SECRET", TEST_SECRET)
    keyed = record_live(sandbox, "personalize", "ListDataDeletionJobs", tmp_path / "c.json", 5)
    assert (
        cassette_io.load(keyed.path).metadata.fakes != cassette_io.load(first.path).metadata.fakes
    )
    assert not list(tmp_path.glob("**/secret"))


# ================================================================== --keep-rule and --list-rules


def test_keep_rule_ip_address_keeps_ips_and_still_verifies(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    result = cli(
        "record", "frauddetector", "GetBatchPredictionJobs", "--page-size", "10",
        "--keep-rule", "ip_address", "-o", "ip.json",
        "--region", "us-east-1", "--endpoint-url", sandbox.endpoint_url,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    data = (tmp_path / "ip.json").read_text()
    tape = cassette_io.load(tmp_path / "ip.json")
    assert tape.metadata.kept_rules == ["ip_address"]
    items = json.dumps(sandbox.account.expected_items("frauddetector", "GetBatchPredictionJobs"))
    real_ips = {ip for ip in sandbox.account.ip_addresses if ip in items}
    assert real_ips and all(ip in data for ip in real_ips)
    assert "198.18." not in data and "198.19." not in data
    others = sandbox.account.planted_values() - set(sandbox.account.ip_addresses)
    assert leaks(data, others) == []
    assert verify_file(tmp_path / "ip.json") == []
    checked = cli("verify", "ip.json")
    assert checked.stdout == "" and checked.stderr.strip() == "1 cassette clean"


@pytest.mark.parametrize("command", ["record", "sanitize"])
def test_unknown_rule_is_one_line_and_exit_2(cli, tmp_path: Path, command: str) -> None:
    shipped = (
        Path(__file__).resolve().parents[2]
        / "cassettes"
        / "personalize"
        / "list_data_deletion_jobs.json"
    )
    args = (
        ["record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1"]
        if command == "record"
        else ["sanitize", str(shipped), "-o", "out.json"]
    )
    result = cli(*args, "--keep-rule", "ip_adress")
    assert result.code == 2
    [line] = result.stderr.strip().splitlines()
    assert "ip_adress" in line and "ip_address" in line and "Traceback" not in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_list_rules_lists_every_rule(cli) -> None:
    result = cli("sanitize", "--list-rules")
    assert result.code == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == [rule.name for rule in rules.RULES]
    for rule in rules.RULES:
        assert rule.description.split()[0] in result.stdout


# ================================================================== foreign cassettes and re-runs


def _decode_headers(request: Any) -> Any:
    """JSON cannot hold bytes: botocore's header values are bytes, so decode them first."""
    for key, value in list(request.headers.items()):
        if isinstance(value, bytes):
            request.headers[key] = value.decode()
    return request


def _vcr_record(path: Path, sandbox: Sandbox, calls: Callable[[Any], None], service: str) -> None:
    options: dict[str, Any] = {}
    if path.suffix == ".json":
        options = {"serializer": "json", "before_record_request": _decode_headers}
    client = boto3.client(
        service, region_name="us-east-1", endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    with vcr.use_cassette(str(path), **options):
        calls(client)
    assert "Authorization" in path.read_text()  # plain vcrpy keeps the signature


VCR_CASES = [
    ("segments.yaml", "personalize", "ListBatchSegmentJobs", {}, 8),
    ("imports.json", "bedrock", "ListModelImportJobs", {"statusEquals": "Completed"}, 4),
]


@pytest.mark.parametrize(("file", "service", "operation", "params", "size"), VCR_CASES)
def test_sanitize_a_plain_vcrpy_cassette(
    cli, sandbox: Sandbox, tmp_path: Path, file: str, service: str, operation: str,
    params: dict[str, Any], size: int,
) -> None:  # fmt: skip
    source = tmp_path / file
    key = resolve(service, operation).spec.result_key[0]

    def calls(client: Any) -> None:
        method = snake_case(operation)
        pages = client.get_paginator(method).paginate(**params, PaginationConfig={"PageSize": size})
        assert sum(len(p[key]) for p in pages) > size

    _vcr_record(source, sandbox, calls, service)
    result = cli("sanitize", file, "-o", "clean.json")
    assert result.code == 0, result.stderr
    out = tmp_path / "clean.json"
    expected = sandbox.account.expected_items(service, operation, params)
    replayed = replay_chain(out)
    assert len(replayed.items) == len(expected) and replayed.error is None
    assert [i["status"] for i in replayed.items] == [e["status"] for e in expected]
    tape = cassette_io.load(out)
    assert (tape.metadata.service, tape.metadata.operation) == (service, operation)
    assert tape.metadata.page_size == size
    data = out.read_text()
    assert leaks(data, sandbox.account.planted_values() | {SANDBOX_KEY[0]}) == []
    assert "AKIASANDBOX" not in data and "127.0.0.1" not in data
    assert verify_file(out) == []
    # Sanitizing the result again changes nothing but recorded_at.
    again, _ = sanitize_file(out, tmp_path / "again.json")
    assert without_recorded_at((tmp_path / "again.json").read_bytes()) == without_recorded_at(
        out.read_bytes()
    )
    assert again.metadata.fakes == tape.metadata.fakes


def test_sanitize_a_vcrpy_error_with_a_rule_off_writes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = tmp_path / "missing.yaml"

    def calls(client: Any) -> None:
        with pytest.raises(ClientError, match="no-such-job"):
            client.get_batch_prediction_jobs(jobId="no-such-job")

    _vcr_record(source, sandbox, calls, "frauddetector")
    with pytest.raises(LeakError, match="'name' rule"):
        sanitize_file(source, tmp_path / "out.json", keep_rules=["free_text"])
    assert not (tmp_path / "out.json").exists()
    tape, _ = sanitize_file(source, tmp_path / "out.json")
    assert "no-such-job" not in (tmp_path / "out.json").read_text()
    assert tape.metadata.error and tape.metadata.error.startswith("ResourceNotFoundException")


@pytest.mark.parametrize("name", CORPUS)
def test_sanitizing_a_pagetape_cassette_again_is_idempotent(
    corpus: Corpus, tmp_path: Path, name: str
) -> None:
    source = corpus.cases[name].path
    sanitize_file(source, tmp_path / "again.json")
    assert without_recorded_at((tmp_path / "again.json").read_bytes()) == without_recorded_at(
        source.read_bytes()
    )


# ================================================================== properties

_word = st.from_regex(r"[a-z][a-z0-9]{3,9}", fullmatch=True)
_name = st.lists(_word, min_size=2, max_size=4).map("-".join)
_account = st.from_regex(r"[2-9][0-9]{11}", fullmatch=True)
_uuid = st.uuids().map(str)
_email = st.tuples(_word, _word, _word).map(lambda t: f"{t[0]}.{t[1]}@{t[2]}.com")
_ip = st.ip_addresses(v=4).map(str)
_s3 = st.tuples(_name, st.lists(_word, max_size=3), _word, st.sampled_from(["csv", "json", ""]))
_s3_uri = _s3.map(lambda t: f"s3://{t[0]}/{'/'.join([*t[1], t[2] + ('.' + t[3] if t[3] else '')])}")
_arn = st.tuples(
    _account, st.sampled_from(["batch-segment-job", "solution", "dataset-group"]), _name
).map(lambda t: f"arn:aws:personalize:us-east-1:{t[0]}:{t[1]}/{t[2]}")
_role = st.tuples(_account, _name).map(lambda t: f"arn:aws:iam::{t[0]}:role/service-role/{t[1]}")
_fragment = st.one_of(_arn, _role, _account, _uuid, _email, _ip, _s3_uri, _name, _word)
_text = st.lists(
    st.tuples(_fragment, st.sampled_from([" ", "; ", ", ", " in ", " by "])), max_size=5
).map(lambda parts: "".join(f + sep for f, sep in parts).strip() + ".")
_job = st.fixed_dictionaries(
    {
        "batchSegmentJobArn": _arn,
        "jobName": _name,
        "status": st.sampled_from(["ACTIVE", "CREATE FAILED", "CREATE PENDING"]),
        "creationDateTime": st.floats(1.6e9, 1.8e9).map(lambda f: round(f, 3)),
        "solutionVersionArn": _arn,
    },
    optional={"failureReason": _text},
)
_pages = st.lists(st.lists(_job, min_size=1, max_size=3), min_size=1, max_size=3)
_token = st.from_regex(r"[A-Za-z0-9_-]{12,40}", fullmatch=True)


def _exchanges(pages: list[list[dict[str, Any]]], tokens: list[str]) -> list[Interaction]:
    out = []
    for n, jobs in enumerate(pages):
        request: dict[str, Any] = {"maxResults": 3}
        if n:
            request["nextToken"] = tokens[n - 1]
        response: dict[str, Any] = {"batchSegmentJobs": jobs}
        if n < len(pages) - 1:
            response["nextToken"] = tokens[n]
        out.append(json11("personalize", "ListBatchSegmentJobs", request, response))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=_pages, tokens=st.lists(_token, min_size=3, max_size=3, unique=True))
def test_sanitizing_is_deterministic_and_idempotent(
    pages: list[list[dict[str, Any]]], tokens: list[str]
) -> None:
    exchanges = _exchanges(pages, tokens)
    first = Sanitizer(SECRET)
    once, _ = first.sanitize(exchanges)
    twin, _ = Sanitizer(SECRET).sanitize(_exchanges(pages, tokens))
    assert once == twin  # deterministic for a secret
    tape = as_cassette(once, first, "personalize", "ListBatchSegmentJobs")
    first.check_leaks(cassette_io.encode(tape))
    again = Sanitizer(SECRET, known_fakes=first.fakes(), first_token=next_token_number(tape))
    twice, _ = again.sanitize(read_pagetape(tape))
    assert twice == once  # idempotent
    # As `pagetape sanitize` does it, through writer.build with the cassette's own metadata.
    rebuilt, _ = build(read_pagetape(tape), "us-east-1", resanitized=tape)
    assert rebuilt.interactions == once
    # Structure, enums and numbers are kept; list lengths too.
    for raw, clean in zip(pages, once, strict=True):
        jobs = clean.response.body["batchSegmentJobs"]
        assert [j["status"] for j in jobs] == [j["status"] for j in raw]
        assert [j["creationDateTime"] for j in jobs] == [j["creationDateTime"] for j in raw]
        assert [sorted(j) for j in jobs] == [sorted(j) for j in raw]


def test_an_id_the_model_names_keeps_its_format_even_without_a_digit() -> None:
    """A root id of letters only (`r-abcd`, valid by RootId's pattern) cannot be told from a
    word in text, but the model says ParentId is one: it is faked as a root id, and the OU's
    root part gets the same fake."""
    from sanitize_helpers import json11

    exchange = json11(
        "organizations",
        "ListOrganizationalUnitsForParent",
        {"ParentId": "r-abcd"},
        {"OrganizationalUnits": [{"Id": "ou-abcd-wxyzwxyz", "Name": "payroll"}]},
    )
    sanitizer = Sanitizer(TEST_SECRET.encode())
    [out], params = sanitizer.sanitize(
        [exchange], {"ParentId": "r-abcd"}, "organizations", "ListOrganizationalUnitsForParent"
    )
    root = params["ParentId"]
    assert re.fullmatch(r"r-[0-9a-z]{4}", root) and root != "r-abcd"
    assert out.request.body["ParentId"] == root
    [unit] = out.response.body["OrganizationalUnits"]
    assert re.fullmatch(r"ou-[0-9a-z]{4}-[0-9a-z]{8}", unit["Id"])
    assert unit["Id"].split("-")[1] == root[2:]


def test_a_parameter_path_beside_its_value_is_a_name_faked_as_its_arn_is() -> None:
    """An SSM parameter is {Name, Value} like a tag, but its Name is a path that names the
    resource: faked part by part as the same path inside its ARN, not kept as a tag key."""
    from sanitize_helpers import json11

    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/region"
    exchange = json11(
        "ssm",
        "GetParametersByPath",
        {"Path": "/app/prod"},
        {"Parameters": [{"Name": "/app/prod/region", "Value": "eu-west-1", "ARN": arn}]},
    )
    [out], _ = Sanitizer(TEST_SECRET.encode()).sanitize([exchange])
    [param] = out.response.body["Parameters"]
    assert param["Name"] != "/app/prod/region"
    assert param["ARN"].endswith(":parameter" + param["Name"])
    assert out.request.body["Path"] == param["Name"].rsplit("/", 1)[0]
    assert param["Value"] == "eu-west-1"


def test_a_long_camel_case_run_is_judged_in_linear_time() -> None:
    """Base64 user data (`IyEvYmluL2Jhc2g...`) is asked whether it is an operation name: the
    shape check must not backtrack exponentially (a nested repeat took 38 s on 60 characters,
    so this one would never return)."""
    from pagetape.sanitize import vocabulary

    assert not vocabulary.is_public_value("Iy" + "EvYmlu" * 40 + "!")
    assert vocabulary.is_public_value("AssumeRole")


def test_the_name_of_a_resource_that_holds_a_value_is_no_tag_key() -> None:
    """An API Gateway key is {id, name, value, ...}: not a tag, so its name (a person's, here)
    is faked as a name; a tag's Key beside its Value stays."""
    from sanitize_helpers import json11

    key = {"id": "k1x2", "name": "Margarethe Okonkwo key", "value": "q8Zt" * 10, "enabled": True}
    exchange = json11(
        "personalize",
        "ListBatchSegmentJobs",
        {},
        {"batchSegmentJobs": [{"jobName": "j", "tags": [{"Key": "team", "Value": "x"}]}]},
    )
    rest = Interaction(
        service="apigateway",
        operation="GetApiKeys",
        request=Request(
            method="GET", path="/apikeys", query=[("includeValues", "true")], headers={}, body=b""
        ),
        response=Response(
            status=200,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"item": [key]}).encode(),
        ),
    )
    [tagged, keys], _ = Sanitizer(TEST_SECRET.encode()).sanitize([exchange, rest])
    [faked] = keys.response.body["item"]
    assert "Okonkwo" not in faked["name"] and "Margarethe" not in faked["name"]
    assert faked["value"] != key["value"]
    assert tagged.response.body["batchSegmentJobs"][0]["tags"] == [{"Key": "team", "Value": "x"}]


def test_a_date_of_birth_is_faked_as_another_date_wherever_it_sits() -> None:
    """A birth date is a plain date to the vocabulary (dates stay), but under a dob key it is a
    person's datum: a DynamoDB attribute, a Cognito user attribute, a key of JSON in a log."""
    from sanitize_helpers import json11

    item = {"id": {"S": "c-1"}, "dob": {"S": "1984-07-23"}, "since": {"S": "2021-03-04"}}
    scan = Interaction(service="dynamodb", operation="Scan", request=Request(method="POST", path="/", query=[], headers={"Content-Type": "application/x-amz-json-1.0",
                         "X-Amz-Target": "DynamoDB_20120810.Scan"}, body=b'{"TableName": "t"}'), response=Response(status=200, headers={"Content-Type": "application/x-amz-json-1.0"}, body=json.dumps({"Items": [item], "Count": 1}).encode()))  # fmt: skip
    log = json11(
        "personalize", "ListBatchSegmentJobs", {},
        {"batchSegmentJobs": [{"jobName": "j", "failureReason": '{"dob": "23/07/1984"}'}]},
    )  # fmt: skip
    [items, jobs], _ = Sanitizer(TEST_SECRET.encode()).sanitize([scan, log])
    [out] = items.response.body["Items"]
    assert out["dob"]["S"] != "1984-07-23" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", out["dob"]["S"])
    assert out["since"] == {"S": "2021-03-04"}  # a date under any other key stays
    reason = json.loads(jobs.response.body["batchSegmentJobs"][0]["failureReason"])
    assert reason["dob"] != "23/07/1984" and re.fullmatch(r"\d{2}/\d{2}/\d{4}", reason["dob"])


def test_a_setting_in_a_log_line_is_judged_by_its_key() -> None:
    """JSON quoted into a log message that does not parse as a whole, and key=value in prose:
    the value of a password key is a secret whatever its characters, a dob a fake date; the
    keys stay."""
    from pagetape.sanitize.rewrite import Rewriter

    rw = Rewriter(TEST_SECRET.encode())
    line = 'login ok {"user": "x", "dob": "1984-07-23", "password": "Tr0ub&4dor"} pwd=a&b9'
    out = rw.text(line)
    assert '"dob": "' in out and "1984-07-23" not in out
    assert '"password": "pagetape-secret-' in out and "Tr0ub" not in out and "4dor" not in out
    assert "pwd=pagetape-secret-" in out and "a&b9" not in out
