"""The pytest plugin, driven through inner pytest runs (pytester), against copies of the shipped
cassettes and, for the record modes, the sandbox account reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from helpers import SANDBOX_KEY, encoded_forms
from pagetape.cassette import store as cassette_io
from pagetape.sandbox import Sandbox
from replay_helpers import BLOCKING_CODE, BLOCKING_CONFTEST, ROOT, blocked_network, copy_shipped

pytest_plugins = ["pytester"]

# Inner runs: fixed order, and without hypothesis' plugin (its summary costs seconds per run).
INNER_INI = "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"

SEGMENTS_TEST = """
import boto3
import pytest

@pytest.mark.pagetape("personalize/list_batch_segment_jobs")
def test_segments(pagetape):
    client = boto3.client("personalize")
    pages = client.get_paginator("list_batch_segment_jobs").paginate(
        PaginationConfig={"PageSize": 10}
    )
    assert len([job for page in pages for job in page["batchSegmentJobs"]]) == 31
    pagetape.assert_exhausted()
"""

# The contract's example (DESIGN.md / README), with the elided body filled in.
CONTRACT_EXAMPLE = """
import boto3
import pytest

@pytest.mark.pagetape("personalize/list_batch_segment_jobs")   # relative to the cassette dir
def test_jobs(pagetape):                       # the fixture is the active tape
    client = boto3.client("personalize")       # any client replays; pagetape.client(...) too
    paginator = client.get_paginator("list_batch_segment_jobs")
    jobs = []
    for page in paginator.paginate(PaginationConfig={"PageSize": 10}):
        jobs.extend(page["batchSegmentJobs"])
    assert len(jobs) == 31
    pagetape.assert_exhausted()                # every recorded page was requested
"""


@pytest.fixture
def shipped(pytester: pytest.Pytester) -> pytest.Pytester:
    """An inner project with the shipped cassettes in its default cassette dir."""
    pytester.makeini(INNER_INI)
    copy_shipped(pytester.path)
    return pytester


def _no_aws_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _environment() -> dict[str, str]:
    """os.environ, less the variable pytest itself sets and the inner run clears."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def _readme_example() -> str:
    """The README's pytest example if it has one, else the contract's."""
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", readme, flags=re.S):
        if "pytest.mark.pagetape" in block and "..." not in block:
            return str(block)
    return CONTRACT_EXAMPLE


# -- import cost, offline, import-time clients ---------------------------------------------------


