"""Async clients replay like boto3's: aiobotocore and aioboto3 under `@pytest.mark.pagetape`.

Real parts only: the shipped cassettes and cassettes recorded over real HTTP (the sandbox, moto
in server mode, a one-purpose endpoint for an event stream), replayed through real aiobotocore
clients in `async def` tests (pytest-asyncio) and through `asyncio.run` in sync tests.
Paginators, hand-written token loops, `repage`, misses, recorded errors, streaming bodies and
event streams. Needs the `async` extra; without aiobotocore the module is skipped.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

pytest.importorskip("aiobotocore", reason="async clients: install pagetape[async]")
pytest.importorskip("pytest_asyncio", reason="async clients: install pagetape[async]")

from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from helpers import SANDBOX_KEY, answering, record_from
from pagetape.aws.isolation import isolated_environment
from pagetape.errors import ReplayMissError
from pagetape.replay.engine import Tape
from pagetape.replay.session import open_tape
from pagetape.sandbox import Sandbox
from pagetape.wire.eventstream import Header, Message, write_message
from replay_helpers import CASSETTES, assert_same_as_sandbox, blocked_network

SEGMENTS = "personalize/list_batch_segment_jobs"
PREDICTIONS = "frauddetector/get_batch_prediction_jobs"


def _aioboto3() -> Any:
    return pytest.importorskip("aioboto3", reason="aioboto3 is not installed")


# -- paginators and hand-written loops -----------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.pagetape(SEGMENTS)
async def test_an_aiobotocore_paginator_replays_the_chain(pagetape: Tape) -> None:
    async with get_session().create_client("personalize") as client:
        paginator = client.get_paginator("list_batch_segment_jobs")
        pages = [page async for page in paginator.paginate()]
    assert [len(p["batchSegmentJobs"]) for p in pages] == [10, 10, 10, 1]
    assert_same_as_sandbox([j for p in pages for j in p["batchSegmentJobs"]], SEGMENTS)
    pagetape.assert_exhausted()


@pytest.mark.asyncio
@pytest.mark.pagetape(PREDICTIONS)
async def test_an_aioboto3_hand_written_loop_replays_the_chain(pagetape: Tape) -> None:
    """GetBatchPredictionJobs has no botocore paginator: the user's own nextToken loop."""
    aioboto3 = _aioboto3()
    jobs: list[dict[str, Any]] = []
    async with aioboto3.Session().client("frauddetector") as client:
        kwargs: dict[str, Any] = {"maxResults": 10}
        while True:
            page = await client.get_batch_prediction_jobs(**kwargs)
            jobs += page["batchPredictions"]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    assert_same_as_sandbox(jobs, PREDICTIONS)
    pagetape.assert_exhausted()


@pytest.mark.pagetape(SEGMENTS)
def test_asyncio_run_inside_a_sync_test(pagetape: Tape) -> None:
    async def names() -> list[str]:
        async with get_session().create_client("personalize") as client:
            paginator = client.get_paginator("list_batch_segment_jobs")
            return [j["jobName"] async for p in paginator.paginate() for j in p["batchSegmentJobs"]]

    assert len(asyncio.run(names())) == 31
    assert [c.operation for c in pagetape.calls] == ["ListBatchSegmentJobs"] * 4
    pagetape.assert_exhausted()


@pytest.mark.asyncio
@pytest.mark.pagetape(SEGMENTS, repage=True)
async def test_repage_cuts_pages_for_an_async_paginator(pagetape: Tape) -> None:
    aioboto3 = _aioboto3()
    async with aioboto3.Session().client("personalize") as client:
        paginator = client.get_paginator("list_batch_segment_jobs")
        pages = [p async for p in paginator.paginate(PaginationConfig={"PageSize": 3})]
    assert [len(p["batchSegmentJobs"]) for p in pages] == [3] * 10 + [1]
    assert_same_as_sandbox([j for p in pages for j in p["batchSegmentJobs"]], SEGMENTS)
    pagetape.assert_exhausted()


