"""Replaying the shipped cassettes the way users write their code, and the engine under it."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.exceptions import ClientError

from helpers import SANDBOX_KEY, record_from
from pagetape.aws.isolation import isolated_environment
from pagetape.aws.specs import botocore_session
from pagetape.cassette import store as cassette_io
from pagetape.errors import NotExhaustedError, ReplayMissError
from pagetape.replay.engine import Tape, load_index
from pagetape.sandbox import Sandbox
from replay_helpers import (
    CASSETTES,
    SHIPPED,
    USER_CODE,
    assert_same_as_sandbox,
    audience_generation_jobs,
    batch_prediction_jobs,
    batch_segment_jobs,
    blocked_network,
    data_deletion_jobs,
    model_import_jobs,
    timestamp_members,
    write_cassette,
)

SEGMENTS = CASSETTES / "personalize" / "list_batch_segment_jobs.json"


def _check_whole_chain(pagetape: Tape, name: str, jobs: list[dict[str, Any]]) -> None:
    assert_same_as_sandbox(jobs, name)
    pages = SHIPPED[name][4]
    assert len(pagetape.calls) == pages
    assert [c.interaction for c in pagetape.calls] == list(range(pages))
    pagetape.assert_exhausted()


@pytest.mark.pagetape("bedrock/list_model_import_jobs")
def test_bedrock_model_import_jobs_paginator(pagetape: Tape) -> None:
    client = boto3.client("bedrock")
    _check_whole_chain(pagetape, "bedrock/list_model_import_jobs", model_import_jobs(client))


@pytest.mark.pagetape("cleanroomsml/list_audience_generation_jobs.json")
def test_cleanroomsml_audience_generation_jobs_paginator(pagetape: Tape) -> None:
    client = boto3.client("cleanroomsml")
    name = "cleanroomsml/list_audience_generation_jobs"
    _check_whole_chain(pagetape, name, audience_generation_jobs(client))


@pytest.mark.pagetape("personalize/list_batch_segment_jobs")
def test_personalize_batch_segment_jobs_paginator(pagetape: Tape) -> None:
    client = pagetape.client()
    name = "personalize/list_batch_segment_jobs"
    _check_whole_chain(pagetape, name, batch_segment_jobs(client))


@pytest.mark.pagetape("frauddetector/get_batch_prediction_jobs")
def test_frauddetector_batch_prediction_jobs_token_loop(pagetape: Tape) -> None:
    client = boto3.session.Session().client("frauddetector")
    name = "frauddetector/get_batch_prediction_jobs"
    _check_whole_chain(pagetape, name, batch_prediction_jobs(client))


@pytest.mark.pagetape("personalize/list_data_deletion_jobs")
def test_personalize_data_deletion_jobs_token_loop(pagetape: Tape) -> None:
    client = boto3.client("personalize", region_name="eu-west-1")  # any region replays
    name = "personalize/list_data_deletion_jobs"
    _check_whole_chain(pagetape, name, data_deletion_jobs(client))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_replay_parses_like_live(sandbox: Sandbox, name: str) -> None:
    """Same user code, live against the sandbox and replayed: same types, same kept values."""
    service, operation, result_key, *_ = SHIPPED[name]
    live_client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=SANDBOX_KEY[0],
        aws_secret_access_key=SANDBOX_KEY[1],
    )
    live = USER_CODE[name](live_client)
    before = sandbox.request_count
    with Tape.load([CASSETTES / f"{name}.json"]) as tape:
        replayed = USER_CODE[name](tape.client())
    assert sandbox.request_count == before
    assert len(replayed) == len(live)
    stamps = timestamp_members(service, operation, result_key)
    for got, want in zip(replayed, live, strict=True):
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}
        assert {k: got[k] for k in stamps if k in got} == {k: want[k] for k in stamps if k in want}
        assert got["status"] == want["status"]


def test_whole_response_looks_live(sandbox: Sandbox) -> None:
    """Response metadata users check (HTTPStatusCode, RetryAttempts) is there on replay too."""
    live = boto3.client(
        "personalize",
        region_name="us-east-1",
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=SANDBOX_KEY[0],
        aws_secret_access_key=SANDBOX_KEY[1],
    ).list_batch_segment_jobs(maxResults=10)
    with Tape.load([SEGMENTS]) as tape:
        replayed = tape.client().list_batch_segment_jobs(maxResults=10)
    assert set(replayed) == set(live)
    meta = replayed["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == live["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert meta["RetryAttempts"] == live["ResponseMetadata"]["RetryAttempts"] == 0
    assert meta["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"


# -- exhaustion, order ---------------------------------------------------------------------------


@pytest.mark.pagetape("personalize/list_batch_segment_jobs")
def test_reading_only_the_first_page_is_not_exhausted(pagetape: Tape) -> None:
    client = boto3.client("personalize")
    first = client.list_batch_segment_jobs(maxResults=10)
    assert len(first["batchSegmentJobs"]) == 10
    with pytest.raises(NotExhaustedError) as raised:
        pagetape.assert_exhausted()
    message = str(raised.value)
    assert "3 recorded pages were never requested" in message
    for n, token in ((2, "0001"), (3, "0002"), (4, "0003")):
        assert f"interaction {n} (ListBatchSegmentJobs, token pagetape-token-{token})" in message
    assert "first page" not in message


@pytest.mark.pagetape("personalize/list_batch_segment_jobs")
def test_pages_twice_and_out_of_order(pagetape: Tape) -> None:
    client = boto3.client("personalize")
    last = client.list_batch_segment_jobs(maxResults=10, nextToken="pagetape-token-0003")
    first = client.list_batch_segment_jobs(maxResults=10)
    again = client.list_batch_segment_jobs(maxResults=10, nextToken="pagetape-token-0003")
    assert last == again
    assert len(last["batchSegmentJobs"]) == 1 and "nextToken" not in last
    assert first["nextToken"] == "pagetape-token-0001"
    client.list_batch_segment_jobs(maxResults=10, nextToken="pagetape-token-0001")
    assert [c.interaction for c in pagetape.calls] == [3, 0, 3, 1]
    with pytest.raises(NotExhaustedError, match=r"^1 recorded page was never requested: .*0002\)$"):
        pagetape.assert_exhausted()
    client.list_batch_segment_jobs(maxResults=10, nextToken="pagetape-token-0002")
    pagetape.assert_exhausted()
    assert pagetape.calls[-1].params == {"maxResults": 10, "nextToken": "pagetape-token-0002"}


@pytest.mark.pagetape("personalize/list_batch_segment_jobs", "personalize/list_data_deletion_jobs")
def test_several_cassettes_in_one_test(pagetape: Tape) -> None:
    client = boto3.client("personalize")
    assert len(batch_segment_jobs(client)) == 31
    assert len(data_deletion_jobs(client)) == 19
    assert {c.cassette.name for c in pagetape.calls} == {
        "list_batch_segment_jobs.json",
        "list_data_deletion_jobs.json",
    }
    assert pagetape.metadata.operation == "ListBatchSegmentJobs"
    assert pagetape.path == SEGMENTS
    pagetape.assert_exhausted()


# -- errors and misses ---------------------------------------------------------------------------


def test_recorded_error_raises_the_same_client_error(sandbox: Sandbox, tmp_path: Path) -> None:
    result = record_from(
        sandbox,
        "frauddetector",
        "GetBatchPredictionJobs",
        tmp_path / "missing-job.json",
        params={"jobId": "no-such-job"},
        record_errors=True,
    )
    fake_id = result.params["jobId"]
    assert fake_id != "no-such-job"
    live_client = boto3.client(
        "frauddetector",
        region_name="us-east-1",
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=SANDBOX_KEY[0],
        aws_secret_access_key=SANDBOX_KEY[1],
    )
    with pytest.raises(ClientError) as live:
        live_client.get_batch_prediction_jobs(jobId="no-such-job")

    with Tape.load([result.path]) as tape:
        client = tape.client()
        with pytest.raises(client.exceptions.ResourceNotFoundException) as replayed:
            client.get_batch_prediction_jobs(**tape.metadata.params)
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_batch_prediction_jobs(jobId=fake_id)  # twice: same error again
    error = replayed.value.response["Error"]
    assert error["Code"] == live.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Message"] == f"Batch prediction job {fake_id} not found."
    assert error["Message"] == live.value.response["Error"]["Message"].replace(
        "no-such-job", fake_id
    )
    assert f"{error['Code']}: {error['Message']}" == tape.metadata.error
    # Modeled error members are filled in as live (the second parsing pass botocore does).
    assert replayed.value.response["message"] == error["Message"]
    assert replayed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [c.operation for c in tape.calls] == ["GetBatchPredictionJobs"] * 2


@pytest.mark.parametrize("page_size", [None, 1, 25])
def test_any_page_size_gets_the_recorded_pages(page_size: int | None) -> None:
    """Production code calls paginate() without PageSize; the recording used 10."""
    config = {"PageSize": page_size} if page_size else {}
    with Tape.load([SEGMENTS]) as tape:
        paginator = tape.client().get_paginator("list_batch_segment_jobs")
        pages = list(paginator.paginate(PaginationConfig=config))
    assert [len(p["batchSegmentJobs"]) for p in pages] == [10, 10, 10, 1]
    assert tape.misses == [] and len(tape.calls) == 4
    tape.assert_exhausted()


def test_miss_shows_closest_request_and_differing_parameters() -> None:
    arn = "arn:aws:personalize:us-east-1:111122223333:solution/shop/1a2b3c4d"
    with Tape.load([SEGMENTS]) as tape:
        client = tape.client()
        with pytest.raises(ReplayMissError) as raised:
            client.list_batch_segment_jobs(
                maxResults=10, nextToken="pagetape-token-0002", solutionVersionArn=arn
            )
    message = str(raised.value)
    assert "closest recorded: list_batch_segment_jobs.json interaction 3" in message
    assert f"body.solutionVersionArn: asked {arn!r}, recorded (absent)" in message
    assert "maxResults" not in message.partition("differs:")[2]


def test_unknown_operation_names_what_the_cassette_holds() -> None:
    with Tape.load([SEGMENTS]) as tape:
        client = tape.client()
        with pytest.raises(ReplayMissError) as raised:
            client.list_batch_inference_jobs(maxResults=10)
    message = str(raised.value)
    assert "ListBatchInferenceJobs" in message
    assert "holds no ListBatchInferenceJobs calls, only: ListBatchSegmentJobs" in message
    assert "to re-record:" in message


def test_missing_cassette_is_a_cassette_error(tmp_path: Path) -> None:
    from pagetape.errors import CassetteError

    with pytest.raises(CassetteError, match=r"nowhere\.json: no such cassette"):
        Tape.load([tmp_path / "nowhere.json"])


# -- engine --------------------------------------------------------------------------------------


def test_cassette_is_parsed_once_per_content(tmp_path: Path) -> None:
    path = tmp_path / "segments.json"
    path.write_bytes(SEGMENTS.read_bytes())
    first = load_index(path)
    assert load_index(path) is first
    assert Tape.load([path]).indexes[0] is first
    data = json.loads(path.read_bytes())
    data["interactions"] = data["interactions"][:2]
    path.write_text(json.dumps(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_index(path)
    assert second is not first
    assert len(second.entries) == 2


def test_two_threads_replay_the_same_cassette_each_in_its_own_tape() -> None:
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, Any] = {}

    def worker(name: str, page_size_pages: int) -> None:
        try:
            with Tape.load([SEGMENTS]) as tape:
                client = boto3.session.Session().client(
                    "personalize",
                    region_name="us-east-1",
                    aws_access_key_id="a",
                    aws_secret_access_key="b",
                )
                barrier.wait()
                token = None
                for _ in range(page_size_pages):
                    kwargs: dict[str, Any] = {"maxResults": 10}
                    if token:
                        kwargs["nextToken"] = token
                    token = client.list_batch_segment_jobs(**kwargs).get("nextToken")
                barrier.wait()
                results[name] = [c.interaction for c in tape.calls]
        except BaseException as exc:  # surfaced by the assertion below
            results[name] = exc

    threads = [
        threading.Thread(target=worker, args=("whole", 4)),
        threading.Thread(target=worker, args=("half", 2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {"whole": [0, 1, 2, 3], "half": [0, 1]}


def test_no_tape_no_replay() -> None:
    """Outside a tape the hook is inert: the call goes to the (blocked) network."""
    from botocore.exceptions import EndpointConnectionError

    with Tape.load([SEGMENTS]):
        pass
    client = boto3.client(
        "personalize", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with blocked_network() as attempts, pytest.raises(EndpointConnectionError):
        client.list_batch_segment_jobs(maxResults=10)
    assert attempts


def test_client_from_a_default_session_made_before_the_tape() -> None:
    """boto3's default session may predate the tape (made by the code under test)."""
    with isolated_environment("us-east-1"):
        boto3.client("personalize")  # creates boto3.DEFAULT_SESSION outside any tape
        with Tape.load([SEGMENTS]) as tape:
            assert len(batch_segment_jobs(boto3.client("personalize"))) == 31
    assert len(tape.calls) == 4