def test_importing_the_plugin_imports_neither_boto3_nor_vcrpy() -> None:
    code = (
        "import sys, pytest_pagetape.plugin\n"
        "heavy = [m for m in ('boto3', 'botocore', 'vcr') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout.strip()) == (0, "clean"), proc.stderr


def test_readme_example_passes_offline_with_no_aws_config_at_all(
    shipped: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    for key, value in _no_aws_env(home).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    shipped.makeconftest(BLOCKING_CONFTEST)  # also fails the test on any connection attempt
    shipped.makepyfile(test_readme=_readme_example())
    result = shipped.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_client_created_at_import_time_replays(shipped: pytest.Pytester) -> None:
    shipped.makeconftest(
        BLOCKING_CONFTEST
        + "\nimport boto3\n"
        + "CONFTEST_CLIENT = boto3.client('personalize', region_name='us-east-1')\n"
    )
    shipped.makepyfile(
        jobs="""
        import boto3
        client = boto3.client("personalize", region_name="us-east-1")

        def segment_jobs(c=client):
            pages = c.get_paginator("list_batch_segment_jobs").paginate(
                PaginationConfig={"PageSize": 10})
            return [job for page in pages for job in page["batchSegmentJobs"]]
        """,
        test_jobs="""
        import pytest
        import jobs
        from conftest import CONFTEST_CLIENT

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_module_client(pagetape):
            assert len(jobs.segment_jobs()) == 31
            pagetape.assert_exhausted()

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_conftest_client(pagetape):
            assert len(jobs.segment_jobs(CONFTEST_CLIENT)) == 31
        """,
    )
    result = shipped.runpytest_subprocess()  # a fresh process: real import order
    result.assert_outcomes(passed=2)


# -- the marker, the fixture, the knobs ----------------------------------------------------------


def test_missing_cassette_in_none_mode_says_how_to_record(shipped: pytest.Pytester) -> None:
    shipped.makepyfile(
        """
        import pytest

        @pytest.mark.pagetape("personalize/list_batch_segment_job")
        def test_x(pagetape):
            pass
        """
    )
    result = shipped.runpytest()
    result.assert_outcomes(errors=1)
    missing = shipped.path / "cassettes" / "personalize" / "list_batch_segment_job.json"
    result.stdout.fnmatch_lines(
        [
            f"*cassette {missing} does not exist (did you mean "
            "personalize/list_batch_segment_jobs*); record it with `pagetape record ... -o*"
            "--pagetape-record=once*"
        ]
    )
    # Said once: no "During handling of the above exception" chain, no traceback.
    assert "During handling" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()
    assert not missing.exists()


@pytest.mark.parametrize("name", ["../outside", "personalize/../../outside.json", "/etc/passwd"])
def test_cassette_names_escaping_the_dir_are_refused(shipped: pytest.Pytester, name: str) -> None:
    (shipped.path / "outside.json").write_bytes(
        (ROOT / "cassettes/personalize/list_batch_segment_jobs.json").read_bytes()
    )
    shipped.makepyfile(
        f"""
        import pytest

        @pytest.mark.pagetape({name!r})
        def test_x():
            pass
        """
    )
    result = shipped.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cassette {name!r} resolves outside the cassette dir*"])


def test_marked_test_replays_without_asking_for_the_fixture(shipped: pytest.Pytester) -> None:
    shipped.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.pagetape("personalize/list_data_deletion_jobs.json")
        def test_marked():
            response = boto3.client("personalize").list_data_deletion_jobs(maxResults=5)
            assert response["nextToken"] == "pagetape-token-0001"

        def test_fixture_without_marker(pagetape):
            pass
        """
    )
    result = shipped.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the pagetape fixture needs @pytest.mark.pagetape*"])


def test_ini_cassette_dir_and_overridable_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeini(INNER_INI + "pagetape_cassette_dir = recorded/aws\n")
    copy_shipped(pytester.path / "recorded")
    (pytester.path / "recorded" / "cassettes").rename(pytester.path / "recorded" / "aws")
    pytester.makepyfile(test_ini=SEGMENTS_TEST)
    sub = pytester.mkpydir("sub")
    copy_shipped(sub)
    (sub / "conftest.py").write_text(
        "import pytest\nfrom pathlib import Path\n\n"
        "@pytest.fixture\ndef pagetape_cassette_dir():\n"
        "    return Path(__file__).parent / 'cassettes'\n"
    )
    (sub / "test_override.py").write_text(
        SEGMENTS_TEST
        + "\n\ndef test_dir(pagetape_cassette_dir):\n"
        + "    assert pagetape_cassette_dir.parent.name == 'sub'\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)


def test_swallowed_miss_fails_the_test(shipped: pytest.Pytester) -> None:
    shipped.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_retries_on_any_error(pagetape):
            client = boto3.client("personalize")
            try:
                client.list_batch_segment_jobs(nextToken="no-such-token")
            except Exception:
                pass  # code under test that hides errors
        """
    )
    result = shipped.runpytest()
    result.assert_outcomes(passed=1, errors=1)  # the body passed; the tape fails its teardown
    result.stdout.fnmatch_lines(
        [
            "*the code under test swallowed a replay miss*",
            "*body.nextToken: asked 'no-such-token', recorded 'pagetape-token-0001'*",
        ]
    )


def test_threads_started_by_the_test_replay(shipped: pytest.Pytester) -> None:
    shipped.makepyfile(
        """
        import boto3
        import pytest
        from concurrent.futures import ThreadPoolExecutor

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_pool(pagetape):
            tokens = [None, "pagetape-token-0001", "pagetape-token-0002", "pagetape-token-0003"]

            def page(token):
                client = boto3.session.Session().client("personalize")
                kwargs = {"maxResults": 10, **({"nextToken": token} if token else {})}
                return len(client.list_batch_segment_jobs(**kwargs)["batchSegmentJobs"])

            with ThreadPoolExecutor(4) as pool:
                assert sorted(pool.map(page, tokens)) == [1, 10, 10, 10]
            pagetape.assert_exhausted()
        """
    )
    shipped.runpytest().assert_outcomes(passed=1)


def test_environment_isolated_then_restored(
    shipped: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "developer")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    before = _environment()
    shipped.makeconftest(
        """
        import os
        import pytest

        @pytest.fixture(autouse=True)
        def wipe_aws_environment(monkeypatch):
            # A hermetic conftest that runs after the tape started: replay must still work.
            for key in [k for k in os.environ if k.startswith("AWS_")]:
                monkeypatch.delenv(key)
        """
    )
    shipped.makepyfile(
        """
        import os
        import boto3
        import pytest

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_inside(pagetape):
            assert "AWS_PROFILE" not in os.environ
            client = boto3.client("personalize")
            assert client.meta.region_name == pagetape.metadata.region == "us-east-1"
            assert client.list_batch_segment_jobs(maxResults=10)["batchSegmentJobs"]

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_sets_its_own_region(pagetape, monkeypatch):
            monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
            client = boto3.client("personalize")
            assert client.meta.region_name == "eu-west-3"
            assert client.list_batch_segment_jobs(maxResults=10)["batchSegmentJobs"]
        """
    )
    with blocked_network() as attempts:
        result = shipped.runpytest()
    result.assert_outcomes(passed=2)
    assert attempts == []
    assert _environment() == before


def test_unknown_record_mode_is_a_usage_error(shipped: pytest.Pytester) -> None:
    shipped.makepyfile(test_segments=SEGMENTS_TEST)
    result = shipped.runpytest("--pagetape-record=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'sometimes'*"])