@pytest.mark.asyncio
async def test_an_async_and_a_sync_client_side_by_side() -> None:
    """One tape, both kinds of client, in one event loop: each gets its own kind of answer."""
    with isolated_environment("us-east-1"), Tape.load([CASSETTES / f"{SEGMENTS}.json"]) as tape:
        sync_pages = list(boto3.client("personalize").get_paginator(
            "list_batch_segment_jobs").paginate())  # fmt: skip
        async with get_session().create_client("personalize") as client:
            async_pages = [p async for p in client.get_paginator(
                "list_batch_segment_jobs").paginate()]  # fmt: skip
    for page in (*sync_pages, *async_pages):
        page.pop("ResponseMetadata")
    assert async_pages == sync_pages and len(tape.calls) == 8


# -- misses and recorded errors ------------------------------------------------------------------


def _ask_other_solution(client: Any) -> Any:
    return client.list_batch_segment_jobs(
        solutionVersionArn="arn:aws:personalize:us-east-1:111122223333:solution/shop/1a2b3c4d"
    )


def test_an_async_miss_raises_the_same_error_and_message_as_sync() -> None:
    with isolated_environment("us-east-1"), Tape.load([CASSETTES / f"{SEGMENTS}.json"]) as tape:
        with pytest.raises(ReplayMissError) as sync_miss:
            _ask_other_solution(boto3.client("personalize"))

        async def ask() -> None:
            async with get_session().create_client("personalize") as client:
                await _ask_other_solution(client)

        with pytest.raises(ReplayMissError) as async_miss:
            asyncio.run(ask())
    assert str(async_miss.value) == str(sync_miss.value)
    assert "body.solutionVersionArn: asked 'arn:aws:personalize:" in str(async_miss.value)
    assert "to re-record: pagetape record personalize" in str(async_miss.value)
    assert len(tape.misses) == 2


INNER_MISS = f'''
import pytest
from aiobotocore.session import get_session


@pytest.mark.asyncio
@pytest.mark.pagetape("{SEGMENTS}")
async def test_other_solution():
    async with get_session().create_client("personalize") as client:
        await client.list_batch_segment_jobs(solutionVersionArn="arn:aws:personalize:us-east-1:111122223333:solution/shop/1a2b3c4d")
'''


INNER_INI = (
    "[pytest]\naddopts = -p no:randomly -p no:cacheprovider\n"
    f"asyncio_default_fixture_loop_scope = function\npagetape_cassette_dir = {CASSETTES}\n"
)


def test_an_async_miss_fails_the_test_in_one_short_block(pytester: pytest.Pytester) -> None:
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_inner=INNER_MISS)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "ReplayMissError: no recorded response in" in out
    assert "body.solutionVersionArn: asked 'arn:aws:personalize:" in out
    assert "Traceback" not in out and "aiobotocore/" not in out


def _readme_async_example() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    return next(b for b in blocks if "aiobotocore" in b and "pytest.mark.pagetape" in b)


def test_the_readme_async_example_passes_offline(pytester: pytest.Pytester) -> None:
    if "aioboto3" in _readme_async_example():
        _aioboto3()
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_readme=_readme_async_example())
    with blocked_network() as attempts:
        result = pytester.runpytest("--pagetape-block-network")
    result.assert_outcomes(passed=2)
    assert attempts == []


pytest_plugins = ["pytester"]


@pytest.fixture
def missing_job(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, str]:
    """A recorded ResourceNotFoundException (from the sandbox, over real HTTP)."""
    result = record_from(
        sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "missing-job.json",
        params={"jobId": "no-such-job"}, record_errors=True,
    )  # fmt: skip
    return result.path, result.params["jobId"]