def test_header_bound_members_parse_as_live(tmp_path: Path) -> None:
    """Header names are case-insensitive on the wire; cassettes store them lower-cased."""
    output = (
        botocore_session()
        .get_service_model("iotsitewise")
        .operation_model("DescribeAssetModel")
        .output_shape
    )
    if output is None or "eTag" not in output.members:
        pytest.skip(f"botocore {botocore.__version__}'s iotsitewise DescribeAssetModel has no eTag")
    path = write_cassette(
        tmp_path / "asset.json",
        "iotsitewise",
        "DescribeAssetModel",
        [
            cassette_io.Interaction(
                operation="DescribeAssetModel",
                request=cassette_io.Request(method="GET", path="/asset-models/model-0000001"),
                response=cassette_io.Response(
                    status=200,
                    headers={"content-type": "application/json", "etag": '"v-7"'},
                    body={
                        "assetModelId": "model-0000001",
                        "assetModelArn": "arn:aws:iotsitewise:us-east-1:123456789012:asset-model/model-0000001",
                        "assetModelName": "pump",
                        "assetModelCreationDate": 1700000000,
                    },
                ),
            )
        ],
        protocol="rest-json",
    )
    with Tape.load([path]) as tape:
        model = tape.client().describe_asset_model(assetModelId="model-0000001")
    assert model["eTag"] == '"v-7"'
    assert isinstance(model["assetModelCreationDate"], datetime)