# -- record modes, against the sandbox -----------------------------------------------------------

RECORD_TEST = """
import boto3
import pytest

@pytest.mark.pagetape("personalize/jobs")
def test_segments(pagetape):
    pages = boto3.client("personalize").get_paginator("list_batch_segment_jobs").paginate(
        PaginationConfig={"PageSize": SEGMENT_PAGE_SIZE}
    )
    assert len([job for page in pages for job in page["batchSegmentJobs"]]) == 31
    assert len(pagetape.calls) == 31 // SEGMENT_PAGE_SIZE + 1  # replayed or live, all noted
"""

DELETIONS_TEST = """

@pytest.mark.pagetape("personalize/jobs")
def test_deletions():
    client = boto3.client("personalize")
    kwargs, jobs = {"maxResults": 5}, []
    while True:
        response = client.list_data_deletion_jobs(**kwargs)
        jobs += response["dataDeletionJobs"]
        if "nextToken" not in response:
            break
        kwargs["nextToken"] = response["nextToken"]
    assert len(jobs) == 19
"""


@pytest.fixture
def live(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """An inner project whose environment points boto3 at the sandbox account."""
    pytester.makeini(INNER_INI)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return pytester


def _tests(segment_page_size: int = 10, deletions: bool = False) -> str:
    code = RECORD_TEST.replace("SEGMENT_PAGE_SIZE", str(segment_page_size))
    return code + (DELETIONS_TEST if deletions else "")


def _tokens(tape: cassette_io.Cassette) -> list[str]:
    text = cassette_io.encode(tape).decode()
    return sorted(set(re.findall(r"pagetape-token-\d+", text)))


def _replays_offline(pytester: pytest.Pytester, sandbox: Sandbox, passed: int) -> None:
    before = sandbox.request_count
    with blocked_network() as attempts:
        result = pytester.runpytest()
    result.assert_outcomes(passed=passed)
    assert attempts == []
    assert sandbox.request_count == before


def _assert_no_planted_value(path: Path, sandbox: Sandbox) -> None:
    text = path.read_text()
    leaks = [v for v in sandbox.account.planted_values() for f in encoded_forms(v) if f in text]
    assert leaks == []


def test_once_records_a_missing_cassette_then_replays_it(
    live: pytest.Pytester, sandbox: Sandbox
) -> None:
    live.makepyfile(test_jobs=_tests())
    cassette = live.path / "cassettes" / "personalize" / "jobs.json"

    before = sandbox.request_count
    live.runpytest("--pagetape-record=once").assert_outcomes(passed=1)
    assert sandbox.request_count - before == 4
    tape = cassette_io.load(cassette)
    meta = tape.metadata
    assert (meta.service, meta.operation, meta.region) == (
        "personalize",
        "ListBatchSegmentJobs",
        "us-east-1",
    )
    assert (meta.page_size, meta.pages, meta.items) == (10, 4, 31)
    assert _tokens(tape) == [f"pagetape-token-000{n}" for n in (1, 2, 3)]
    _assert_no_planted_value(cassette, sandbox)

    _replays_offline(live, sandbox, passed=1)
    written = cassette.read_bytes()
    live.runpytest("--pagetape-record=once").assert_outcomes(passed=1)  # exists: replays
    assert cassette.read_bytes() == written


def test_new_episodes_keeps_old_interactions_and_adds_new_ones(
    live: pytest.Pytester, sandbox: Sandbox
) -> None:
    live.makepyfile(test_jobs=_tests())
    cassette = live.path / "cassettes" / "personalize" / "jobs.json"
    live.runpytest("--pagetape-record=once").assert_outcomes(passed=1)
    old = cassette_io.load(cassette)

    live.makepyfile(test_jobs=_tests(deletions=True))
    before = sandbox.request_count
    result = live.runpytest("--pagetape-record=new_episodes")
    result.assert_outcomes(passed=2)
    assert sandbox.request_count - before == 4  # only the deletions went live
    new = cassette_io.load(cassette)
    assert new.interactions[:4] == old.interactions
    assert (new.metadata.operation, new.metadata.pages, new.metadata.items) == (
        "ListBatchSegmentJobs",
        4,
        31,
    )
    added = new.interactions[4:]
    assert [i.operation for i in added] == ["ListDataDeletionJobs"] * 4
    old_tokens = set(_tokens(old))
    added_tokens = [t for i in added for t in re.findall(r"pagetape-token-\d+", str(i))]
    assert added_tokens and old_tokens.isdisjoint(added_tokens)
    assert _tokens(new) == [f"pagetape-token-000{n}" for n in range(1, 7)]
    for earlier, later in itertools.pairwise(added):
        assert earlier.response.body["nextToken"] == later.request.body["nextToken"]
    _assert_no_planted_value(cassette, sandbox)

    _replays_offline(live, sandbox, passed=2)


def test_all_re_records(live: pytest.Pytester, sandbox: Sandbox) -> None:
    live.makepyfile(test_jobs=_tests(segment_page_size=10))
    cassette = live.path / "cassettes" / "personalize" / "jobs.json"
    live.runpytest("--pagetape-record=once").assert_outcomes(passed=1)

    live.makepyfile(test_jobs=_tests(segment_page_size=20))
    live.runpytest().assert_outcomes(failed=1)  # page size 20 not recorded
    before = sandbox.request_count
    live.runpytest("--pagetape-record=all").assert_outcomes(passed=1)
    assert sandbox.request_count - before == 2
    tape = cassette_io.load(cassette)
    assert (tape.metadata.page_size, tape.metadata.pages, len(tape.interactions)) == (20, 2, 2)
    _assert_no_planted_value(cassette, sandbox)
    _replays_offline(live, sandbox, passed=1)


def test_once_leaves_existing_cassettes_alone_and_records_the_missing_one(
    live: pytest.Pytester, sandbox: Sandbox
) -> None:
    shipped = copy_shipped(live.path) / "personalize" / "list_batch_segment_jobs.json"
    before_bytes = shipped.read_bytes()
    live.makepyfile(
        """
        import boto3
        import pytest
        from pagetape.replay.engine import LIVE

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs", "personalize/deletions")
        def test_both(pagetape):
            client = pagetape.client("personalize")  # live: the environment's account
            pages = client.get_paginator("list_batch_segment_jobs").paginate(
                PaginationConfig={"PageSize": 10})
            assert len([j for p in pages for j in p["batchSegmentJobs"]]) == 31
            assert client.list_data_deletion_jobs(maxResults=5)["dataDeletionJobs"]
            assert [c.interaction for c in pagetape.calls] == [0, 1, 2, 3, LIVE]
            assert pagetape.calls[-1].params == {"maxResults": 5}
            assert pagetape.path.name == "deletions.json"
        """
    )
    before = sandbox.request_count
    live.runpytest("--pagetape-record=once").assert_outcomes(passed=1)
    assert sandbox.request_count - before == 1
    assert shipped.read_bytes() == before_bytes
    recorded = cassette_io.load(shipped.parent / "deletions.json")
    assert [i.operation for i in recorded.interactions] == ["ListDataDeletionJobs"]
    assert recorded.metadata.operation == "ListDataDeletionJobs"


def test_live_client_in_record_mode_uses_the_environment(
    live: pytest.Pytester, sandbox: Sandbox
) -> None:
    live.makepyfile(
        test_jobs=_tests()
        + f"""

@pytest.mark.pagetape("personalize/jobs")
def test_tape_client(pagetape):
    client = pagetape.client()
    # Private, but the only place botocore keeps them: replay credentials would go to AWS.
    assert client._request_signer._credentials.access_key == {SANDBOX_KEY[0]!r}
    assert client.meta.endpoint_url == {sandbox.endpoint_url!r}
    assert client.list_data_deletion_jobs(maxResults=5)["nextToken"]
"""
    )
    live.runpytest("--pagetape-record=once", "-k", "segments").assert_outcomes(passed=1)
    live.runpytest("--pagetape-record=new_episodes").assert_outcomes(passed=2)


def test_record_mode_fixture_can_be_pinned(live: pytest.Pytester, sandbox: Sandbox) -> None:
    live.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef pagetape_record_mode():\n    return 'once'\n"
    )
    live.makepyfile(test_jobs=_tests())
    live.runpytest().assert_outcomes(passed=1)
    assert (live.path / "cassettes" / "personalize" / "jobs.json").exists()


