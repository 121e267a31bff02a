"""`verify` on a foreign file names what `sanitize` would replace, no more, no less.

By construction the audit runs the sanitizer itself (`pagetape.imports.foreign`); here that is checked
against what the commands really write: `pagetape sanitize` on every vcrpy cassette of the
foreign corpus and `pagetape import placebo` on every placebo folder. The fields each command
changed are read off its output with a comparison of this file's own, as plain as it can be
(JSON structure, XML elements, form fields, headers in any case); each field verify names lies
in one of them (inside a JSON document held in a string, verify names the member), and each
changed field holds one verify names.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote
from xml.etree import ElementTree

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foreign_helpers import file_params
from helpers import hand_made
from pagetape.aws.specs import botocore_session
from pagetape.cassette import store as cassette_io
from pagetape.errors import LeakError
from pagetape.imports.placebo import exchanges as placebo_exchanges
from pagetape.imports.placebo import guess_region, import_placebo, read_folder
from pagetape.imports.resanitize import sanitize_file
from pagetape.imports.vcr import read_vcr
from pagetape.record.recording import default_output
from pagetape.verify.lint import Finding, verify, verify_file
from pagetape.wire import codec
from pagetape.wire.chain import parsed

FOREIGN = Path(__file__).parents[1] / "data" / "foreign"
VCR_FILES = sorted(
    str(p.relative_to(FOREIGN / "vcrpy")) for p in (FOREIGN / "vcrpy").rglob("*.yaml*")
)
PLACEBO_FOLDERS = sorted(
    str(p.relative_to(FOREIGN / "placebo"))
    for p in (FOREIGN / "placebo").glob("*/*")
    if p.is_dir() and any(p.glob("*.json"))
)
_FORM = re.compile(r"[A-Za-z0-9_.\-]+=[^&\s]*(?:&[A-Za-z0-9_.\-]+=[^&\s]*)+")  # 2+ pairs
Field = tuple[str, str]  # (interaction, field path)
T = TypeVar("T")


# -- the fields a command changed, read off its output -----------------------------------------


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, leaf) of a stored body: JSON structure, XML elements (local tags, `[i]` for a
    repeated tag, `@attr`), form fields by key; an event payload's `{"$base64": text}` as the
    base64 it stands for, so both sides compare alike."""
    if isinstance(value, dict) and set(value) == {"$base64"}:
        yield path, base64.b64encode(str(value["$base64"]).encode()).decode()
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(value, str) and value.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(value.encode())
        except ElementTree.ParseError:
            yield path, value
        else:
            yield from _element(root, f"{path}.{root.tag.rpartition('}')[2]}")
    elif isinstance(value, str) and _FORM.fullmatch(value):
        for key, item in parse_qsl(value, keep_blank_values=True):
            yield f"{path}.{key}", item
    else:
        yield path, value


def _element(element: ElementTree.Element, path: str) -> Iterator[tuple[str, Any]]:
    if not len(element) and not element.attrib:
        yield path, element.text or ""
        return
    for key, value in element.attrib.items():
        yield f"{path}.@{key.rpartition('}')[2]}", value
    tags = [child.tag.rpartition("}")[2] for child in element]
    seen: dict[str, int] = {}
    for child, tag in zip(element, tags, strict=True):
        index = seen[tag] = seen.get(tag, -1) + 1
        suffix = f"[{index}]" if tags.count(tag) > 1 else ""
        yield from _element(child, f"{path}.{tag}{suffix}")
    if (element.text or "").strip():
        yield f"{path}.#text", element.text


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return unquote(old) == unquote(new)  # `%3A` or `:`: nothing replaced
    return bool(old == new)


