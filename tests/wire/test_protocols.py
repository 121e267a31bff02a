"""Beyond the seeded JSON operations: S3 (rest-xml, a literal query in its URI, IsTruncated,
path-style endpoints) recorded from moto in server mode and replayed offline; mixed traffic in a
capture; names with spaces and keys the model does not know."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from helpers import SANDBOX_KEY, hand_made
from pagetape.aws.isolation import isolated_environment
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.record.capture import Capture, tag_operation
from pagetape.record.recording import RecordRequest, plan, record
from pagetape.replay.engine import Tape
from pagetape.sandbox import Sandbox
from pagetape.sanitize.walker import Sanitizer
from pagetape.verify.lint import verify_file

KEYS = [f"home/alice-smith/report-{i}.pdf" for i in range(5)]


def _s3(url: str | None = None) -> Any:
    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip


@pytest.fixture(scope="module")
def bucket(moto_url: str) -> str:
    s3 = _s3(moto_url)
    s3.create_bucket(Bucket="acme-private-exports")
    for key in KEYS:
        s3.put_object(Bucket="acme-private-exports", Key=key, Body=b"x")
    return "acme-private-exports"


@pytest.mark.parametrize("operation", ["ListObjectsV2", "ListObjects"])
def test_s3_listing_records_sanitizes_and_replays(
    moto_url: str, bucket: str, tmp_path: Path, operation: str
) -> None:
    out = tmp_path / "s3.json"
    request = RecordRequest(
        service="s3", operation=operation, pairs=[f"Bucket={bucket}"], page_size=2,
        region="us-east-1", endpoint_url=moto_url, output=str(out), credentials=SANDBOX_KEY,
    )  # fmt: skip
    result = record(plan(request))
    # IsTruncated=false ends the chain: no empty fourth page.
    assert (result.pages, result.items) == (3, 5)
    data = out.read_text()
    assert "alice" not in data and bucket not in data and "acme" not in data
    assert verify_file(out) == []
    fake_bucket = result.params["Bucket"]
    # Replayed with the default (virtual-host) addressing, not the recording's path style.
    with isolated_environment("us-east-1"), Tape.load([out]) as tape:
        pages = (
            _s3()
            .get_paginator(
                operation.replace("ListObjects", "list_objects").lower().replace("v2", "_v2")
            )
            .paginate(Bucket=fake_bucket, PaginationConfig={"PageSize": 2})
        )
        keys = [obj["Key"] for page in pages for obj in page["Contents"]]
        tape.assert_exhausted()
    assert len(keys) == 5
    assert all(k.count("/") == 2 and k.endswith(".pdf") and "alice" not in k for k in keys)


def test_only_botocore_traffic_is_captured() -> None:
    with Sandbox() as sandbox, Capture() as capture:
        client = boto3.client(
            "personalize", endpoint_url=sandbox.endpoint_url, region_name="us-east-1",
            aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
        )  # fmt: skip
        client.meta.events.register("before-call", tag_operation)
        client.list_data_deletion_jobs(maxResults=5)
        with pytest.raises(urllib.error.HTTPError):  # the sandbox refuses it: unsigned
            urllib.request.urlopen(sandbox.endpoint_url + "/some/other/api", timeout=10)
    exchanges = capture.exchanges()
    assert [(x.operation, x.request.path) for x in exchanges] == [("ListDataDeletionJobs", "/")]


def _exchange(body: dict[str, Any], status: int = 200) -> Interaction:
    return Interaction(
        service="cleanroomsml",
        operation="ListAudienceGenerationJobs",
        request=Request(
            method="GET", path="/audience-generation-job", query=[], headers={}, body=b""
        ),
        response=Response(
            status=status,
            headers={"content-type": "application/json"},
            body=json.dumps(body).encode(),
        ),
    )


def test_names_with_spaces_and_unmodelled_keys_are_sanitized() -> None:
    job = {
        "name": "ACME Q3 lookalikes",
        "description": "Built for ACME by the growth team.",
        "status": "ACTIVE",
        "futureField": {"bob.jones@acme-corp.com": "owner", "210987654321": "account"},
    }
    error = {"message": "denied", "bob.jones@acme-corp.com": "x"}
    sanitizer = Sanitizer(b"secret-for-this-test")
    out, _ = sanitizer.sanitize(
        [_exchange({"audienceGenerationJobs": [job]}), _exchange(error, 403)]
    )
    text = json.dumps([i.response.body for i in out])
    for real in ("ACME", "lookalikes", "bob.jones", "acme-corp", "210987654321"):
        assert real not in text, real
    name = out[0].response.body["audienceGenerationJobs"][0]["name"]
    assert len(name) == len(job["name"]) and name.count(" ") == 2
    tape = hand_made(out, "cleanroomsml", "ListAudienceGenerationJobs", fakes=sanitizer.fakes())
    data = cassette_io.encode(tape)
    sanitizer.check_leaks(data)