def test_service_with_several_protocols_parses_with_the_one_botocore_uses(
    tmp_path: Path,
) -> None:
    """cloudwatch lists smithy-rpc-v2-cbor first but botocore talks JSON to it."""
    protocols = botocore_session().get_service_model("cloudwatch").metadata.get("protocols", [])
    if "json" not in protocols:
        pytest.skip(f"botocore {botocore.__version__}'s cloudwatch speaks {protocols} only")
    path = write_cassette(
        tmp_path / "metrics.json",
        "cloudwatch",
        "ListMetrics",
        [
            cassette_io.Interaction(
                operation="ListMetrics",
                request=cassette_io.Request(
                    method="POST",
                    path="/",
                    headers={
                        "content-type": "application/x-amz-json-1.0",
                        "x-amz-target": "GraniteServiceVersion20100801.ListMetrics",
                    },
                    body={"Namespace": "AWS/EC2"},
                ),
                response=cassette_io.Response(
                    status=200,
                    headers={"content-type": "application/x-amz-json-1.0"},
                    body={"Metrics": [{"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}]},
                ),
            )
        ],
    )
    with Tape.load([path]) as tape:
        client = tape.client()
        pages = client.get_paginator("list_metrics").paginate(Namespace="AWS/EC2")
        metrics = [m for page in pages for m in page["Metrics"]]
    assert metrics == [{"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}]


def test_same_request_recorded_twice_answers_in_recorded_order(tmp_path: Path) -> None:
    """Polling: the same request recorded twice with two answers replays both, in order."""

    def poll(status: str) -> cassette_io.Interaction:
        return cassette_io.Interaction(
            operation="ListDataDeletionJobs",
            request=cassette_io.Request(
                method="POST",
                path="/",
                headers={
                    "content-type": "application/x-amz-json-1.1",
                    "x-amz-target": "AmazonPersonalize.ListDataDeletionJobs",
                },
                body={"maxResults": 5},
            ),
            response=cassette_io.Response(
                status=200,
                headers={"content-type": "application/x-amz-json-1.1"},
                body={"dataDeletionJobs": [{"jobName": "erase", "status": status}]},
            ),
        )

    path = write_cassette(
        tmp_path / "poll.json",
        "personalize",
        "ListDataDeletionJobs",
        [poll("CREATE PENDING"), poll("ACTIVE")],
    )
    with Tape.load([path]) as tape:
        client = tape.client()

        def status() -> str:
            return str(
                client.list_data_deletion_jobs(maxResults=5)["dataDeletionJobs"][0]["status"]
            )

        assert status() == "CREATE PENDING"
        with pytest.raises(NotExhaustedError, match=r"interaction 2 \(ListDataDeletionJobs"):
            tape.assert_exhausted()
        assert [status(), status()] == ["ACTIVE", "ACTIVE"]
        tape.assert_exhausted()
    assert [c.interaction for c in tape.calls] == [0, 1, 1]


def test_replayed_responses_are_independent_copies() -> None:
    with Tape.load([SEGMENTS]) as tape:
        client = tape.client()
        first = client.list_batch_segment_jobs(maxResults=10)
        first["batchSegmentJobs"][0]["status"] = "MUTATED"
        first["batchSegmentJobs"].clear()
        second = client.list_batch_segment_jobs(maxResults=10)
    assert len(second["batchSegmentJobs"]) == 10
    assert second["batchSegmentJobs"][0]["status"] != "MUTATED"


def _looping_copy(tmp_path: Path) -> Path:
    """The shipped chain with its last page pointing back at the second page's token."""
    data = json.loads(SEGMENTS.read_text())
    data["interactions"][-1]["response"]["body"]["nextToken"] = "pagetape-token-0001"
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(data))
    return path


def test_a_chain_that_revisits_a_token_stops_with_a_clear_failure(tmp_path: Path) -> None:
    path = _looping_copy(tmp_path)
    with Tape.load([path]) as tape:
        paginator = tape.client().get_paginator("list_batch_segment_jobs")
        with pytest.raises(ReplayMissError) as raised:
            list(paginator.paginate())
    message = str(raised.value)
    assert str(path) in message and "revisits token pagetape-token-0001" in message
    assert "interaction 2" in message


def test_a_hand_written_loop_over_a_looping_chain_stops_too(tmp_path: Path) -> None:
    with Tape.load([_looping_copy(tmp_path)]) as tape:
        client, kwargs, pages = tape.client(), {}, 0
        with pytest.raises(ReplayMissError, match="never end"):
            while pages < 100:  # bounded here only so a regression fails instead of hanging
                page = client.list_batch_segment_jobs(**kwargs)
                pages += 1
                if "nextToken" not in page:
                    break
                kwargs["nextToken"] = page["nextToken"]
    assert pages == 4


def test_walking_the_same_chain_twice_is_no_loop() -> None:
    with Tape.load([SEGMENTS]) as tape:
        paginator = tape.client().get_paginator("list_batch_segment_jobs")
        first = list(paginator.paginate())
        second = list(paginator.paginate())
    assert len(first) == len(second) == 4
