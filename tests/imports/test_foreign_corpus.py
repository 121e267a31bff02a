"""Real cassettes from public repositories (tests/data/foreign, see SOURCES.md): each one is
identified, sanitized with no identifier left, verified clean, and keeps public ids and bodies;
a Converse, an InvokeEndpoint, a GetInferenceProfile and a HeadBucket replay through boto3 with
the values the original test passed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from foreign_helpers import BEDROCK, EXPECTED, FILES, LACKING, VCR, file_params, unknown_members
from helpers import encoded_forms
from pagetape.aws import catalogue
from pagetape.aws.isolation import isolated_environment
from pagetape.imports.resanitize import sanitize_file
from pagetape.imports.vcr import read_vcr, vcr_pairs
from pagetape.replay.engine import Tape
from pagetape.sanitize.vocabulary import MODEL_PROVIDERS
from pagetape.verify.lint import verify_file

pytest_plugins = ["pytester"]

ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")
EMAIL = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
MODEL_IN_PATH = re.compile(r"/model/([a-z]+(?:\.[a-z0-9-]+)+(?:%3A\d+(?:%3A[a-z0-9]+)?)?)/")
# Identifiers the corpus holds, beyond what the patterns above find.
NAMED = ["custodian-replication-west", "my-llama2-endpoint", "SSGLURQ9A5", "EITYAHSOCJ",
         "XNW1LGJJZT", "1arbu5hu2sjr"]  # fmt: skip


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("foreign")
    return {
        name: sanitize_file(VCR / name, out / (name.replace("/", "_") + ".json"))[1]
        for name in FILES
        if name not in LACKING
    }


def _originals(name: str) -> str:
    """The file's text with binary bodies decoded: where the identifiers are."""
    pairs = vcr_pairs(VCR / name, (VCR / name).read_bytes())
    return json.dumps(pairs, default=lambda b: b.decode("latin-1"))


def test_the_corpus_is_what_sources_lists() -> None:
    sources = (VCR.parent / "SOURCES.md").read_text()
    assert len(FILES) >= 20
    assert set(FILES) == set(EXPECTED)
    for name in FILES:
        assert Path(name).name in sources, name


@pytest.mark.parametrize("name", file_params(FILES))
def test_every_call_is_identified(name: str) -> None:
    exchanges, _ = read_vcr(VCR / name)
    assert [f"{x.service}.{x.operation}" for x in exchanges] == EXPECTED[name]


@pytest.mark.parametrize("name", file_params(FILES))
def test_sanitized_without_an_identifier_left_and_verify_clean(
    name: str, sanitized: dict[str, Path]
) -> None:
    original, text = _originals(name), sanitized[name].read_text()
    planted = set(ACCOUNT_IN_ARN.findall(original)) | {
        e for e in EMAIL.findall(original) if not e.endswith(("amazon.com", ".example"))
    }
    planted |= {n for n in NAMED if n in original}
    planted -= {v for v in planted if catalogue.is_placeholder(v)}  # 123456789012 is fake already
    left = [form for value in planted for form in encoded_forms(value) if form in text]
    assert left == []
    assert verify_file(sanitized[name]) == []


@pytest.mark.parametrize("name", file_params(FILES))
def test_public_model_ids_and_regions_are_kept(name: str, sanitized: dict[str, Path]) -> None:
    original, text = _originals(name), sanitized[name].read_text()
    for model in MODEL_IN_PATH.findall(original):
        if model.split(".")[-2 if model.count(".") > 1 else 0] in MODEL_PROVIDERS:
            assert model.replace("%3A", ":") in text or model in text, model
    region = json.loads(text)["metadata"]["region"]
    assert region in original or region == "us-east-1"  # global endpoints: s3.amazonaws.com


