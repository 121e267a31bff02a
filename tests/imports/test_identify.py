"""Identification of recorded exchanges without target or authorization headers.

The sweep serializes a request for every operation of every botocore service, the way botocore
sends it, strips the operation target, and asks `identify`: it must name the operation, or say it
cannot tell between several that include it; it must never name another one. (The same operation
of services sharing one endpoint, rds, docdb and neptune at rds.*, is one call on the wire: the
host's service is named.)"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.serialize import create_serializer

from pagetape.aws.specs import botocore_session
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.imports.identify import Identity, Unidentified, identify
from pagetape.wire.codec import wire_protocol

HOSTS = [
    # (method, uri, body, service, operation, region, replayed path)
    ("GET", "https://mybucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=a%2Fb", b"",
     "s3", "ListObjectsV2", "eu-west-1", "/mybucket"),
    ("GET", "https://s3-us-gov-east-1.amazonaws.com/b/some/key/with/slashes.txt", b"",
     "s3", "GetObject", "us-gov-east-1", "/b/some/key/with/slashes.txt"),
    ("HEAD", "https://my.dotted.bucket.s3.amazonaws.com/", b"", "s3", "HeadBucket", None,
     "/my.dotted.bucket"),
    ("GET", "https://b.s3.dualstack.us-west-2.amazonaws.com/k?uploadId=1", b"", "s3",
     "ListParts", "us-west-2", "/b/k"),
    ("POST", "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/e-1/invocations", b"",
     "sagemaker-runtime", "InvokeEndpoint", "us-east-1", None),
    ("POST", "https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-haiku"
     "-20240307-v1%3A0/converse-stream", b"", "bedrock-runtime", "ConverseStream",
     "eu-central-1", None),
    ("POST", "https://bedrock-agent-runtime.us-west-2.amazonaws.com/agents/A1/agentAliases/B2/"
     "sessions/s1/text", b"", "bedrock-agent-runtime", "InvokeAgent", "us-west-2", None),
    ("POST", "https://bedrock-runtime.vcr.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse",
     b"", "bedrock-runtime", "Converse", None, None),
    ("POST", "https://iam.amazonaws.com/", b"Action=ListRoles&Version=2010-05-08", "iam",
     "ListRoles", None, None),
    ("GET", "https://ec2.ap-south-1.amazonaws.com/?Action=DescribeInstances&Version=2016-11-15",
     b"", "ec2", "DescribeInstances", "ap-south-1", None),
    ("POST", "https://ssm.us-west-2.amazonaws.com/", b'{"Path": "/app", "Recursive": true}',
     "ssm", "GetParametersByPath", "us-west-2", None),
    ("GET", "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/", b"", "lambda",
     "ListFunctions", "us-east-1", None),
    ("POST", "https://dynamodb.us-east-1.amazonaws.com/", b'{"TableName": "t", "Segment": 0, "TotalSegments": 2}',
     "dynamodb", "Scan", "us-east-1", None),
]  # fmt: skip


def _exchange(
    method: str,
    uri: str,
    headers: dict[str, str],
    body: bytes = b"",
    status: int = 200,
    response_body: bytes = b"",
) -> tuple[str, Interaction]:
    """(URI, exchange) as the vcrpy reader hands them to identify: not yet identified."""
    path = urlsplit(uri).path or "/"
    request = Request(method=method, path=path, headers=headers, body=body)
    response = Response(status=status, body=response_body)
    return uri, Interaction(operation="", request=request, response=response)


@pytest.mark.parametrize(("method", "uri", "body", "service", "op", "region", "path"), HOSTS)
def test_real_host_forms_without_target_or_signature(
    method: str, uri: str, body: bytes, service: str, op: str, region: str | None, path: str | None
) -> None:
    found = identify(*_exchange(method, uri, {}, body))
    assert isinstance(found, Identity), found
    assert (found.service, found.operation, found.region) == (service, op, region)
    if path is not None:
        assert found.path == path


def test_the_sigv4_scope_names_service_and_region_behind_any_endpoint() -> None:
    auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-central-1/sqs/aws4_request, x"
    found = identify(*_exchange("POST", "http://127.0.0.1:5000/", {"Authorization": auth},
                              b"Action=ListQueues&Version=2012-11-05"))  # fmt: skip
    assert found == Identity("sqs", "ListQueues", "eu-central-1", "/")


def test_a_target_header_settles_it_and_other_hosts_are_not_aws() -> None:
    target = {"X-Amz-Target": "DynamoDB_20120810.Query"}
    found = identify(*_exchange("POST", "https://dynamodb.us-east-1.amazonaws.com/", target, b"{}"))
    assert isinstance(found, Identity) and found.operation == "Query"
    assert identify(*_exchange("GET", "https://api.openai.com/v1/models", {})) is None


def test_the_response_members_narrow_a_json_request() -> None:
    """{} fits every SSM operation without required members; the response's members do not."""
    bare = identify(*_exchange("POST", "https://ssm.us-east-1.amazonaws.com/", {}, b"{}"))
    assert isinstance(bare, Unidentified) and "operations" in bare.reason
    answered = _exchange("POST", "https://ssm.us-east-1.amazonaws.com/", {}, b"{}",
                        200, b'{"Parameters": [], "NextToken": "t"}')  # fmt: skip
    found = identify(*answered)
    assert isinstance(found, Identity) and found.operation == "DescribeParameters"


