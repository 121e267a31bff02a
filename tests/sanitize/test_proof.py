"""The leak proof (pagetape.sanitize.proof): every identifying original a Rewriter replaced is
searched for in the encoded cassette, plain, URL-encoded and base64; a hit names where and which
rule, never the value; common words, public and kept values and text the sanitizer produced never
fire it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import LeakError
from pagetape.sanitize import proof, writer
from pagetape.sanitize.rewrite import Rewriter

SECRET = b"proof-test-secret"
NAME = "acme-prod-logs"


def _encoded(*bodies: Any, metadata: dict[str, Any] | None = None) -> bytes:
    """A cassette-shaped document: one interaction per body, then METADATA."""
    interactions = [
        {"operation": "ListThings", "request": {"path": "/"}, "response": {"body": b}}
        for b in bodies
    ]
    return json.dumps({"interactions": interactions, "metadata": metadata or {}}).encode()


def _rewriter(*names: str, **kwargs: Any) -> Rewriter:
    values = Rewriter(SECRET, **kwargs)
    for name in names:
        assert values.string(name, "name") != name
    return values


def _leak(data: bytes, values: Rewriter) -> str:
    with pytest.raises(LeakError) as caught:
        proof.check(data, values)
    return str(caught.value)


def test_a_replaced_name_left_in_place_is_found_with_where_and_rule() -> None:
    values = _rewriter(NAME)
    data = _encoded({"Name": "fine"}, {"Name": "fine"}, {"Items": [{"Bucket": NAME}]})
    message = _leak(data, values)
    assert message.startswith("interaction 3, response.body.Items[0].Bucket: ")
    assert "'name' rule" in message and "(plain)" in message
    assert NAME not in message  # the value itself is never printed


def test_sanitized_text_passes() -> None:
    values = _rewriter(NAME)
    fake = values.string(NAME, "name")
    proof.check(_encoded({"Name": fake, "Text": values.text(f"bucket {NAME} is full")}), values)


def test_found_inside_text_but_not_inside_a_longer_word() -> None:
    values = _rewriter(NAME)
    assert "(plain)" in _leak(_encoded({"Message": f"see {NAME}."}), values)
    assert "(plain)" in _leak(_encoded({"Path": f"/logs%2F{NAME}"}), values)  # after an escape
    proof.check(_encoded({"Message": f"x{NAME}x", "Other": f"{NAME}2"}), values)


def test_url_encoded_original_is_found() -> None:
    values = Rewriter(SECRET)
    original = "s3cr3t/v@lue!x"
    assert values.secret(original) != original
    message = _leak(_encoded({"Next": "https://h.example/?k=s3cr3t%2Fv%40lue%21x"}), values)
    assert "(URL-encoded)" in message and "'secret_value' rule" in message


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize("suffix", [b"", b"/", b"?x=1", b"-and-more-bytes"])
def test_base64_original_is_found_whatever_follows_it(encode: Any, suffix: bytes) -> None:
    values = _rewriter(NAME)
    blob = encode(NAME.encode() + suffix).decode()
    assert "(base64" in _leak(_encoded({"Blob": blob}), values)


def test_base64_forms_are_the_stable_prefix_only() -> None:
    # The last group of base64 depends on what follows: only whole groups are searched.
    forms = dict(proof.forms(NAME))
    for suffix in (b"", b"x", b"xy", b"\xff\xfe"):
        assert base64.b64encode(NAME.encode() + suffix).decode().startswith(forms["base64"])
    assert len(forms["base64"]) % 4 == 0
    assert proof.forms("abcd") == [("plain", "abcd")]  # too short for a stable base64 prefix
    assert ("URL-encoded", "a%20b%2Fc") in proof.forms("a b/c")


def test_common_words_and_public_values_are_not_searched() -> None:
    values = _rewriter("list", NAME)  # `list` is faked as a name, yet identifies nobody
    values.keep(NAME)  # and the name is kept on a path the user keeps: real everywhere
    proof.check(_encoded({"Message": f"list of {NAME}"}), values)


def test_interactions_are_searched_before_metadata() -> None:
    values = _rewriter(NAME)
    both = _encoded({"Name": NAME}, metadata={"params": {"Name": NAME}})
    assert _leak(both, values).startswith("interaction 1, response.body.Name")
    only_meta = _encoded({"Name": "fine"}, metadata={"params": {"Name": NAME}})
    assert _leak(only_meta, values).startswith("metadata.params.Name: ")


def test_map_keys_are_searched_unless_plain_words() -> None:
    values = _rewriter(NAME)
    # A key holding a space or an @ is data, not a member name.
    assert "response.body.<key>" in _leak(_encoded({f"owner {NAME}": 1}), values)
    # A plain word is taken for a member name, structure: not searched (as documented).
    proof.check(_encoded({NAME: 1}), values)


def test_a_real_pagination_token_is_found_as_a_token() -> None:
    values = Rewriter(SECRET)
    real = "AAAAbbbbCCCC1234zz"
    assert values.token(real).startswith("pagetape-token-")
    assert "'token' rule" in _leak(_encoded({"nextToken": real}), values)


def test_switched_off_rules_are_named() -> None:
    values = _rewriter(NAME, disabled=["email", "ip_address"])
    message = _leak(_encoded({"Name": NAME}), values)
    assert message.endswith("(rules switched off: email, ip_address)")


def test_nothing_replaced_nothing_to_find() -> None:
    proof.check(b"not even json", Rewriter(SECRET))


def test_the_writer_refuses_to_write_a_cassette_holding_an_original(tmp_path: Path) -> None:
    body = {
        "batchSegmentJobs": [
            {"jobName": "globex-churn-segments", "status": "ACTIVE",
             "batchSegmentJobArn": "arn:aws:personalize:us-east-1:210987654321:"
                                   "batch-segment-job/globex-churn-segments"},
        ],
    }  # fmt: skip
    exchange = Interaction(service="personalize", operation="ListBatchSegmentJobs", request=Request(method="POST", path="/", query=[], headers={"X-Amz-Target": "AmazonPersonalize.ListBatchSegmentJobs",
         "Content-Type": "application/x-amz-json-1.1"}, body=b"{}"), response=Response(status=200, headers={"Content-Type": "application/x-amz-json-1.1"}, body=json.dumps(body).encode()))  # fmt: skip
    tape, sanitizer = writer.build([exchange], "us-east-1")
    clean = tmp_path / "clean.json"
    writer.write(clean, tape, sanitizer)  # what the sanitizer produced passes the proof
    written = clean.read_text()
    assert "globex-churn-segments" not in written and "210987654321" not in written
    tape.interactions[0].response.body["batchSegmentJobs"][0]["name"] = "globex-churn-segments"
    leaked = tmp_path / "leaked.json"
    with pytest.raises(LeakError, match=r"interaction 1, response\.body\.batchSegmentJobs\[0\]"):
        writer.write(leaked, tape, sanitizer)
    assert not leaked.exists()
