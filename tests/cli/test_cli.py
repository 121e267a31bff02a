"""The `pagetape` command as a user runs it: real subprocess, real sandbox over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import answering
from pagetape.cassette import store as cassette_io
from pagetape.sandbox import Sandbox
from replay_helpers import ROOT

BAD_INPUT = [
    (["record", "personalise", "list-batch-segment-jobs"], "did you mean personalize"),
    (["record", "personalize", "list-batch-segment-job"], "did you mean ListBatchSegmentJobs"),
    (["record", "personalize", "describe-schema"], "no paginator"),
    (["record", "personalize", "list_batch_segment_jobs", "-p", "colour=red"], "valid parameters"),
    (["record", "personalize", "ListBatchSegmentJobs", "-p", "solutionVersionArn"], "NAME=VALUE"),
    (["record", "personalize", "ListBatchSegmentJobs", "--page-size", "101"], "1..100"),
    (["record", "frauddetector", "GetBatchPredictionJobs", "--page-size", "0"], "1..50"),
    (["record", "personalize", "ListBatchSegmentJobs", "-p", "maxResults=5"], "--page-size"),
    (["record", "bedrock", "ListModelImportJobs", "-p", "creationTimeAfter=soon"], "ISO-8601"),
    (["record", "bedrock", "ListModelImportJobs", "-p", "statusEquals=Lost"], "statusEquals"),
    (["record", "bedrock", "ListModelImportJobs", "--params", "{not json"], "not valid JSON"),
    (["record", "personalize", "ListBatchSegmentJobs", "--page-size", "many"], "--page-size"),
    (["record"], "Missing argument"),
    (["show", "nowhere.json"], "no such cassette"),
    (["frobnicate"], "No such command"),
]


@pytest.mark.parametrize(("args", "says"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_2(cli, args: list[str], says: str) -> None:
    result = (
        cli(*args, "--region", "us-east-1") if args[0] == "record" and len(args) > 1 else cli(*args)
    )
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_record_prints_summary_and_writes_default_path(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    result = cli(
        "record", "personalize", "list-data-deletion-jobs", "--page-size", "5",
        "--region", "us-east-1", "--endpoint-url", sandbox.endpoint_url,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    path = tmp_path / "cassettes" / "personalize" / "list_data_deletion_jobs.json"
    assert cassette_io.load(path).metadata.pages == 4
    assert "4 pages, 19 items" in result.stdout
    assert "cassettes/personalize/list_data_deletion_jobs.json" in result.stdout
    assert "params for tests: {}" in result.stdout


def test_endpoint_from_environment(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    result = cli(
        "record", "frauddetector", "GetBatchPredictionJobs", "--page-size", "10", "-o", "f.json",
        env={"AWS_ENDPOINT_URL": sandbox.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1"},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert cassette_io.load(tmp_path / "f.json").metadata.items == 23


def test_typed_parameters_reach_the_service(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    params = {"creationTimeBefore": "2024-07-01T00:00:00+00:00", "sortOrder": "Ascending"}
    expected = sandbox.account.expected_items("bedrock", "ListModelImportJobs", params)
    result = cli(
        "record", "bedrock", "ListModelImportJobs", "-p", "creationTimeBefore=2024-07-01T00:00:00Z",
        "--params", '{"sortOrder": "Ascending"}', "--page-size", "4", "-o", "b.json",
        "--region", "us-east-1", "--endpoint-url", sandbox.endpoint_url,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    tape = cassette_io.load(tmp_path / "b.json")
    assert tape.metadata.items == len(expected) > 0
    assert tape.metadata.params == {
        "creationTimeBefore": "2024-07-01T00:00:00+00:00",
        "sortOrder": "Ascending",
    }
    assert ("creationTimeBefore", "2024-07-01T00:00:00Z") in tape.interactions[0].request.query


def test_server_dying_mid_chain_keeps_the_old_cassette(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    out = tmp_path / "keep" / "c.json"
    out.parent.mkdir()
    out.write_bytes(b'{"precious": true}\n')
    sandbox.faults.fail_after = 2
    result = cli(
        "record", "personalize", "ListBatchSegmentJobs", "--page-size", "5", "-o", str(out),
        "--force", "--max-attempts", "2", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url,
    )  # fmt: skip
    assert result.code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "page 3" in result.stderr and "nothing was written" in result.stderr
    assert out.read_bytes() == b'{"precious": true}\n'
    assert sorted(p.name for p in out.parent.iterdir()) == ["c.json"]


def test_missing_credentials_and_region(cli, sandbox: Sandbox) -> None:
    no_region = cli(
        "record", "personalize", "ListBatchSegmentJobs", "--endpoint-url", sandbox.endpoint_url
    )
    assert no_region.code == 2 and "region" in no_region.stderr
    no_keys = cli(
        "record", "personalize", "ListBatchSegmentJobs", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url, keys=False,
    )  # fmt: skip
    assert no_keys.code == 2 and "credentials" in no_keys.stderr


def test_access_denied_is_exit_1(cli, sandbox: Sandbox) -> None:
    result = cli(
        "record", "cleanroomsml", "ListAudienceGenerationJobs", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url,
        env={"AWS_ACCESS_KEY_ID": "AKIADENIED0000000000"},
    )  # fmt: skip
    assert result.code == 1
    assert "AccessDeniedException" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def looping_server() -> Iterator[str]:
    """A broken service that hands out the same nextToken forever."""
    body = json.dumps({"dataDeletionJobs": [], "nextToken": "again"}).encode()
    with answering(lambda path: ("application/x-amz-json-1.1", body, {})) as url:
        yield url


def test_repeated_token_stops_the_chain(cli, looping_server: str, tmp_path: Path) -> None:
    result = cli(
        "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
        "--endpoint-url", looping_server, "-o", "loop.json",
    )  # fmt: skip
    assert result.code == 1
    assert "same pagination token twice" in result.stderr
    assert not (tmp_path / "loop.json").exists()


def test_show_json_has_the_contract_keys(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    recorded = cli(
        "record", "cleanroomsml", "ListAudienceGenerationJobs", "--page-size", "10", "-o", "a.json",
        "--region", "us-east-1", "--endpoint-url", sandbox.endpoint_url,
    )  # fmt: skip
    assert recorded.code == 0, recorded.stderr
    shown = cli("show", "a.json", "--json")
    assert shown.code == 0
    data = json.loads(shown.stdout)
    for key in ("service", "operation", "region", "params", "page_size", "pages", "items"):
        assert key in data
    assert (data["pages"], data["items"], data["page_size"]) == (3, 27, 10)
    text = cli("show", "a.json")
    assert "3 pages, 27 items" in text.stdout


def test_show_rejects_bad_cassettes(cli, tmp_path: Path) -> None:
    (tmp_path / "v9.json").write_text('{"pagetape": 9, "metadata": {}, "interactions": []}')
    (tmp_path / "junk.json").write_text("{nope")
    (tmp_path / "vcr.json").write_text('{"interactions": [], "version": 1}')
    for name, says in [
        ("v9.json", "version 9"),
        ("junk.json", "not a pagetape"),
        ("vcr.json", "no 'pagetape'"),
    ]:
        result = cli("show", name)
        assert result.code == 2
        assert name in result.stderr and says in result.stderr


def test_plugins_lists_sources(cli) -> None:
    result = cli("plugins", "--service", "personalize", "--service", "frauddetector")
    assert result.code == 0
    assert "personalize ListDataDeletionJobs  [plugin personalize]" in result.stdout
    assert "frauddetector GetBatchPredictionJobs  [plugin frauddetector]" in result.stdout
    assert "personalize ListSchemas  [botocore paginator]" in result.stdout


def test_demo_records_all_five(cli, tmp_path: Path) -> None:
    result = cli("demo", "--dir", "out", keys=False)
    assert result.code == 0, result.stderr
    assert "done: 5 cassettes" in result.stdout
    assert len(list((tmp_path / "out").rglob("*.json"))) == 5


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (
            ["record", "personalize", "ListBatchSegmentJobs", "--endpoint-url", "notaurl"],
            {},
            "client",
        ),
        (["record", "personalize", "ListBatchSegmentJobs", "--region", "bad region"], {}, "client"),
        (
            ["record", "personalize", "ListBatchSegmentJobs"],
            {"AWS_ENDPOINT_URL": "notaurl"},
            "client",
        ),
        (["sandbox", "--port", "99999"], {}, "not a port number"),
        (["demo", "--dir", "/proc/no/such/place"], {}, "cannot write"),
    ],
)
def test_bad_environment_is_one_line_not_a_traceback(
    cli, args: list[str], env: dict[str, str], says: str
) -> None:
    region = ["--region", "us-east-1"] if args[0] == "record" and "--region" not in args else []
    result = cli(*args, *region, env=env)
    assert result.code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr


def test_unwritable_output_is_exit_2(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    result = cli(
        "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url, "-o", "/proc/self/nope/c.json",
    )  # fmt: skip
    assert result.code == 2 and "cannot write /proc/self/nope/c.json" in result.stderr


def test_empty_secret_file_is_refused(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "pagetape").mkdir(parents=True)
    (config / "pagetape" / "secret").write_text("")
    result = cli(
        "record", "personalize", "ListDataDeletionJobs", "--region", "us-east-1",
        "--endpoint-url", sandbox.endpoint_url, "-o", "c.json",
        env={"PAGETAPE_SECRET": "", "XDG_CONFIG_HOME": str(config)},
    )  # fmt: skip
    assert result.code == 2 and "empty or too short" in result.stderr
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["metadata"].update(operation="NoSuchOperation"), "is not an operation of"),
        (
            lambda d: d["interactions"][0]["response"].update(body=[1, 2]),
            "interaction 1: the recorded response does not fit ListBatchSegmentJobs",
        ),
    ],
    ids=["unknown-operation", "wrongly-typed-body"],
)
def test_replay_of_a_damaged_cassette_is_one_sentence(
    cli: Any, tmp_path: Path, edit: Any, reason: str
) -> None:
    data = json.loads((ROOT / "cassettes/personalize/list_batch_segment_jobs.json").read_text())
    edit(data)
    (tmp_path / "damaged.json").write_text(json.dumps(data))
    result = cli("replay", "damaged.json")
    assert result.code == 2
    assert reason in result.stderr and "damaged.json" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _bedrock_without_import_jobs(root: Path) -> Path:
    """A data path whose Bedrock model lacks ListModelImportJobs: an older botocore, as far as
    every lookup and every client of this process can tell."""
    from botocore.loaders import Loader

    loader = Loader()
    version = loader.determine_latest_version("bedrock", "service-2")
    model = loader.load_service_model("bedrock", "service-2", version)
    del model["operations"]["ListModelImportJobs"]
    folder = root / "bedrock" / version
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    return root


def test_demo_skips_an_operation_the_installed_botocore_lacks(cli, tmp_path: Path) -> None:
    data = _bedrock_without_import_jobs(tmp_path / "models")
    result = cli("demo", "--dir", "out", env={"AWS_DATA_PATH": str(data)}, keys=False)
    assert result.code == 0, result.stderr
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1, result.stdout
    assert "bedrock ListModelImportJobs" in skipped[0] and "upgrade botocore" in skipped[0]
    assert "done: 4 cassettes" in result.stdout
    assert not (tmp_path / "out" / "bedrock").exists()


def test_replay_names_the_botocore_a_cassette_needs(cli, tmp_path: Path) -> None:
    data = _bedrock_without_import_jobs(tmp_path / "models")
    shipped = ROOT / "cassettes" / "bedrock" / "list_model_import_jobs.json"
    recorded_with = cassette_io.load(shipped).metadata.botocore_version
    result = cli("replay", str(shipped), env={"AWS_DATA_PATH": str(data)})
    assert result.code == 2, result.stdout + result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "bedrock ListModelImportJobs is not in the installed botocore" in message
    assert f"recorded with botocore {recorded_with}" in message


def test_plugins_for_a_service_shows_only_its_plugins(cli) -> None:
    only = cli("plugins", "--service", "personalize")
    assert only.code == 0
    headers = [line for line in only.stdout.splitlines() if line.startswith("plugin ")]
    assert headers == ["plugin personalize: personalize (2 operations)"]
    none = cli("plugins", "--service", "s3")
    assert none.code == 0
    lines = none.stdout.splitlines()
    assert not any(line.startswith("plugin ") for line in lines)
    assert lines[0] == "no plugin describes s3: its operations come from botocore"
    assert "s3 ListObjectsV2  [botocore paginator]" in lines


def test_counts_agree_in_number(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    """`1 page`, `1 item`, `1 finding`, `1 cassette`: no `1 pages` anywhere (#18)."""
    from helpers import record_from

    record_from(sandbox, "personalize", "list-data-deletion-jobs", tmp_path / "one.json", 50,
                max_pages=1)  # fmt: skip
    shown = cli("show", "one.json")
    assert "1 page," in shown.stdout and "1 pages" not in shown.stdout
    replayed = cli("replay", "one.json")
    assert "replayed 1 page, " in replayed.stderr, replayed.stderr
    clean = cli("verify", "one.json")
    assert clean.stderr.strip() == "1 cassette clean"
    # An integer parameter that is not the page size: CloudWatch Logs' startFromHead is a
    # boolean, FilterLogEvents' startTime a long.
    bad = cli("record", "logs", "filter-log-events", "-p", "logGroupName=g", "-p", "startTime=x")
    assert bad.code == 2
    assert bad.stderr.strip() == "pagetape: parameter startTime='x' is not an integer"
    listed = cli("record", "logs", "filter-log-events", "-p", "logGroupName=g", "-p",
                 "logStreamNames=x")  # fmt: skip
    assert "is not JSON for a list" in listed.stderr
    odd = cli("record", "ec2", "describe-instances", "-p", "DryRun=maybe")
    assert "is not true or false" in odd.stderr


def test_recording_clients_see_the_models_lookups_see(tmp_path: Path) -> None:
    """A client pagetape builds (recording, replay) reads AWS_DATA_PATH as lookups do: an
    operation the edited model lacks is gone from both (the shared loader ignored it)."""
    data = _bedrock_without_import_jobs(tmp_path / "models")
    probe = (
        "from pagetape.aws.isolation import fresh_session\n"
        "from pagetape.aws.specs import operation_model\n"
        "client = fresh_session(region_name='us-east-1').client('bedrock')\n"
        "print(hasattr(client, 'list_model_import_jobs'),"
        " operation_model('bedrock', 'ListModelImportJobs') is None)\n"
    )
    env = {**os.environ, "AWS_DATA_PATH": str(data)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["False", "True"], out.stderr