def _shape(value: Any) -> Any:
    """A JSON value's structure: keys and list lengths, not the data."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("name", file_params(FILES))
def test_json_bodies_keep_their_structure(name: str, sanitized: dict[str, Path]) -> None:
    exchanges, _ = read_vcr(VCR / name)
    doc = json.loads(sanitized[name].read_text())
    for raw, stored in zip(exchanges, doc["interactions"], strict=True):
        try:
            before = json.loads(raw.response.body)
        except ValueError:
            continue  # XML, event streams and empty bodies: other tests
        assert _shape(stored["response"]["body"]) == _shape(before)


def _request_json(name: str, index: int = 0) -> dict[str, Any]:
    body = vcr_pairs(VCR / name, (VCR / name).read_bytes())[index][0]["body"]
    return dict(json.loads(body))


REPLAYS = [
    ("dd-trace-py/bedrock_converse.yaml", BEDROCK, "converse",
     lambda: {"modelId": "anthropic.claude-3-sonnet-20240229-v1:0",
              **_request_json("dd-trace-py/bedrock_converse.yaml")}, "output"),
    ("dd-trace-py/bedrock_converse_inference_profile.yaml", "bedrock", "get_inference_profile",
     lambda: {"inferenceProfileIdentifier": "arn:aws:bedrock:us-east-1:123456789012:"
              "application-inference-profile/1arbu5hu2sjr"}, "models"),
    ("openllmetry/test_sagemaker_completion_string_content_legacy.yaml", "sagemaker-runtime",
     "invoke_endpoint",
     lambda: {"EndpointName": "my-llama2-endpoint", "ContentType": "application/json",
              "Body": json.dumps(_request_json(
                  "openllmetry/test_sagemaker_completion_string_content_legacy.yaml"))},
     "Body"),
    ("s3-file-management/test_get_list_files_max_keys.yaml", "s3", "list_objects_v2",
     lambda: {"Bucket": "test-buket-maksonik", "Prefix": "test", "MaxKeys": 10}, "KeyCount"),
    ("pystac/test_urls_with_non_ascii_characters.yaml", "s3", "get_object",
     lambda: {"Bucket": "capella-open-data",
              "Key": "stac/capella-open-data-by-capital/capella-open-data-malé/collection.json"},
     "Body"),
    ("cloud-custodian/replication_rule.yaml", "s3", "head_bucket",
     lambda: {"Bucket": "custodian-replication-west"}, "Error"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "service", "method", "params", "member"),
    [
        pytest.param(*r, marks=[pytest.mark.skip(reason=LACKING[r[0]])] if r[0] in LACKING else [])
        for r in REPLAYS
    ],
)
def test_a_call_replays_with_the_values_the_original_test_passed(
    name: str, service: str, method: str, params: Any, member: str, sanitized: dict[str, Path]
) -> None:
    doc = json.loads(sanitized[name].read_text())
    with isolated_environment(doc["metadata"]["region"]), Tape.load([sanitized[name]]) as tape:
        try:
            answer = getattr(boto3.client(service), method)(**params())
        except ClientError as error:  # a recorded error replays as one (HeadBucket's 301)
            answer = error.response
    assert member in answer
    assert len(tape.calls) == 1


PLACEBO = VCR.parent / "placebo"


def test_verify_audits_vcrpy_and_placebo_files_naming_interaction_and_field() -> None:
    guardrail = verify_file(VCR / "openinference/test_apply_guardrails.yaml")
    assert any(
        f.where == "interaction 1" and f.path.startswith("response.body.")
        and '"503561449716"' in f.message
        for f in guardrail
    ), guardrail  # fmt: skip
    sts = PLACEBO / "cloud-custodian/test_credential_sts/sts.AssumeRole_1.json"
    lines = {f"{f.path}: {f.message}" for f in verify_file(sts)}
    assert 'response.body.AssumedRoleUser.Arn: account id (not sanitized): "644160558196"' in lines
    assert "response.body.Credentials.SessionToken: value under a secret-looking key was not " \
           "replaced" in lines  # fmt: skip


def test_a_foreign_file_sanitized_by_pagetape_verifies_clean(sanitized: dict[str, Path]) -> None:
    name = "openinference/test_apply_guardrails.yaml"
    assert verify_file(VCR / name) != []
    assert verify_file(sanitized[name]) == []


@pytest.mark.parametrize("name", file_params(FILES))
def test_pagetape_replay_calls_every_imported_cassette_again(
    name: str, sanitized: dict[str, Path]
) -> None:
    """The cassette's parameters (URI labels and payloads included) call its first operation
    again through boto3, offline; a recorded error comes back as that error."""
    from pagetape.replay.engine import replay_chain

    doc = json.loads(sanitized[name].read_text())
    if reason := unknown_members(doc):
        pytest.skip(f"{name}: {reason}")
    walk = replay_chain(sanitized[name])
    failed = doc["interactions"][0]["response"]["status"] >= 300
    assert (walk.error is not None) == failed, walk.error
    assert failed or walk.pages >= 1


INNER = """
import json

import boto3
import pytest

@pytest.mark.pagetape("converse")
def test_converse():
    body = json.loads(open(BODY).read())
    answer = boto3.client("bedrock-runtime").converse(
        modelId="anthropic.claude-3-sonnet-20240229-v1:0", **body
    )
    assert answer["output"]["message"]["role"] == "assistant"

@pytest.mark.pagetape("endpoint")
def test_invoke_endpoint():
    answer = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="my-llama2-endpoint", ContentType="application/json", Body=open(BODY2).read()
    )
    assert answer["Body"].read()
"""


def test_imported_calls_replay_in_pytest_through_the_marker(
    pytester: pytest.Pytester, sanitized: dict[str, Path]
) -> None:
    """The user's own test, unchanged: real public model id, real endpoint name, no network."""
    folder = pytester.path / "cassettes"
    folder.mkdir()
    (folder / "converse.json").write_bytes(
        sanitized["dd-trace-py/bedrock_converse.yaml"].read_bytes()
    )
    legacy = "openllmetry/test_sagemaker_completion_string_content_legacy.yaml"
    (folder / "endpoint.json").write_bytes(sanitized[legacy].read_bytes())
    body = pytester.path / "body.json"
    body.write_text(json.dumps(_request_json("dd-trace-py/bedrock_converse.yaml")))
    body2 = pytester.path / "body2.json"
    body2.write_text(json.dumps(_request_json(legacy)))
    pytester.makeini("[pytest]\naddopts = -p no:randomly -p no:cacheprovider\n")
    pytester.makepyfile(INNER.replace("BODY2", repr(str(body2))).replace("BODY", repr(str(body))))
    result = pytester.runpytest_subprocess("--pagetape-block-network")
    result.assert_outcomes(passed=2)


def test_verify_reads_a_gzip_encoded_response_as_sanitize_does(tmp_path: Path) -> None:
    """One reader of vcrpy files for sanitize and the audit: the leak inside a compressed body
    is found at its field, not passed over as bytes."""
    import gzip

    import yaml

    body = json.dumps({"Arn": "arn:aws:iam::210987654321:role/deploy"}).encode()
    cassette = {"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "https://sts.amazonaws.com/", "headers": {},
                    "body": "Action=GetCallerIdentity&Version=2011-06-15"},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Encoding": ["gzip"],
                                 "Content-Type": ["application/json"]},
                     "body": {"string": gzip.compress(body)}},
    }]}  # fmt: skip
    path = tmp_path / "gz.yaml"
    path.write_text(yaml.safe_dump(cassette))
    found = [(f.path, f.message) for f in verify_file(path)]
    assert ("response.body.Arn", 'account id (not sanitized): "210987654321"') in found
