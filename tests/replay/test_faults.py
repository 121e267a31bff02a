"""Injected faults on the shipped cassettes (json and rest-json): real boto3 clients with their
own retry configurations, botocore's own retry handler deciding; what outlasts the retries
raises what botocore raises. XML protocols (S3, EC2, IAM) are in tests/scenarios/test_faults_moto.py."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from pagetape.errors import FaultError
from pagetape.replay import faults
from pagetape.replay.engine import Tape, replay_chain
from pagetape.replay.faults import fault
from replay_helpers import CASSETTES

pytest_plugins = ["pytester"]

SEGMENTS = "personalize/list_batch_segment_jobs"  # json 1.1, 4 pages, no modelled throttle
IMPORTS = "bedrock/list_model_import_jobs"  # rest-json, 3 pages, ThrottlingException 429
AUDIENCES = "cleanroomsml/list_audience_generation_jobs"  # rest-json, InternalServiceException


def _segments(client: Any) -> list[Any]:
    pages = client.get_paginator("list_batch_segment_jobs").paginate()
    return [job for page in pages for job in page["batchSegmentJobs"]]


def _attempts(tape: Tape) -> list[tuple[int, int, str | None]]:
    """(recorded page, attempt, fault) of each request botocore sent."""
    return [(c.interaction + 1, c.attempt, c.fault) for c in tape.calls]


# -- standard mode ---------------------------------------------------------------------------


@pytest.mark.pagetape(SEGMENTS, faults=[fault("throttle", page=2, times=2)])
def test_standard_mode_retries_two_throttles_and_gets_the_whole_chain(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard"}))
    assert len(_segments(client)) == 31
    assert _attempts(pagetape) == [
        (1, 1, None), (2, 1, "throttle"), (2, 2, "throttle"), (2, 3, None), (3, 1, None),
        (4, 1, None),
    ]  # fmt: skip
    # botocore asked for a backoff before each retry (jittered, up to 2 s here); none was slept.
    assert [c.backoff > 0 for c in pagetape.calls] == [False, False, True, True, False, False]
    pagetape.assert_exhausted()


@pytest.mark.pagetape(SEGMENTS, faults=["throttle:2x2"])
def test_a_throttle_that_outlasts_the_attempts_raises_botocores_client_error(
    pagetape: Tape,
) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    with pytest.raises(ClientError) as raised:
        _segments(client)
    error = raised.value.response
    assert error["Error"]["Code"] == "ThrottlingException"  # personalize models none: json's own
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert error["ResponseMetadata"]["RetryAttempts"] == 1
    assert "reached max retries: 1" in str(raised.value)
    assert _attempts(pagetape) == [(1, 1, None), (2, 1, "throttle"), (2, 2, "throttle")]


@pytest.mark.pagetape(SEGMENTS)
def test_faults_last_across_calls_when_the_code_retries_by_itself(pagetape: Tape) -> None:
    pagetape.inject("throttle", page=1, times=2)
    client = pagetape.client(config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    for _ in range(2):
        with pytest.raises(ClientError, match="ThrottlingException"):
            client.list_batch_segment_jobs()
    assert len(client.list_batch_segment_jobs()["batchSegmentJobs"]) == 10
    assert _attempts(pagetape) == [(1, 1, "throttle"), (1, 1, "throttle"), (1, 1, None)]


@pytest.mark.pagetape(IMPORTS, faults=[fault("throttle", page=1, times=9)])
def test_a_modelled_throttle_raises_the_services_own_exception_class(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard"}))
    with pytest.raises(client.exceptions.ThrottlingException) as raised:
        client.list_model_import_jobs()
    # bedrock models ThrottlingException with httpStatusCode 429; standard mode tries 3 times.
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert raised.value.response["message"] == "Rate exceeded"  # the modelled member
    assert [c.attempt for c in pagetape.calls] == [1, 2, 3]


@pytest.mark.pagetape(SEGMENTS, faults=[fault("connection-error", page=3, times=2)])
def test_a_connection_error_is_retried_in_standard_mode(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard"}))
    assert len(_segments(client)) == 31
    assert [(p, a, f) for p, a, f in _attempts(pagetape) if p == 3] == [
        (3, 1, "connection-error"), (3, 2, "connection-error"), (3, 3, None),
    ]  # fmt: skip


@pytest.mark.pagetape(SEGMENTS, faults=[fault("read_timeout", page=1, times=3)])
def test_a_read_timeout_outlasting_the_retries_raises_read_timeout_error(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    with pytest.raises(ReadTimeoutError) as raised:
        client.list_batch_segment_jobs()
    assert "personalize.us-east-1.amazonaws.com" in str(raised.value)
    assert [c.fault for c in pagetape.calls] == ["read-timeout"] * 3


@pytest.mark.pagetape(SEGMENTS, faults=[fault("connection-error", page=1, times=1)])
def test_a_connection_error_without_retries_raises_endpoint_connection_error(
    pagetape: Tape,
) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    with pytest.raises(EndpointConnectionError, match="Could not connect to the endpoint URL"):
        client.list_batch_segment_jobs()


# -- legacy and adaptive modes ---------------------------------------------------------------


@pytest.mark.pagetape(AUDIENCES, faults=[fault("server-error", page=2, times=3)])
def test_legacy_mode_retries_a_modelled_500(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "legacy"}))
    pages = client.get_paginator("list_audience_generation_jobs").paginate()
    assert sum(len(p["audienceGenerationJobs"]) for p in pages) == 27
    assert [c.fault for c in pagetape.calls if c.interaction == 1] == ["server-error"] * 3 + [None]


@pytest.mark.pagetape(AUDIENCES, faults=[fault("server-error", page=1, times=9)])
def test_legacy_mode_raises_the_modelled_500_after_its_attempts(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "legacy", "max_attempts": 2}))
    if "InternalServiceException" not in client.meta.service_model.shape_names:
        pytest.skip(f"botocore {botocore.__version__}'s cleanroomsml models no 500 error")
    with pytest.raises(client.exceptions.InternalServiceException) as raised:
        client.list_audience_generation_jobs()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert len(pagetape.calls) == 3  # legacy max_attempts counts retries: 1 + 2


@pytest.mark.pagetape(IMPORTS, faults=[fault("throttle", page=2, times=2)])
def test_legacy_mode_retries_a_429_throttle(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "legacy"}))
    pages = client.get_paginator("list_model_import_jobs").paginate()
    assert sum(len(p["modelImportJobSummaries"]) for p in pages) == 26


@pytest.mark.pagetape(IMPORTS, faults=[fault("throttle", page=2, times=2)])
def test_a_legacy_client_of_another_service_leaves_the_retry_rules_alone(pagetape: Tape) -> None:
    """botocore merges a legacy client's service policies into the loaded retry data in place:
    an Organizations client made first turned the 429 rule into its own 400 one, and the next
    test's 429 throttle was not retried (one test order in CI)."""
    pagetape.client("organizations", config=Config(retries={"mode": "legacy"}))
    client = pagetape.client(config=Config(retries={"mode": "legacy"}))
    pages = client.get_paginator("list_model_import_jobs").paginate()
    assert sum(len(p["modelImportJobSummaries"]) for p in pages) == 26