def _synth(shape: Any, depth: int = 0) -> Any:
    """Every required member filled with a plain value of its type."""
    kind = shape.type_name
    if kind == "structure":
        required = shape.required_members or []
        return {} if depth > 4 else {n: _synth(shape.members[n], depth + 1) for n in required}
    if kind == "list":
        return [_synth(shape.member, depth + 1)]
    if kind == "map":
        return {"k": _synth(shape.value, depth + 1)}
    if kind == "string":
        return shape.enum[0] if shape.enum else "x" * max(shape.metadata.get("min", 1), 1)
    simple = {"integer": 1, "long": 1, "boolean": True, "blob": b"x", "float": 1.0, "double": 1.0}
    if kind == "timestamp":
        return datetime.datetime(2024, 1, 1)
    return max(shape.metadata.get("min", 1), 1) if kind in ("integer", "long") else simple[kind]


def _sent(service: str, name: str) -> tuple[str, Interaction] | None:
    model = botocore_session().get_service_model(service)
    op = model.operation_model(name)
    protocol = wire_protocol(model)
    try:
        req = create_serializer(protocol).serialize_to_request(
            _synth(op.input_shape) if op.input_shape else {}, op
        )
    except Exception:  # a synthesized value the serializer rejects: nothing to identify
        return None
    query = req["query_string"]
    encoded = urlencode(query, doseq=True) if isinstance(query, dict) else query
    prefix = model.metadata.get("endpointPrefix", service)
    uri = f"https://{prefix}.us-east-1.amazonaws.com{req['url_path']}"
    if encoded:
        uri += ("&" if "?" in uri else "?") + encoded
    body = req["body"]
    body = urlencode(body, doseq=True).encode() if isinstance(body, dict) else body
    body = body.encode() if isinstance(body, str) else (body or b"")
    headers = {k: str(v) for k, v in req["headers"].items() if k.lower() != "x-amz-target"}
    return _exchange(req["method"], uri, headers, body)


def _services(protocol: str) -> list[str]:
    session = botocore_session()
    return [
        s
        for s in session.get_available_services()
        if session.get_service_model(s).metadata["protocol"] == protocol
    ]


def _same_wire(found: Identity, service: str, name: str) -> bool:
    """The same operation of another service at the same endpoint: nothing on the wire tells
    them apart."""
    model = botocore_session().get_service_model
    prefix = model(service).metadata.get("endpointPrefix")
    return found.operation == name and model(found.service).metadata.get("endpointPrefix") == prefix


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["json", "rest-json", "rest-xml", "query", "ec2"])
def test_every_operation_is_named_or_left_open_never_mistaken(protocol: str) -> None:
    named = open_ = 0
    wrong = []
    for service in _services(protocol):
        for name in botocore_session().get_service_model(service).operation_names:
            sent = _sent(service, name)
            if sent is None:
                continue
            found = identify(*sent)
            if isinstance(found, Identity) and (found.service, found.operation) == (service, name):
                named += 1
            elif isinstance(found, Unidentified):
                open_ += 1
            elif isinstance(found, Identity) and _same_wire(found, service, name):
                named += 1  # rds, docdb and neptune at rds.*: the host's service is named
            else:
                wrong.append(f"{service}.{name} -> {found}")
    assert wrong == []
    # Rest and query protocols say their operation on the wire; JSON without a target often
    # cannot from the required members alone (an empty body fits every operation without
    # required members; a real exchange's response narrows it). botocore 1.44: json 30%.
    assert named / (named + open_) > (0.25 if protocol == "json" else 0.95)


def test_s3_calls_made_by_clients_leave_the_models_lookups_read_untouched() -> None:
    """botocore's S3 handler strips `/{Bucket}` from the request URI of the model it loaded, in
    place; identification reads the published template whatever clients did before."""
    from pagetape.aws.isolation import fresh_session

    bucket = _exchange("HEAD", "https://s3.amazonaws.com/some-bucket", {})
    assert isinstance(identify(*bucket), Identity)
    client = fresh_session().client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    model = client.meta.service_model.operation_model("HeadBucket")
    client.meta.events.emit(  # what every S3 call does to its model before it is sent
        "before-parameter-build.s3.HeadBucket", params={"Bucket": "b"}, model=model, context={}
    )
    assert model.http["requestUri"] == ""  # botocore edited the client's model in place
    found = identify(*bucket)
    assert isinstance(found, Identity) and found.operation == "HeadBucket"


def test_a_service_without_a_signing_name_signs_with_its_endpoint_prefix() -> None:
    """CloudWatch signs as `monitoring`; behind a local endpoint only the scope says so."""
    auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/monitoring/aws4_request"
    body = b"Action=ListMetrics&Version=2010-08-01"
    found = identify(*_exchange("POST", "http://127.0.0.1:5000/", {"Authorization": auth}, body))
    assert isinstance(found, Identity) and (found.service, found.operation) == (
        "cloudwatch",
        "ListMetrics",
    )
