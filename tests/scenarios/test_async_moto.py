"""Recording through pytest with async clients, from moto in server mode over real HTTP.

An inner pytest project whose tests use aiobotocore (and aioboto3 where installed) records with
`--pagetape-record=once` against moto: an S3 listing walked by an async paginator (3 pages), an
SSM path walked by a hand-written token loop and an object read through the async body. Every
test pickles what it got; a second run of the same file replays offline with the network
blocked, no secret and no AWS configuration, and gets the same pages: real values where the test
passed them (bucket, prefix, path), format-true fakes elsewhere, times and sizes as live.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

pytest.importorskip("aiobotocore", reason="async clients: install pagetape[async]")
pytest.importorskip("pytest_asyncio", reason="async clients: install pagetape[async]")

from helpers import SANDBOX_KEY
from moto_helpers import compare_listing, unique
from pagetape.cassette import store as cassette_io
from replay_helpers import bare_environment, blocked_network

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.moto

INNER_INI = (
    "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"
    "asyncio_default_fixture_loop_scope = function\npagetape_cassette_dir = cassettes\n"
)
PREFIX = "exports/2024/"
PARAM_PATH = "/acme/billing/prod"

INNER = '''
import os
import pickle

import pytest
from aiobotocore.session import get_session

BUCKET = os.environ["LEDGER_BUCKET"]


def keep(name, value):
    """What the test got, for the outer test to compare (record run vs replay run)."""
    with open(os.path.join(os.environ["RESULTS"], name + ".pickle"), "wb") as out:
        pickle.dump(value, out)


def bare(page):
    page.pop("ResponseMetadata", None)
    return page


@pytest.mark.asyncio
@pytest.mark.pagetape("s3/ledger_exports")
async def test_listing_with_an_async_paginator(pagetape):
    async with get_session().create_client("s3") as s3:
        paginator = s3.get_paginator("list_objects_v2")
        pages = [bare(p) async for p in paginator.paginate(
            Bucket=BUCKET, Prefix="exports/2024/", PaginationConfig={"PageSize": 4})]
        body = await (await s3.get_object(Bucket=BUCKET, Key="exports/2024/ledger-03.csv"))[
            "Body"].read()
    assert [len(p["Contents"]) for p in pages] == [4, 4, 2]
    keep("listing", pages)
    keep("body", body)


@pytest.mark.pagetape
def test_parameters_by_path_with_a_hand_loop(pagetape):
    import asyncio

    async def walk():
        async with get_session().create_client("ssm") as ssm:
            kwargs = {"Path": "/acme/billing/prod", "Recursive": True, "MaxResults": 3}
            pages = []
            while True:
                page = bare(await ssm.get_parameters_by_path(**kwargs))
                pages.append(page)
                if not page.get("NextToken"):
                    return pages
                kwargs["NextToken"] = page["NextToken"]

    pages = asyncio.run(walk())
    assert sum(len(p["Parameters"]) for p in pages) == 7
    keep("parameters", pages)
    pagetape.assert_exhausted()
'''

AIOBOTO3 = """

@pytest.mark.asyncio
@pytest.mark.pagetape
async def test_listing_with_aioboto3(pagetape):
    import aioboto3

    async with aioboto3.Session().client("s3") as s3:
        paginator = s3.get_paginator("list_objects_v2")
        pages = [bare(p) async for p in paginator.paginate(
            Bucket=BUCKET, Prefix="exports/2024/", PaginationConfig={"PageSize": 3})]
    assert [len(p["Contents"]) for p in pages] == [3, 3, 3, 1]
    keep("aioboto3", pages)
    pagetape.assert_exhausted()