@pytest.mark.pagetape(SEGMENTS, faults=[fault("connection-error", page=2, times=2)])
def test_adaptive_mode_retries_a_connection_error(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "adaptive"}))
    assert len(_segments(client)) == 31
    assert len(pagetape.calls) == 6


@pytest.mark.pagetape(SEGMENTS, faults=[fault("unavailable", page=4)])
def test_a_503_is_retried_and_the_recorded_answer_reports_one_retry(pagetape: Tape) -> None:
    client = pagetape.client(config=Config(retries={"mode": "standard"}))
    token = None
    for _ in range(3):
        token = client.list_batch_segment_jobs(**({"nextToken": token} if token else {}))[
            "nextToken"
        ]
    last = client.list_batch_segment_jobs(nextToken=token)
    assert len(last["batchSegmentJobs"]) == 1
    assert last["ResponseMetadata"]["RetryAttempts"] == 1  # botocore counted the retry


# -- where: the Nth request, several faults ---------------------------------------------------


@pytest.mark.pagetape(
    SEGMENTS,
    faults=[fault("throttle", request=3), fault("read-timeout", request=3)],
)
def test_faults_on_one_request_fire_in_order(pagetape: Tape) -> None:
    client = boto3.client("personalize", config=Config(retries={"mode": "standard"}))
    assert len(_segments(client)) == 31
    assert [c.fault for c in pagetape.calls if c.interaction == 2] == [
        "throttle", "read-timeout", None,
    ]  # fmt: skip