def test_a_failing_test_records_nothing(live: pytest.Pytester, sandbox: Sandbox) -> None:
    live.makepyfile(test_jobs=_tests() + "    assert False, 'the test itself fails'\n")
    before = sandbox.request_count
    result = live.runpytest("--pagetape-record=once")
    result.assert_outcomes(failed=1)
    assert sandbox.request_count - before == 4
    assert not (live.path / "cassettes" / "personalize" / "jobs.json").exists()
    assert not list(live.path.rglob("*.tmp"))


def test_setup_errors_and_skips_record_nothing(live: pytest.Pytester, sandbox: Sandbox) -> None:
    live.makepyfile(
        """
        import boto3
        import pytest

        @pytest.fixture
        def half_set_up():
            boto3.client("personalize").list_batch_segment_jobs(maxResults=10)
            raise RuntimeError("fixture broke after a live call")

        @pytest.mark.pagetape("personalize/broken")
        def test_fixture_fails(half_set_up):
            pass

        @pytest.mark.pagetape("personalize/skipped")
        def test_skips_midway():
            boto3.client("personalize").list_batch_segment_jobs(maxResults=10)
            pytest.skip("not today")
        """
    )
    before = sandbox.request_count
    live.runpytest("--pagetape-record=once").assert_outcomes(errors=1, skipped=1)
    assert sandbox.request_count - before == 2
    assert not (live.path / "cassettes").exists()


