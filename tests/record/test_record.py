"""Recording the seeded operations from the sandbox account: real boto3, real HTTP."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from helpers import RESULT_KEYS, SEEDED, encoded_forms, record_from, token_of
from pagetape.cassette import store as cassette_io
from pagetape.sandbox import Sandbox


def strip_time(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    data["metadata"].pop("recorded_at")
    return data


@pytest.mark.parametrize(("service", "operation", "page_size"), SEEDED)
def test_whole_chain_is_recorded_and_linked(
    sandbox: Sandbox, tmp_path: Path, service: str, operation: str, page_size: int
) -> None:
    expected = sandbox.account.expected_items(service, operation, {})
    result = record_from(sandbox, service, operation, tmp_path / "c.json", page_size)
    tape = cassette_io.load(result.path)

    pages = math.ceil(len(expected) / page_size)
    assert pages >= 3
    assert (result.pages, result.items) == (pages, len(expected))
    assert (tape.metadata.pages, tape.metadata.items) == (pages, len(expected))
    assert len(tape.interactions) == pages
    key = RESULT_KEYS[operation]
    recorded = [item for i in tape.interactions for item in i.response.body[key]]
    # Sanitized, yet structure, enums and timestamps are kept, in the same order.
    assert [item["status"] for item in recorded] == [item["status"] for item in expected]
    assert [sorted(item) for item in recorded] == [sorted(item) for item in expected]

    first = tape.interactions[0].request
    assert token_of(first.body, first.query) is None
    for earlier, later in zip(tape.interactions, tape.interactions[1:], strict=False):
        out = earlier.response.body["nextToken"]
        assert out and out == token_of(later.request.body, later.request.query)
    assert "nextToken" not in tape.interactions[-1].response.body


def _filters(sandbox: Sandbox) -> list[tuple[str, str, dict[str, Any], int]]:
    acct = sandbox.account
    fraud = acct.expected_items("frauddetector", "GetBatchPredictionJobs", {})
    segments = acct.expected_items("personalize", "ListBatchSegmentJobs", {})
    deletions = acct.expected_items("personalize", "ListDataDeletionJobs", {})
    audiences = acct.expected_items("cleanroomsml", "ListAudienceGenerationJobs", {})
    return [
        ("frauddetector", "GetBatchPredictionJobs", {"jobId": fraud[3]["jobId"]}, 10),
        (
            "personalize",
            "ListBatchSegmentJobs",
            {"solutionVersionArn": segments[0]["solutionVersionArn"]},
            3,
        ),
        (
            "personalize",
            "ListDataDeletionJobs",
            {"datasetGroupArn": deletions[0]["datasetGroupArn"]},
            3,
        ),
        (
            "cleanroomsml",
            "ListAudienceGenerationJobs",
            {
                "collaborationId": audiences[0]["collaborationId"],
                "configuredAudienceModelArn": audiences[0]["configuredAudienceModelArn"],
            },
            2,
        ),
        (
            "bedrock",
            "ListModelImportJobs",
            {"statusEquals": "Completed", "sortBy": "CreationTime", "sortOrder": "Ascending"},
            3,
        ),
        (
            "bedrock",
            "ListModelImportJobs",
            {"nameContains": "globex", "creationTimeAfter": "2024-03-01T00:00:00Z"},
            2,
        ),
    ]


@pytest.mark.parametrize("index", range(6))
def test_filters_select_what_the_account_holds(
    sandbox: Sandbox, tmp_path: Path, index: int
) -> None:
    service, operation, params, page_size = _filters(sandbox)[index]
    expected = sandbox.account.expected_items(service, operation, params)
    assert len(expected) > 0
    result = record_from(sandbox, service, operation, tmp_path / "c.json", page_size, params)
    assert result.items == len(expected)
    assert result.pages == max(1, math.ceil(len(expected) / page_size))
    tape = cassette_io.load(result.path)
    key = RESULT_KEYS[operation]
    recorded = [item for i in tape.interactions for item in i.response.body[key]]
    assert [item.get("status") for item in recorded] == [item.get("status") for item in expected]
    # The sanitized filter in the metadata is what a test passes: it is the value the items carry.
    for name, value in tape.metadata.params.items():
        assert name in params
        if name in recorded[0] and isinstance(value, str):
            assert {item[name] for item in recorded} == {value}
            assert value != params[name]
    # Every page's request carries the same (sanitized) filters.
    for interaction in tape.interactions:
        req = interaction.request
        sent = req.body if isinstance(req.body, dict) else dict(req.query)
        for name in ("jobId", "solutionVersionArn", "datasetGroupArn", "collaborationId"):
            if name in params:
                assert sent[name] == tape.metadata.params[name]


def test_throttled_recording_equals_unthrottled(sandbox: Sandbox, tmp_path: Path) -> None:
    calm = record_from(sandbox, "personalize", "ListBatchSegmentJobs", tmp_path / "a.json", 10)
    before = sandbox.request_count
    sandbox.faults.throttle_every = 3
    stormy = record_from(sandbox, "personalize", "ListBatchSegmentJobs", tmp_path / "b.json", 10)
    assert sandbox.request_count - before > stormy.pages  # retries really happened
    assert strip_time(calm.path) == strip_time(stormy.path)


def test_server_errors_are_retried_and_leave_no_trace(sandbox: Sandbox, tmp_path: Path) -> None:
    calm = record_from(sandbox, "bedrock", "ListModelImportJobs", tmp_path / "a.json", 10)
    sandbox.faults.error_every = 2
    shaky = record_from(sandbox, "bedrock", "ListModelImportJobs", tmp_path / "b.json", 10)
    assert strip_time(calm.path) == strip_time(shaky.path)


def test_two_recordings_differ_only_in_recorded_at(sandbox: Sandbox, tmp_path: Path) -> None:
    a = record_from(sandbox, "cleanroomsml", "ListAudienceGenerationJobs", tmp_path / "a.json", 10)
    b = record_from(sandbox, "cleanroomsml", "ListAudienceGenerationJobs", tmp_path / "b.json", 10)
    lines_a = a.path.read_text().splitlines()
    lines_b = b.path.read_text().splitlines()
    differing = [(x, y) for x, y in zip(lines_a, lines_b, strict=True) if x != y]
    assert all('"recorded_at"' in x for x, _ in differing)


def test_different_secret_gives_different_pseudonyms(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = record_from(sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "a.json", 10)
    monkeypatch.setenv("PAGETAPE_SECRET", "another-secret")
    b = record_from(sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "b.json", 10)
    job_a = cassette_io.load(a.path).interactions[0].response.body["batchPredictions"][0]
    job_b = cassette_io.load(b.path).interactions[0].response.body["batchPredictions"][0]
    assert job_a["jobId"] != job_b["jobId"]
    assert job_a["status"] == job_b["status"]


@pytest.mark.parametrize(("service", "operation", "page_size"), SEEDED)
def test_no_planted_value_reaches_disk(
    sandbox: Sandbox, tmp_path: Path, service: str, operation: str, page_size: int
) -> None:
    result = record_from(sandbox, service, operation, tmp_path / "c.json", page_size)
    data = result.path.read_text()
    planted = sandbox.account.planted_values()
    leaks = [v for v in planted for form in encoded_forms(v) if len(form) >= 6 and form in data]
    assert leaks == []
    # The sandbox credentials never reach the cassette either.
    assert "AKIASANDBOX" not in data and "Authorization" not in data.lower().title()


def test_refuses_to_overwrite_without_force(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    out.write_text("precious")
    from pagetape.errors import CassetteExistsError

    with pytest.raises(CassetteExistsError, match="--force"):
        record_from(sandbox, "personalize", "ListDataDeletionJobs", out, 5)
    assert out.read_text() == "precious"
    record_from(sandbox, "personalize", "ListDataDeletionJobs", out, 5, force=True)
    assert cassette_io.load(out).metadata.pages == 4


def test_max_pages_stops_early(sandbox: Sandbox, tmp_path: Path) -> None:
    result = record_from(
        sandbox, "personalize", "ListBatchSegmentJobs", tmp_path / "c.json", 5, max_pages=2
    )
    tape = cassette_io.load(result.path)
    assert result.pages == 2 and result.items == 10
    assert tape.interactions[-1].response.body["nextToken"]


def test_record_errors_keeps_the_failing_call(sandbox: Sandbox, tmp_path: Path) -> None:
    from pagetape.errors import RecordingError

    params = {"jobId": "no-such-job"}
    with pytest.raises(RecordingError, match="ResourceNotFoundException"):
        record_from(
            sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "a.json", params=params
        )
    assert not (tmp_path / "a.json").exists()
    result = record_from(
        sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "b.json",
        params=params, record_errors=True,
    )  # fmt: skip
    tape = cassette_io.load(result.path)
    assert tape.metadata.error and tape.metadata.error.startswith("ResourceNotFoundException")
    assert tape.interactions[-1].response.status == 400
    assert "no-such-job" not in result.path.read_text()