# -- async clients ---------------------------------------------------------------------------


def test_an_aiobotocore_client_retries_through_its_own_handler() -> None:
    pytest.importorskip("aiobotocore", reason="async clients: install pagetape[async]")
    import asyncio

    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from pagetape.replay.session import open_tape

    async def walk(retries: dict[str, Any]) -> list[Any]:
        config = AioConfig(retries=retries)
        async with get_session().create_client("personalize", config=config) as client:
            paginator = client.get_paginator("list_batch_segment_jobs")
            return [j async for p in paginator.paginate() for j in p["batchSegmentJobs"]]

    with open_tape([SEGMENTS], CASSETTES, faults=["throttle:2x2"]) as tape:
        assert len(asyncio.run(walk({"mode": "standard"}))) == 31
    assert [c.fault for c in tape.calls] == [None, "throttle", "throttle", None, None, None]
    with (
        open_tape([SEGMENTS], CASSETTES, faults=["connection-error:1x2"]),
        pytest.raises(EndpointConnectionError),
    ):
        asyncio.run(walk({"mode": "standard", "total_max_attempts": 2}))


# -- validation ------------------------------------------------------------------------------


def test_an_unknown_kind_names_the_kinds() -> None:
    with pytest.raises(FaultError, match=r"unknown fault kind 'throtle'; use one of throttle, "):
        fault("throtle", page=1).check()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: fault("throttle"), "exactly one of page=N or request=N"),
        (lambda: fault("throttle", page=1, request=1), "exactly one of"),
        (lambda: fault("throttle", page=0), "count from 1, not 0"),
        (lambda: fault("throttle", page=1, times=0), "times must be 1 or more"),
        (lambda: "throttle-2", "is not KIND:PAGE"),
        (lambda: 3, "faults= takes"),
    ],
)
def test_malformed_faults_are_refused(make: Any, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        faults.coerce(make())


def test_the_text_form_reads_page_request_and_times() -> None:
    assert faults.parse("throttle:2x3") == fault("throttle", page=2, times=3)
    assert faults.parse("server_error:#4") == fault("server-error", request=4)


def test_a_page_beyond_the_chain_is_refused_naming_the_cassette() -> None:
    tape = Tape.load([CASSETTES / f"{SEGMENTS}.json"])
    with pytest.raises(FaultError) as raised:
        tape.inject("throttle", page=5)
    assert str(raised.value).endswith(
        f"{CASSETTES / SEGMENTS}.json holds 4 recorded ListBatchSegmentJobs pages"
    )
    with pytest.raises(FaultError, match="no cassette of the tape holds ListUsers"):
        tape.inject("throttle", page=1, operation="ListUsers")


def test_faults_and_repage_are_refused_together() -> None:
    tape = Tape.load([CASSETTES / f"{SEGMENTS}.json"], repage=True)
    with pytest.raises(FaultError, match="repage=True"):
        tape.inject("throttle", page=1)


def test_a_fault_that_never_fired_fails_the_tape() -> None:
    from pagetape.replay.session import open_tape

    with (
        pytest.raises(FaultError) as raised,
        open_tape([SEGMENTS], CASSETTES, faults=["throttle:4"]) as tape,
    ):
        tape.client().list_batch_segment_jobs()
    assert str(raised.value) == (
        "injected fault never fired: throttle on page 4 (1 time) (1 request was replayed)"
    )


# -- the error bodies, for every service botocore ships -----------------------------------------


def test_every_service_parses_each_fault_to_the_chosen_code() -> None:
    """Each fault kind's response, for every service of the installed botocore, parses with
    botocore's own parser for that protocol to the code and status the catalogue chose."""
    import botocore.session

    from pagetape.aws.catalogue import fault_kinds
    from pagetape.wire import codec

    session = botocore.session.get_session()
    checked = 0
    for name in session.get_available_services():
        service = session.get_service_model(name)
        op = service.operation_model(service.operation_names[0])
        for kind in fault_kinds().values():
            if kind.raises:
                continue
            status, headers, body = faults.error_response(kind, op)
            parsed = codec.parse_response(op, status, headers, body)
            code = parsed["Error"]["Code"]
            expected = {s.error_code for s in service.error_shapes} & set(kind.modeled)
            if name in kind.services:
                assert code == kind.services[name].code, name
            elif expected:
                assert code == next(c for c in kind.modeled if c in expected), name
            else:
                protocol = codec.wire_protocol(service)
                assert code == kind.protocols[protocol].code, (name, protocol)
            assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
            checked += 1
    assert checked > 1000


# -- the CLI ---------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pagetape", *args], capture_output=True, text=True, check=False
    )


