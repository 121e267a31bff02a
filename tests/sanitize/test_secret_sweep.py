"""Whatever the secret, what the sanitizer writes passes `verify` and keeps every format: fakes
are random-looking, so a rule that works for one secret may not for another (a fake UUID whose
last group is all digits once looked like an account id)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from helpers import SANDBOX_KEY, SEEDED
from pagetape.aws.specs import snake_case
from pagetape.cassette.store import Interaction
from pagetape.record.capture import Capture, tag_operation
from pagetape.sandbox import Sandbox
from pagetape.sanitize import writer
from pagetape.verify.lint import verify_file


@pytest.fixture(scope="module")
def exchanges() -> Iterator[list[Interaction]]:
    """The five seeded chains, captured once from the sandbox with real boto3 and HTTP."""
    with Sandbox() as sandbox, Capture() as capture:
        for service, operation, page_size in SEEDED:
            client = boto3.client(
                service, endpoint_url=sandbox.endpoint_url, region_name="us-east-1",
                aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
            )  # fmt: skip
            client.meta.events.register("before-call", tag_operation)
            call = getattr(client, snake_case(operation))
            page = call(maxResults=page_size)
            while page.get("nextToken"):
                page = call(maxResults=page_size, nextToken=page["nextToken"])
    yield capture.exchanges()


@pytest.mark.parametrize("secret", [f"sweep-{i}" for i in range(25)])
def test_any_secret_writes_a_clean_cassette(
    exchanges: list[Interaction], secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGETAPE_SECRET", secret)
    assert len(exchanges) == 17
    tape, sanitizer = writer.build(exchanges, "us-east-1")
    target = tmp_path / "all.json"
    writer.write(target, tape, sanitizer)  # the leak check passes
    assert [str(f) for f in verify_file(target)] == []
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    jobs = [
        job
        for i in tape.interactions
        if i.operation == "ListAudienceGenerationJobs"
        for job in i.response.body["audienceGenerationJobs"]
    ]
    assert len(jobs) == 27
    for job in jobs:
        assert uuid.match(job["collaborationId"]), job["collaborationId"]
        assert uuid.match(job["audienceGenerationJobArn"].rsplit("/", 1)[1])


def test_uuid_ending_in_twelve_digits_stays_one_uuid() -> None:
    """Its last group looks like an account id; it must not be split and faked in two parts."""
    from pagetape.sanitize.walker import Sanitizer

    real = "6f0cb8ed-3c62-4047-9573-787119649627"
    sanitizer = Sanitizer(b"any-secret")
    assert sanitizer.text(f"collaboration {real} failed") != f"collaboration {real} failed"
    fake = sanitizer.text(real)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fake)
    assert "787119649627" not in fake