def _changed(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Paths of OLD whose leaf NEW changed or left out."""
    return {path for path, value in old.items() if path not in new or not _same(value, new[path])}


def _headers(old: dict[str, str], new: dict[str, str], path: str) -> set[str]:
    lowered = {k.lower(): v for k, v in new.items()}
    return {f"{path}.{k}" for k, v in old.items() if lowered.get(k.lower()) != v}


def _vcr_changes(source: Path, written: Path) -> set[Field]:
    """What `pagetape sanitize SOURCE -o WRITTEN` changed, field by field."""
    exchanges, _ = read_vcr(source)
    tape = cassette_io.load(written)
    out: set[Field] = set()
    for n, (x, i) in enumerate(zip(exchanges, tape.interactions, strict=True), 1):
        fields = _headers(x.request.headers, i.request.headers, "request.headers")
        fields |= _headers(x.response.headers, i.response.headers, "response.headers")
        if not _same(x.request.path, i.request.path):
            fields.add("request.path")
        query = dict(i.request.query)
        fields |= {f"request.query.{k}" for k, v in x.request.query if not _same(v, query.get(k))}
        for side, raw, ctype, body in (
            ("request", x.request.body, codec.content_type(x.request.headers), i.request.body),
            ("response", x.response.body, codec.content_type(x.response.headers), i.response.body),
        ):
            before = dict(_leaves(codec.decode(raw, ctype), f"{side}.body"))
            fields |= _changed(before, dict(_leaves(body, f"{side}.body")))
        out |= {(f"interaction {n}", f) for f in fields}
    return out


def _placebo_changes(folder: Path, out: Path) -> dict[Path, set[Field]]:
    """What `pagetape import placebo FOLDER` changed in each file's response: the cassettes it
    wrote against the responses it read, both as botocore parses them (placebo keeps what
    botocore parsed; members the model does not know are dropped before sanitizing)."""
    import_placebo(folder, out)
    responses = read_folder(folder)
    exchanges = placebo_exchanges(responses, guess_region(responses))
    found: dict[Path, set[Field]] = {}
    written: dict[tuple[str, str, str], list[cassette_io.Interaction]] = {}
    for response, x in zip(responses, exchanges, strict=True):
        key = (response.prefix, response.service, response.operation)
        if key not in written:
            path = default_output(response.service, response.operation, out / response.prefix)
            written[key] = list(cassette_io.load(path).interactions)
        interaction = written[key].pop(0)
        op = botocore_session().get_service_model(x.service).operation_model(x.operation)
        raw = codec.parse_response(op, x.response.status, dict(x.response.headers), x.response.body)
        sides = [codec.to_jsonable(d) for d in (raw, parsed(op, interaction))]
        for side in sides:
            side.pop("ResponseMetadata", None)
        before, after = (dict(_leaves(side, "response.body")) for side in sides)
        found[response.path] = {("interaction 1", p) for p in _changed(before, after)}
    return found


def _written(command: Callable[[], T]) -> T:
    """COMMAND's result; a refusal by the leak proof is the sanitizer's own inconsistency (a
    value replaced in one place and kept in another): there is no output to compare with."""
    try:
        return command()
    except LeakError as exc:
        pytest.xfail(f"the command refuses to write: {exc}")


# -- what verify names --------------------------------------------------------------------------


def _related(path: str, field: str) -> bool:
    """PATH (named by verify) is FIELD (changed by sanitize), lies inside it (a member of the
    JSON document or base64 text it holds), or holds it (a faked map key: every leaf under it
    moved)."""
    return any(
        a == b or a.startswith((f"{b}.", f"{b}[")) for a, b in ((path, field), (field, path))
    )


def _named(findings: list[Finding]) -> set[Field]:
    return {(f.where, f.path) for f in findings}


def _assert_parity(named: set[Field], changed: set[Field]) -> None:
    outside = {(w, p) for w, p in named if not any(_related(p, f) for v, f in changed if v == w)}
    assert outside == set(), "verify names a field sanitize leaves as it is"
    unnamed = {(w, f) for w, f in changed if not any(_related(p, f) for v, p in named if v == w)}
    assert unnamed == set(), "sanitize changes a field verify does not name"


@pytest.mark.parametrize("name", file_params(VCR_FILES))
def test_verify_names_what_sanitize_changes_in_each_vcrpy_file(name: str, tmp_path: Path) -> None:
    source = FOREIGN / "vcrpy" / name
    written = _written(lambda: sanitize_file(source, tmp_path / "out.json")[1])
    findings = verify_file(source)
    assert all(f.rule for f in findings)
    changed = _vcr_changes(source, written)
    assert changed, "every file of the corpus holds something to replace"
    _assert_parity(_named(findings), changed)


@pytest.mark.parametrize("folder", PLACEBO_FOLDERS)
def test_verify_names_what_import_changes_in_each_placebo_file(folder: str, tmp_path: Path) -> None:
    source = FOREIGN / "placebo" / folder
    _, findings = verify([source])
    # A file the import cannot read is one finding; the import of the others is compared.
    unreadable = {Path(f.file) for f in findings if f.where == "file"}
    readable = tmp_path / "readable"
    readable.mkdir()
    for path in sorted(source.glob("*.json")):
        if path not in unreadable:
            shutil.copy(path, readable / path.name)
    changed = _written(lambda: _placebo_changes(readable, tmp_path / "out"))
    for path, fields in changed.items():
        original = str(source / path.name)
        _assert_parity(_named([f for f in findings if f.file == original]), fields)
    # A file on its own is audited with its folder, as the import sanitizes it.
    one = source / min(changed).name
    assert verify_file(one) == [f for f in findings if f.file == str(one)]


# -- hand-made vcrpy cassettes ------------------------------------------------------------------


def _vcr(folder: Path, *interactions: tuple[str, str, dict[str, str], str, dict[str, Any]]) -> Path:
    """A vcrpy cassette of (method, uri, request headers, request body, response) as vcrpy
    writes them; the response holds its status, headers and body text."""
    path = folder / "hand.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {
                            "method": m,
                            "uri": uri,
                            "body": body,
                            "headers": {k: [v] for k, v in headers.items()},
                        },
                        "response": {
                            "status": {"code": response.get("status", 200), "message": "OK"},
                            "headers": {k: [v] for k, v in response.get("headers", {}).items()},
                            "body": {"string": response["body"]},
                        },
                    }
                    for m, uri, headers, body, response in interactions
                ],
            }
        )
    )
    return path


SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA2E0A8F3B244C9986/20240101/eu-west-1/"
    "iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32,
    "X-Amz-Date": "20240101T000000Z",
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
}
XML = {"Content-Type": "text/xml"}
IAM = "https://iam.amazonaws.com/"


def _get_user(user: str) -> str:
    return (
        '<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User>'
        f"<Path>/</Path>{user}</User></GetUserResult>"
        "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>"
        "</ResponseMetadata></GetUserResponse>"
    )


def test_the_classes_the_audit_used_to_miss_are_named(tmp_path: Path) -> None:
    """Pagination tokens, UUID resource ids, IAM unique ids, a bucket in a
    PhysicalResourceId, certificate domain names and EC2 private host names: each is
    named at its field with the rule that replaces it, as sanitize replaces it."""
    stack = (
        '<DescribeStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/'
        '2010-05-15/"><DescribeStackResourcesResult><StackResources><member>'
        "<LogicalResourceId>Uploads</LogicalResourceId>"
        "<PhysicalResourceId>globex-uploads-eu-7f3a</PhysicalResourceId>"
        "<ResourceType>AWS::S3::Bucket</ResourceType>"
        "<StackId>arn:aws:cloudformation:eu-west-1:210987654321:stack/globex/"
        "4c0a7e6e-1d8b-4c51-9f7b-2d7f6a0c9e11</StackId>"
        "<ResourceStatus>CREATE_COMPLETE</ResourceStatus>"
        "<Timestamp>2024-01-01T00:00:00Z</Timestamp>"
        "</member></StackResources></DescribeStackResourcesResult>"
        "</DescribeStackResourcesResponse>"
    )
    path = _vcr(
        tmp_path,
        ("POST", IAM, SIGNED, "Action=GetUser&UserName=marta&Version=2010-05-08",
         {"headers": XML, "body": _get_user(
             "<UserName>marta</UserName><UserId>AIDA4Z7QXKJ2MN5LP8RTV</UserId>"
             "<Arn>arn:aws:iam::210987654321:user/marta</Arn>"
             "<CreateDate>2024-01-01T00:00:00Z</CreateDate>")}),
        ("POST", IAM, SIGNED, "Action=ListPolicies&Scope=Local&Version=2010-05-08",
         {"headers": XML, "body":
             '<ListPoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
             "<ListPoliciesResult><IsTruncated>true</IsTruncated>"
             "<Marker>AAE1b3N0cmluZ0BiYXNlNjQtdG9rZW4tb2YtaWFt</Marker><Policies><member>"
             "<PolicyName>globex-deploy</PolicyName><PolicyId>ANPA2RXW7YL3K9QD4TZ5B</PolicyId>"
             "<Arn>arn:aws:iam::210987654321:policy/globex-deploy</Arn></member></Policies>"
             "</ListPoliciesResult></ListPoliciesResponse>"}),
        ("POST", "https://cloudformation.eu-west-1.amazonaws.com/", SIGNED,
         "Action=DescribeStackResources&StackName=globex&Version=2010-05-15",
         {"headers": XML, "body": stack}),
        ("POST", "https://acm.eu-west-1.amazonaws.com/",
         {**SIGNED, "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": "CertificateManager.DescribeCertificate"},
         json.dumps({"CertificateArn": "arn:aws:acm:eu-west-1:210987654321:certificate/"
                                       "0f9b1a2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c"}),
         {"headers": {"Content-Type": "application/x-amz-json-1.1"}, "body": json.dumps(
             {"Certificate": {"DomainName": "shop.globex-retail.io",
                              "SubjectAlternativeNames": ["*.shop.globex-retail.io"]}})}),
        ("POST", "https://ec2.eu-west-1.amazonaws.com/", SIGNED,
         "Action=DescribeInstances&Version=2016-11-15",
         {"headers": XML, "body":
             '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
             "<reservationSet><item><instancesSet><item>"
             "<instanceId>i-0a1b2c3d4e5f67890</instanceId>"
             "<privateDnsName>ip-10-1-2-3.eu-west-1.compute.internal</privateDnsName>"
             "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>"}),
    )  # fmt: skip
    findings = verify_file(path)
    named = {(f.where, f.path, f.rule, f.message) for f in findings}
    body = "response.body"
    user = f"{body}.GetUserResponse.GetUserResult.User"
    policy = f"{body}.ListPoliciesResponse.ListPoliciesResult"
    stack_path = (
        f"{body}.DescribeStackResourcesResponse.DescribeStackResourcesResult.StackResources.member"
    )
    for expected in [
        ("interaction 1", f"{user}.UserId", "AIDA4Z7QXKJ2MN5LP8RTV"),
        ("interaction 2", f"{policy}.Marker", None),
        ("interaction 2", f"{policy}.Policies.member.PolicyId", "ANPA2RXW7YL3K9QD4TZ5B"),
        ("interaction 3", f"{stack_path}.PhysicalResourceId", "globex-uploads-eu-7f3a"),
        ("interaction 3", f"{stack_path}.StackId", "4c0a7e6e-1d8b-4c51-9f7b-2d7f6a0c9e11"),
        ("interaction 4", f"{body}.Certificate.DomainName", "shop.globex-retail.io"),
        ("interaction 5", f"{body}.DescribeInstancesResponse.reservationSet.item.instancesSet"
                          ".item.privateDnsName", "ip-10-1-2-3.eu-west-1.compute.internal"),
    ]:  # fmt: skip
        where, field, value = expected
        hits = [m for w, p, _, m in named if (w, p) == (where, field)]
        assert hits, (expected, sorted(named))
        assert value is None or any(json.dumps(value) in m for m in hits), (expected, hits)
    tokens = [f for f in findings if f.path == f"{policy}.Marker"]
    assert [(f.rule, f.message) for f in tokens] == [("token", "pagination token was not replaced")]
    # The credential headers by name, without their value; nothing else printed in full.
    auth = [f for f in findings if f.path == "request.headers.Authorization"]
    assert [f.message for f in auth] == ["credential header"] * 5
    assert all("ab" * 32 not in f.message for f in findings)
    _, written = sanitize_file(path, tmp_path / "out.json")
    _assert_parity(_named(findings), _vcr_changes(path, written))


PLACEHOLDERS = ("123456789012", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def test_documentation_placeholders_are_named_exactly_when_sanitize_replaces_them(
    tmp_path: Path,
) -> None:
    """AWS's documentation values: verify reports them as sanitize treats them (the audit is
    the sanitizer), never on its own judgement."""
    body = json.dumps({"Credentials": {
        "AccessKeyId": PLACEHOLDERS[1], "SecretAccessKey": PLACEHOLDERS[2],
    }, "AssumedRoleUser": {"Arn": f"arn:aws:sts::{PLACEHOLDERS[0]}:assumed-role/demo/x"}})  # fmt: skip
    path = _vcr(
        tmp_path,
        ("POST", "https://sts.amazonaws.com/", SIGNED, "Action=AssumeRole&Version=2011-06-15",
         {"headers": {"Content-Type": "application/json"}, "body": body}),
    )  # fmt: skip
    findings = verify_file(path)
    _, written = sanitize_file(path, tmp_path / "out.json")
    text = written.read_text()
    for value in PLACEHOLDERS:
        kept = value in text
        named = any(json.dumps(value) in f.message for f in findings)
        assert named is not kept, value
    _assert_parity(_named(findings), _vcr_changes(path, written))


def test_documentation_placeholders_are_not_reported(tmp_path: Path) -> None:
    body = json.dumps({"Credentials": {"AccessKeyId": PLACEHOLDERS[1]},
                       "Account": PLACEHOLDERS[0]})  # fmt: skip
    path = _vcr(
        tmp_path,
        ("POST", "https://sts.amazonaws.com/", SIGNED, "Action=GetCallerIdentity&Version=2011-06-15",
         {"headers": {"Content-Type": "application/json"}, "body": body}),
    )  # fmt: skip
    assert [f for f in verify_file(path) if any(v in f.message for v in PLACEHOLDERS)] == []


def test_documentation_placeholders_in_a_pagetape_cassette_pass_when_the_sanitizer_keeps_them(
    tmp_path: Path,
) -> None:
    """What the sanitizer keeps as it is (AWS's own values), verify accepts in its output."""
    from pagetape.sanitize.rewrite import Rewriter

    rewriter = Rewriter(b"k" * 32)
    kept = [v for v in PLACEHOLDERS if rewriter.string(v, "free_text") == v]
    interaction = cassette_io.Interaction(
        operation="GetCallerIdentity",
        request=cassette_io.Request(method="POST", path="/"),
        response=cassette_io.Response(status=200, body={"Note": " ".join(kept) or "none"}),
    )
    path = tmp_path / "kept.json"
    path.write_bytes(cassette_io.encode(hand_made([interaction], "sts", "GetCallerIdentity")))
    assert verify_file(path) == []


# -- the audit's comparison, on shapes the corpus may not hold ----------------------------------


def test_fields_are_compared_inside_json_strings_xml_and_forms() -> None:
    from pagetape.imports.foreign import _diff

    old = {"a": '{"Statement": [{"Principal": {"AWS": "arn:aws:iam::210987654321:root"}}]}',
           "x": "<r><k>v</k><k>w</k></r>", "f": "Action=Get&Name=acme", "h": "%3A"}  # fmt: skip
    new = {"a": '{"Statement": [{"Principal": {"AWS": "arn:aws:iam::445226233411:root"}}]}',
           "x": "<r><k>v</k><k>z</k></r>", "f": "Action=Get&Name=qzxw", "h": ":"}  # fmt: skip
    assert [p for p, _, _ in _diff(old, new, "body")] == [
        "body.a.Statement[0].Principal.AWS", "body.x.r.k[1]", "body.f.Name",
    ]  # fmt: skip


def test_a_file_sanitize_refuses_is_one_finding(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("interactions: [")
    [finding] = verify_file(path)
    assert (finding.where, finding.path) == ("file", "$")
    assert finding.message.startswith("is neither JSON nor YAML")


_WORDS = st.sampled_from(
    ["orders", "Marta", "Kowalczyk", "prod", "billing", "the", "queue", "ACME", "db01", "2024"]
)
_VALUES = st.one_of(
    st.lists(_WORDS, min_size=1, max_size=4).map(" ".join),
    st.lists(_WORDS, min_size=1, max_size=3).map("-".join),
    st.integers(10**11, 10**12 - 1).map(lambda n: f"arn:aws:iam::{n}:role/deploy"),
    st.sampled_from(["jane.doe@globex.io", "10.1.2.3", "54.239.28.85", "AKIA2E0A8F3B244C9986",
                     "ip-10-1-2-3.eu-west-1.compute.internal", "s3://globex-exports/2024/a.csv"]),
    st.integers(10**11, 10**12 - 1).map(
        lambda n: quote(json.dumps({"Principal": {"AWS": f"arn:aws:iam::{n}:root"}}), safe="")
    ),
)  # fmt: skip


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    secrets=st.lists(
        st.fixed_dictionaries(
            {"Name": _VALUES, "Description": _VALUES},
            optional={"Tags": st.lists(st.fixed_dictionaries({"Key": _WORDS, "Value": _VALUES}),
                                       max_size=2)},
        ),
        min_size=1, max_size=3,
    ),
    token=st.one_of(st.none(), st.just("AAEAAbGlzdC1zZWNyZXRzLXBhZ2UtMg==")),
)  # fmt: skip
def test_verify_names_what_sanitize_changes_in_any_listing(
    tmp_path: Path, secrets: list[dict[str, Any]], token: str | None
) -> None:
    """Names, free text, detected values, URL-encoded policies and tokens in any mix: the
    fields verify names are the fields sanitize changes."""
    body: dict[str, Any] = {"SecretList": secrets, **({"NextToken": token} if token else {})}
    path = _vcr(
        tmp_path,
        ("POST", "https://secretsmanager.eu-west-1.amazonaws.com/",
         {**SIGNED, "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": "secretsmanager.ListSecrets"}, "{}",
         {"headers": {"Content-Type": "application/x-amz-json-1.1"}, "body": json.dumps(body)}),
    )  # fmt: skip
    written = _written(lambda: sanitize_file(path, tmp_path / "out.json")[1])
    _assert_parity(_named(verify_file(path)), _vcr_changes(path, written))


def test_sigv2_fields_of_a_form_body_are_named_as_sanitize_drops_them(tmp_path: Path) -> None:
    """SimpleDB signs in the body: the headers rule drops those fields as it drops headers."""
    body = (
        "Action=ListDomains&AWSAccessKeyId=AKIA2E0A8F3B244C9986&SignatureMethod=HmacSHA256"
        "&SignatureVersion=2&Timestamp=2024-01-01T00%3A00%3A00&Version=2009-04-15"
        "&Signature=abcdEFGH1234%2B%2F%3D"
    )
    answer = (
        '<ListDomainsResponse xmlns="http://sdb.amazonaws.com/doc/2009-04-15/"><ListDomainsResult>'
        "<DomainName>globex-users</DomainName></ListDomainsResult></ListDomainsResponse>"
    )
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    path = _vcr(
        tmp_path,
        ("POST", "https://sdb.amazonaws.com/", form, body, {"headers": XML, "body": answer}),
    )
    findings = verify_file(path)
    signing = {f.path.rpartition(".")[2] for f in findings if f.rule == "headers"}
    assert signing == {"AWSAccessKeyId", "SignatureMethod", "SignatureVersion", "Timestamp",
                       "Signature"}  # fmt: skip
    assert {f.message for f in findings if f.rule == "headers"} == {"signing field (not sanitized)"}
    assert all("abcdEFGH" not in f.message for f in findings)
    written = sanitize_file(path, tmp_path / "out.json")[1]
    _assert_parity(_named(findings), _vcr_changes(path, written))
