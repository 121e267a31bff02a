"""A test recorded through pytest replays unchanged (issue 9's "done when").

An inner pytest project records real chains from moto in server mode with realistic parameters
(a bucket, a key prefix, a parameter path); a second run of the very same test file replays
them with no secret, no network (sockets blocked) and no AWS configuration at all, while the
cassettes hold none of the real names. A `--page-size 10` recording then replays through
`paginate()` with no page size and, with `repage=True`, at one item a page.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from helpers import SANDBOX_KEY
from replay_helpers import bare_environment, blocked_network

pytest_plugins = ["pytester"]

INNER_INI = (
    "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"
    "pagetape_cassette_dir = cassettes\n"
)
BUCKET = "acme-payments-ledger-7731"
PREFIX = "exports/2024/"
PARAM_PATH = "/acme/payments/prod"

TESTS = f'''
import boto3
import pytest


@pytest.mark.pagetape("s3/ledger_exports")
def test_ledger_exports():
    s3 = boto3.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket="{BUCKET}", Prefix="{PREFIX}", PaginationConfig={{"PageSize": 4}}
    )
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert len(keys) == 10 and all(k.startswith("{PREFIX}") for k in keys)


@pytest.mark.pagetape
def test_parameters_by_path(pagetape):
    ssm = boto3.client("ssm")
    kwargs = {{"Path": "{PARAM_PATH}", "Recursive": True, "MaxResults": 3}}
    names = []
    while True:
        page = ssm.get_parameters_by_path(**kwargs)
        names += [p["Name"] for p in page["Parameters"]]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    assert len(names) == 7
    pagetape.assert_exhausted()
'''

REPLAY_PAGE_SIZES = f'''
import boto3
import pytest


@pytest.mark.pagetape("s3/ledger_exports")
def test_production_code_passes_no_page_size(pagetape):
    pages = list(boto3.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket="{BUCKET}", Prefix="{PREFIX}"
    ))
    assert sum(len(p["Contents"]) for p in pages) == 10
    pagetape.assert_exhausted()


@pytest.mark.pagetape("s3/ledger_exports", repage=True)
def test_one_item_pages(pagetape):
    pages = list(boto3.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket="{BUCKET}", Prefix="{PREFIX}", PaginationConfig={{"PageSize": 1}}
    ))
    assert [len(p["Contents"]) for p in pages] == [1] * 10
    pagetape.assert_exhausted()


@pytest.mark.pagetape("s3/ledger_exports")
def test_another_bucket_is_a_miss_that_says_so():
    s3 = boto3.client("s3")
    s3.list_objects_v2(Bucket="{BUCKET}", Prefix="{PREFIX}", MaxKeys=4)
    s3.list_objects_v2(Bucket="someone-elses-bucket", Prefix="{PREFIX}", MaxKeys=4)
'''


def _seed(moto_url: str) -> None:
    kwargs = {
        "endpoint_url": moto_url,
        "region_name": "us-east-1",
        "aws_access_key_id": SANDBOX_KEY[0],
        "aws_secret_access_key": SANDBOX_KEY[1],
    }
    s3 = boto3.client("s3", **kwargs)
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)  # the moto server lives for the whole session
    for i in range(10):
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}ledger-{i:02d}.csv", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="other/readme.txt", Body=b"x")
    ssm = boto3.client("ssm", **kwargs)
    for i in range(7):
        ssm.put_parameter(
            Name=f"{PARAM_PATH}/db-url-{i}", Value=f"v{i}", Type="String", Overwrite=True
        )


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """The inner project after one recording run against moto (once mode)."""
    _seed(moto_url)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_inventory=TESTS)
    with monkeypatch.context() as live:
        live.setenv("AWS_ENDPOINT_URL", moto_url)
        live.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
        live.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
        live.setenv("AWS_REGION", "us-east-1")  # AWS_REGION alone: honoured when recording
        live.setattr(boto3, "DEFAULT_SESSION", None)
        result = pytester.runpytest("--pagetape-record=once")
    result.assert_outcomes(passed=2)
    return pytester


def test_a_recorded_test_replays_unchanged_offline(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cassettes = recorded.path / "cassettes"
    written = {p.relative_to(cassettes).as_posix() for p in cassettes.rglob("*.json")}
    # The unnamed marker took {module}/{test}.
    assert written == {"s3/ledger_exports.json", "test_inventory/test_parameters_by_path.json"}
    text = "".join(p.read_text() for p in cassettes.rglob("*.json"))
    for real in (BUCKET, "acme-payments", "ledger-00", PARAM_PATH, "/acme/payments"):
        assert real not in text
    bare_environment(monkeypatch, tmp_path / "home")
    with blocked_network() as attempts:
        result = recorded.runpytest("--pagetape-block-network")
    result.assert_outcomes(passed=2)
    assert attempts == []
    # Replaying did not append a duplicate chain (new_episodes holds what it has).
    before = (cassettes / "s3/ledger_exports.json").read_bytes()
    bare_environment(monkeypatch, tmp_path / "home")
    with monkeypatch.context() as live:
        live.setenv("AWS_DEFAULT_REGION", "us-east-1")
        live.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
        live.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
        live.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may go there
        result = recorded.runpytest("--pagetape-record=new_episodes")
    result.assert_outcomes(passed=2)
    assert (cassettes / "s3/ledger_exports.json").read_bytes() == before


def test_any_page_size_and_repage_from_a_page_size_recording(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorded.makepyfile(test_page_sizes=REPLAY_PAGE_SIZES)
    bare_environment(monkeypatch, tmp_path / "home")
    with blocked_network():
        result = recorded.runpytest("test_page_sizes.py")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "this test already used 'acme-payments-ledger-7731'" in out
    assert "Traceback" not in out and "botocore/" not in out  # one short block, no stack