def test_cli_replay_injects_a_fault_that_the_default_retries_absorb() -> None:
    # Two throttles: absorbed by every retry mode's default (standard: 3 attempts, legacy: 5).
    done = _cli("replay", str(CASSETTES / f"{SEGMENTS}.json"), "--fault", "throttle:2x2")
    assert done.returncode == 0, done.stderr
    assert "interaction 2, attempt 2: injected throttle" in done.stderr
    assert "replayed 4 pages, 31 items offline" in done.stderr


def test_cli_replay_exits_1_when_the_fault_outlasts_the_retries() -> None:
    done = _cli("replay", str(CASSETTES / f"{IMPORTS}.json"), "--fault", "read-timeout:1x9")
    assert done.returncode == 1
    assert "the injected fault outlasted the retries: ReadTimeoutError" in done.stderr


def test_cli_replay_refuses_a_bad_fault_in_one_sentence() -> None:
    done = _cli("replay", str(CASSETTES / f"{SEGMENTS}.json"), "--fault", "throttle:9")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "holds 4 recorded" in done.stderr
    assert "Traceback" not in done.stderr


def test_replay_chain_reports_the_attempts() -> None:
    result = replay_chain(CASSETTES / f"{SEGMENTS}.json", ["unavailable:1"])
    assert (result.pages, len(result.items), result.error) == (4, 31, None)
    assert [c.fault for c in result.calls[:2]] == ["unavailable", None]


# -- the pytest plugin's messages ------------------------------------------------------------

INNER_INI = "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"


def test_plugin_reports_bad_and_idle_faults_in_one_line(pytester: pytest.Pytester) -> None:
    from replay_helpers import copy_shipped

    pytester.makeini(INNER_INI)
    copy_shipped(pytester.path)
    pytester.makepyfile(
        """
        from pagetape.replay.faults import fault
        import pytest

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs", faults=["throtle:2"])
        def test_unknown_kind():
            pass

        @pytest.mark.pagetape(
            "personalize/list_batch_segment_jobs", faults=[fault("throttle", page=1, times=0)]
        )
        def test_no_times():
            pass

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs", faults=["throttle:7"])
        def test_beyond_the_chain():
            pass

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_idle(pagetape):
            pagetape.inject("server-error", page=3)
            pagetape.client().list_batch_segment_jobs()

        @pytest.mark.pagetape(
            "personalize/list_batch_segment_jobs",
            faults=[fault("throttle", page=1, times=2)],
        )
        def test_fired(pagetape):
            assert pagetape.client().list_batch_segment_jobs()["batchSegmentJobs"]
            assert [c.fault for c in pagetape.calls] == ["throttle", "throttle", None]
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=4)  # test_idle passes, then its teardown fails
    out = result.stdout.str()
    assert "unknown fault kind 'throtle'; use one of throttle, server-error" in out
    assert "fault 'throttle': times must be 1 or more, not 0" in out
    assert "list_batch_segment_jobs.json holds 4 recorded ListBatchSegmentJobs pages" in out
    assert "injected fault never fired: server-error on page 3 (1 time)" in out
    assert "Traceback" not in out and "During handling" not in out


def test_the_readme_example_passes(pytester: pytest.Pytester) -> None:
    import re

    from replay_helpers import ROOT, copy_shipped

    readme = (ROOT / "README.md").read_text()
    (example,) = [
        b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "faults=" in b
    ]
    pytester.makeini(INNER_INI)
    copy_shipped(pytester.path)
    pytester.makepyfile(example)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