"""


def _has_aioboto3() -> bool:
    try:
        import aioboto3  # noqa: F401
    except ImportError:
        return False
    return True


def _seed(moto_url: str, bucket: str) -> None:
    kwargs = {
        "endpoint_url": moto_url,
        "region_name": "us-east-1",
        "aws_access_key_id": SANDBOX_KEY[0],
        "aws_secret_access_key": SANDBOX_KEY[1],
    }
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=bucket)
    for i in range(10):
        s3.put_object(
            Bucket=bucket, Key=f"{PREFIX}ledger-{i:02d}.csv", Body=b"inv-%02d,%d\n" % (i, i)
        )
    s3.put_object(Bucket=bucket, Key="other/readme.txt", Body=b"x")
    ssm = boto3.client("ssm", **kwargs)
    for i in range(7):
        ssm.put_parameter(
            Name=f"{PARAM_PATH}/db-url-{i}", Value=f"v{i}", Type="String", Overwrite=True
        )


def _results(folder: Path) -> dict[str, Any]:
    out = {}
    for path in folder.glob("*.pickle"):
        with path.open("rb") as f:
            out[path.stem] = pickle.load(f)  # written by the inner tests of this very test
    return out


def _output_shape(service: str, operation: str) -> Any:
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation).output_shape


def test_async_clients_record_through_pytest_and_replay_offline(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bucket = unique("acme-ledger")
    _seed(moto_url, bucket)
    with_aioboto3 = _has_aioboto3()
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_inner=INNER + (AIOBOTO3 if with_aioboto3 else ""))
    expected = 3 if with_aioboto3 else 2
    live_dir, replay_dir = tmp_path / "live", tmp_path / "replayed"
    live_dir.mkdir()
    replay_dir.mkdir()
    monkeypatch.setenv("LEDGER_BUCKET", bucket)

    with monkeypatch.context() as live:
        live.setenv("RESULTS", str(live_dir))
        live.setenv("AWS_ENDPOINT_URL", moto_url)
        live.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
        live.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
        live.setenv("AWS_REGION", "us-east-1")
        pytester.runpytest("--pagetape-record=once").assert_outcomes(passed=expected)

    cassettes = pytester.path / "cassettes"
    listing = cassette_io.load(cassettes / "s3/ledger_exports.json")
    operations = [i.operation for i in listing.interactions]
    assert operations == ["ListObjectsV2"] * 3 + ["GetObject"]
    assert listing.metadata.operation == "ListObjectsV2" and listing.metadata.pages == 3
    assert {"Bucket", "Prefix"} <= set(listing.metadata.params) and listing.metadata.page_size == 4
    params = cassette_io.load(
        cassettes / "test_inner/test_parameters_by_path_with_a_hand_loop.json"
    ).metadata
    assert params.operation == "GetParametersByPath" and params.pages == 3
    text = "".join(p.read_text() for p in cassettes.rglob("*.json"))
    for real in (bucket, "acme-ledger", "ledger-03", PARAM_PATH, "db-url-"):
        assert real not in text

    bare_environment(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("RESULTS", str(replay_dir))
    with blocked_network() as attempts:
        pytester.runpytest("--pagetape-block-network").assert_outcomes(passed=expected)
    assert attempts == []

    # new_episodes answers what the cassettes hold (the async body too) and records nothing
    # new: nothing may reach the endpoint, and the cassettes stay as they were.
    before = {p: p.read_bytes() for p in cassettes.rglob("*.json")}
    with monkeypatch.context() as again:
        again.setenv("RESULTS", str(tmp_path))
        again.setenv("AWS_DEFAULT_REGION", "us-east-1")
        again.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
        again.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
        again.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may go there
        result = pytester.runpytest("--pagetape-record=new_episodes")
    result.assert_outcomes(passed=expected)
    assert {p: p.read_bytes() for p in cassettes.rglob("*.json")} == before

    recorded, replayed = _results(live_dir), _results(replay_dir)
    assert sorted(replayed) == sorted(recorded)
    cases = [("listing", "s3", "ListObjectsV2", ("Contents",)),
             ("parameters", "ssm", "GetParametersByPath", ("Parameters",))]  # fmt: skip
    if with_aioboto3:
        cases.append(("aioboto3", "s3", "ListObjectsV2", ("Contents",)))
    for name, service, operation, keys in cases:
        shape = _output_shape(service, operation)
        outcome = compare_listing(recorded[name], replayed[name], shape, keys)
        assert outcome.problems == [], (name, outcome.problems[:5])
    got = [o["Key"] for p in replayed["listing"] for o in p["Contents"]]
    assert all(k.startswith(PREFIX) for k in got) and len(set(got)) == 10
    assert len(replayed["body"]) == len(recorded["body"]) == len(b"inv-03,3\n")