# -- the CLI's replay ----------------------------------------------------------------------------


def _cli(*args: str, block: bool = False) -> subprocess.CompletedProcess[str]:
    """`pagetape replay ...` in a subprocess; with BLOCK, the network refuses every connection."""
    if not block:
        command = [sys.executable, "-m", "pagetape", *args]
    else:
        code = (
            BLOCKING_CODE
            + f"import sys\nsys.argv = ['pagetape', *{list(args)!r}]\n"
            + "from pagetape.cli.main import main\n"
            + "try:\n    main()\nfinally:\n    assert ATTEMPTS == [], ATTEMPTS\n"
        )
        command = [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_replay_json_prints_every_item() -> None:
    from replay_helpers import account, wire_time

    proc = _cli("replay", "cassettes/personalize/list_data_deletion_jobs.json", "--json")
    assert proc.returncode == 0, proc.stderr
    items: list[dict[str, Any]] = [json.loads(line) for line in proc.stdout.splitlines()]
    expected = account().expected_items("personalize", "ListDataDeletionJobs", {})
    assert [i["status"] for i in items] == [e["status"] for e in expected]
    assert [wire_time(i["creationDateTime"]) for i in items] == [
        wire_time(e["creationDateTime"]) for e in expected
    ]


def test_cli_replay_is_offline_and_reports_pages() -> None:
    proc = _cli("replay", "cassettes/bedrock/list_model_import_jobs.json", block=True)
    assert proc.returncode == 0, proc.stderr
    assert "replayed 3 pages, 26 items offline" in proc.stderr
    assert len(proc.stdout.splitlines()) == 26


def test_cli_replay_of_a_recorded_error(sandbox: Sandbox, tmp_path: Path) -> None:
    from helpers import record_from

    result = record_from(
        sandbox,
        "frauddetector",
        "GetBatchPredictionJobs",
        tmp_path / "missing.json",
        params={"jobId": "no-such-job"},
        record_errors=True,
    )
    proc = _cli("replay", str(result.path), block=True)
    assert proc.returncode == 0, proc.stderr
    assert "the chain ends in the recorded error ResourceNotFoundException: Batch" in proc.stderr


def test_a_symlink_leading_out_of_the_cassette_dir_is_refused_without_json(
    shipped: pytest.Pytester, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text(
        (shipped.path / "cassettes/personalize/list_batch_segment_jobs.json").read_text()
    )
    (shipped.path / "cassettes" / "evil.json").symlink_to(outside)
    shipped.makepyfile(
        """
        import pytest

        @pytest.mark.pagetape("evil")
        def test_x():
            pass
        """
    )
    result = shipped.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'evil' resolves outside the cassette dir*"])


def test_once_from_racing_workers_keeps_the_first_recording(tmp_path: Path) -> None:
    """Two xdist workers recording the same new cassette in `once` mode: exactly one write
    wins, the other is told so (and the session layer keeps the winner's file)."""
    from pagetape.cassette.store import Interaction, Request, Response
    from pagetape.errors import CassetteRaceError
    from pagetape.replay.session import write_recording

    body = json.dumps({"batchSegmentJobs": []}).encode()
    exchange = Interaction(
        service="personalize",
        operation="ListBatchSegmentJobs",
        request=Request(
            method="POST",
            path="/",
            query=[],
            headers={"Content-Type": "application/x-amz-json-1.1"},
            body=b"{}",
        ),
        response=Response(
            status=200, headers={"Content-Type": "application/x-amz-json-1.1"}, body=body
        ),
    )
    target = tmp_path / "jobs.json"
    write_recording(target, [exchange], None, overwrite=False)
    first = target.read_bytes()
    with pytest.raises(CassetteRaceError):
        write_recording(target, [exchange], None, overwrite=False)
    assert target.read_bytes() == first