@pytest.mark.asyncio
async def test_a_recorded_error_raises_the_async_clients_client_error(
    missing_job: tuple[Path, str],
) -> None:
    path, fake_id = missing_job
    with isolated_environment("us-east-1"), Tape.load([path]) as tape:
        async with get_session().create_client("frauddetector") as client:
            with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
                await client.get_batch_prediction_jobs(jobId=fake_id)
            with pytest.raises(ClientError):
                await client.get_batch_prediction_jobs(jobId=fake_id)  # twice: same error
    error = raised.value.response["Error"]
    assert error == {"Code": "ResourceNotFoundException", "Message": error["Message"]}
    assert f"{error['Code']}: {error['Message']}" == tape.metadata.error
    assert raised.value.response["message"] == error["Message"]  # the modeled member, as live
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- streaming bodies ----------------------------------------------------------------------------

BUCKET = "acme-ledger-exports"
KEY = "2024/ledger.csv"
LEDGER = b"".join(b"invoice-%04d,%d.00\n" % (n, n * 7) for n in range(300))  # ~6 KB


@pytest.fixture
def ledger(moto_url: str, tmp_path: Path) -> Iterator[Path]:
    """An S3 GetObject recorded from moto over real HTTP (a sync client, record mode `once`);
    yields the cassette dir, the tape's environment active."""
    s3 = boto3.client(
        "s3", endpoint_url=moto_url, region_name="us-east-1",
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=LEDGER)
    with open_tape(["s3/ledger"], tmp_path, mode="once"):
        assert s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == LEDGER
        assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None
    assert (tmp_path / "s3/ledger.json").exists()
    yield tmp_path


def _fake_ledger(text: bytes) -> None:
    """The body came back whole: every line, each a sanitized form of the recorded line."""
    lines = text.splitlines()
    assert len(lines) == 300 and len(text) == len(LEDGER)


@pytest.mark.asyncio
@pytest.mark.moto
async def test_a_streaming_body_is_aiobotocores_own(ledger: Path) -> None:
    from aiobotocore import response

    with open_tape(["s3/ledger"], ledger) as tape:
        async with get_session().create_client("s3") as s3:
            got = await s3.get_object(Bucket=BUCKET, Key=KEY)
            body = got["Body"]
            assert isinstance(body, response.StreamingBody)
            assert got["ContentLength"] == len(LEDGER)
            whole = await body.read()
            assert await body.read() == b""  # consumed, as live

            chunks = [c async for c in (await s3.get_object(Bucket=BUCKET, Key=KEY))[
                "Body"].iter_chunks(1000)]  # fmt: skip
            lines = [line async for line in (await s3.get_object(Bucket=BUCKET, Key=KEY))[
                "Body"].iter_lines()]  # fmt: skip
            async with (await s3.get_object(Bucket=BUCKET, Key=KEY))["Body"] as stream:
                within = await stream.read()
            first = (await s3.get_object(Bucket=BUCKET, Key=KEY))["Body"]
            head = await first.read(10)
            rest = await first.read()
    _fake_ledger(whole)
    assert [len(c) for c in chunks] == [1000] * (len(LEDGER) // 1000) + [len(LEDGER) % 1000]
    assert b"".join(chunks) == whole == within == head + rest
    assert lines == whole.splitlines()
    assert len(tape.calls) == 5


@pytest.mark.asyncio
@pytest.mark.moto
async def test_handlers_that_await_the_http_body_get_an_async_response(ledger: Path) -> None:
    """aiobotocore's GetBucketLocation handler does `await http_response.content`: a sync
    botocore response there is a TypeError (bytes are not awaitable)."""
    with open_tape(["s3/ledger"], ledger) as tape:
        async with get_session().create_client("s3") as s3:
            got = await s3.get_bucket_location(Bucket=BUCKET)
    assert got["LocationConstraint"] is None
    assert [c.operation for c in tape.calls] == ["GetBucketLocation"]


@pytest.mark.moto
def test_a_sync_client_still_gets_botocores_body(ledger: Path) -> None:
    from botocore.response import StreamingBody

    with open_tape(["s3/ledger"], ledger):
        body = boto3.client("s3").get_object(Bucket=BUCKET, Key=KEY)["Body"]
        assert type(body) is StreamingBody
        _fake_ledger(body.read())


# -- event streams -------------------------------------------------------------------------------

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Summarise the invoice run."}]}]
STREAM_TYPE = "application/vnd.amazon.eventstream"


def _event(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = (
        Header(":event-type", 7, event_type),
        Header(":content-type", 7, "application/json"),
        Header(":message-type", 7, "event"),
    )
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return write_message(Message(headers, text.encode()))


CONVERSE_STREAM = b"".join(
    [
        _event("messageStart", {"p": "abcdefgh", "role": "assistant"}),
        _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "The run "},
                                     "p": "abcd"}),
        _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "finished."},
                                     "p": "abcdefghij"}),
        _event("contentBlockStop", {"contentBlockIndex": 0, "p": "abc"}),
        _event("messageStop", {"p": "abcd", "stopReason": "end_turn"}),
        _event("metadata", {"metrics": {"latencyMs": 412}, "p": "ab",
                            "usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}}),
    ]
)  # fmt: skip


