"""While a tape is active nothing outside the cassette is consulted: no socket, no ~/.aws, no IMDS,
no real credentials; the environment comes back afterwards."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from pagetape.aws.isolation import REPLAY_CREDENTIALS, isolated_environment
from pagetape.replay.engine import Tape
from replay_helpers import CASSETTES, USER_CODE, assert_same_as_sandbox, blocked_network

SEGMENTS = CASSETTES / "personalize" / "list_batch_segment_jobs.json"


@pytest.fixture
def hostile_aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A developer machine: a profile whose credential_process leaves a mark if anything runs
    it, a region that is not the cassette's, container credentials, IMDS allowed."""
    marker = tmp_path / "credential-process-ran"
    config = tmp_path / "config"
    process = f"{sys.executable} -c \"open(r'{marker}', 'w').write('ran')\""
    config.write_text(f"[profile dev]\nregion = ap-southeast-2\ncredential_process = {process}\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = AKIAREALKEY000000000\n")
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return marker


@pytest.mark.parametrize("name", sorted(USER_CODE))
def test_not_one_socket_while_replaying(name: str) -> None:
    tape = Tape.load([CASSETTES / f"{name}.json"])
    service = tape.metadata.service
    with blocked_network() as attempts, isolated_environment(tape.metadata.region), tape:
        jobs = USER_CODE[name](boto3.client(service))
        tape.assert_exhausted()
    assert attempts == []
    assert_same_as_sandbox(jobs, name)


def test_the_socket_block_is_real() -> None:
    """Control for the test above: the same code without a tape does try to connect."""
    with blocked_network() as attempts, isolated_environment("us-east-1"):
        client = boto3.client("personalize")
        with pytest.raises(EndpointConnectionError):
            client.list_batch_segment_jobs(maxResults=10)
    assert attempts


def test_no_aws_files_no_imds_no_container_credentials(hostile_aws_home: Path) -> None:
    before = dict(os.environ)
    with blocked_network() as attempts, isolated_environment("us-east-1"), Tape.load([SEGMENTS]):
        client = boto3.client("personalize")
        assert client.meta.region_name == "us-east-1"
        assert client.meta.endpoint_url == "https://personalize.us-east-1.amazonaws.com"
        creds = boto3.DEFAULT_SESSION.get_credentials()  # type: ignore[union-attr]
        assert (creds.access_key, creds.method) == (REPLAY_CREDENTIALS[0], "env")
        assert len(USER_CODE["personalize/list_batch_segment_jobs"](client)) == 31
    assert attempts == []
    assert not hostile_aws_home.exists(), "the profile's credential_process ran"
    assert dict(os.environ) == before
    # ...and afterwards boto3 sees the developer's setup again.
    session = boto3.session.Session()
    assert (session.profile_name, session.region_name) == ("dev", "sa-east-1")


def test_default_session_is_fresh_inside_and_restored_after() -> None:
    outside = boto3.session.Session(region_name="eu-north-1")
    boto3.DEFAULT_SESSION = outside
    try:
        with isolated_environment("us-west-2"):
            inside = boto3.DEFAULT_SESSION
            assert inside is not None and inside is not outside
            assert boto3.client("personalize").meta.region_name == "us-west-2"
            assert boto3.DEFAULT_SESSION is inside
        with isolated_environment("us-west-2"):
            # Each tape gets its own credential and config view, never the previous one's.
            assert boto3.DEFAULT_SESSION not in (inside, outside)
            assert boto3.DEFAULT_SESSION._session is not inside._session  # type: ignore[union-attr]
        assert boto3.DEFAULT_SESSION is outside
    finally:
        boto3.DEFAULT_SESSION = None


def test_environment_restored_even_when_the_body_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "keep-me")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", "http://127.0.0.1:9")
    before = dict(os.environ)
    with pytest.raises(RuntimeError), isolated_environment("us-east-1"):
        assert "AWS_PROFILE" not in os.environ
        assert "AWS_ENDPOINT_URL_PERSONALIZE" not in os.environ
        os.environ["SET_BY_THE_TEST"] = "1"
        raise RuntimeError("test body failed")
    assert dict(os.environ) == before


def test_requests_are_not_signed_so_no_credentials_are_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client with no credentials at all (the hermetic env has none) still replays."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    session = boto3.session.Session(region_name="us-east-1")
    assert session.get_credentials() is None
    client = session.client("personalize")
    with blocked_network() as attempts, Tape.load([SEGMENTS]) as tape:
        jobs = USER_CODE["personalize/list_batch_segment_jobs"](client)
    assert attempts == []
    assert len(jobs) == 31 and len(tape.calls) == 4


def test_region_from_the_cassette_unless_the_code_sets_one() -> None:
    seen: dict[str, Any] = {}
    with isolated_environment("us-east-1"), Tape.load([SEGMENTS]) as tape:
        seen["default"] = boto3.client("personalize").meta.region_name
        explicit = boto3.client("personalize", region_name="eu-central-1")
        seen["explicit"] = explicit.meta.region_name
        explicit.list_batch_segment_jobs(maxResults=10)  # the key does not hold the region
        os.environ["AWS_DEFAULT_REGION"] = "ap-south-1"
        seen["env"] = boto3.session.Session().client("personalize").meta.region_name
    assert seen == {"default": "us-east-1", "explicit": "eu-central-1", "env": "ap-south-1"}
    assert len(tape.calls) == 1


def test_fresh_sessions_share_one_loader_and_take_their_own_options() -> None:
    """The one builder of client sessions (record, replay's default session): each has its own
    credentials and region, all parse models through one loader, and boto3's resource folder is
    on its search path once however many sessions were made."""
    from pagetape.aws.isolation import fresh_session
    from pagetape.aws.specs import botocore_session, shared_loader

    one = fresh_session(region_name="eu-west-3", aws_access_key_id="a", aws_secret_access_key="b")
    two = fresh_session(region_name="us-east-2", aws_access_key_id="c", aws_secret_access_key="d")
    assert (one.region_name, two.region_name) == ("eu-west-3", "us-east-2")
    assert one.get_credentials().access_key == "a" and two.get_credentials().access_key == "c"
    loader = shared_loader()
    assert one._session.get_component("data_loader") is loader
    assert two._session.get_component("data_loader") is loader
    assert len(loader.search_paths) == len(set(loader.search_paths))
    # Model lookups keep a loader of their own: clients' handlers edit their models in place.
    assert botocore_session().get_component("data_loader") is not loader