@pytest.fixture
def converse(tmp_path: Path) -> Path:
    """A Bedrock ConverseStream recorded over real HTTP from a one-purpose endpoint (moto has no
    Bedrock runtime), with a sync client, record mode `once`."""
    headers = {"x-amzn-RequestId": "6f1b2c3d-0000-4000-8000-1234567890ab"}
    with answering(lambda path: (STREAM_TYPE, CONVERSE_STREAM, headers)) as url:
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=url,
            aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
        )  # fmt: skip
        with open_tape(["bedrock/converse"], tmp_path, mode="once"):
            live = list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    assert len(live) == 6
    return tmp_path


def _text(events: list[dict[str, Any]]) -> str:
    return "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                   if "contentBlockDelta" in e)  # fmt: skip


@pytest.mark.asyncio
async def test_an_event_stream_is_aiobotocores_own(converse: Path) -> None:
    from aiobotocore.eventstream import AioEventStream

    with open_tape(["bedrock/converse"], converse) as tape:
        sync_events = list(
            boto3.client("bedrock-runtime").converse_stream(modelId=MODEL, messages=MESSAGES)[
                "stream"
            ]
        )
        async with get_session().create_client("bedrock-runtime") as client:
            got = await client.converse_stream(modelId=MODEL, messages=MESSAGES)
            assert isinstance(got["stream"], AioEventStream)
            events = [event async for event in got["stream"]]
    assert events == sync_events
    assert [next(iter(e)) for e in events] == [
        "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
        "messageStop", "metadata",
    ]  # fmt: skip
    assert _text(events) == "The run finished."
    assert events[-1]["metadata"]["usage"]["totalTokens"] == 13
    tape.assert_exhausted()


SELECT = {
    "Expression": "select * from s3object",
    "ExpressionType": "SQL",
    "InputSerialization": {"CSV": {"FileHeaderInfo": "USE"}},
    "OutputSerialization": {"JSON": {}},
}


@pytest.mark.asyncio
@pytest.mark.moto
async def test_an_s3_select_event_stream_replays_for_an_async_client(
    moto_url: str, tmp_path: Path
) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=moto_url, region_name="us-east-1",
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    bucket = "acme-select-people"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="people.csv", Body=b"name,amount\nalice,1\nbob,2\n")
    with open_tape(["s3/select"], tmp_path, mode="once"):
        live = list(s3.select_object_content(Bucket=bucket, Key="people.csv", **SELECT)["Payload"])
    with open_tape(["s3/select"], tmp_path):
        async with get_session().create_client("s3") as client:
            got = await client.select_object_content(Bucket=bucket, Key="people.csv", **SELECT)
            events = [event async for event in got["Payload"]]
    assert [next(iter(e)) for e in events] == [next(iter(e)) for e in live]
    # Stats is an XML payload (rest-xml): walked by its shape, numbers only, kept. It was faked
    # as free text, tags included, and no client could parse it.
    assert events[1] == live[1]
    with open_tape(["s3/select"], tmp_path):
        again = list(s3.select_object_content(Bucket=bucket, Key="people.csv", **SELECT)["Payload"])
    assert again[1] == live[1]
