"""A pagetape cassette sanitized again (`pagetape sanitize` on one) gives its bodies back to the
sanitizer as the bytes they were on the wire: a CBOR body is CBOR again and an event stream is
frames again, so both are walked by the model as when they were recorded, and what was already
sanitized comes out the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cbor2
import pytest

from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import CassetteError
from pagetape.imports.resanitize import read_pagetape, sanitize_file
from pagetape.sanitize.writer import build, write
from pagetape.wire import codec
from pagetape.wire.eventstream import Header, Message, write_message
from sanitize_helpers import leaks

ACCOUNT = "367279807972"
EMAIL = "dana.whitfield@northwind-outfitters.com"
ALERT = "northwind-payments-latency"
PLANTED = {ACCOUNT, EMAIL, ALERT, "northwind"}
STRING = 7  # the event-stream header type code of a string


def _cbor_page() -> Interaction:
    """A smithy-rpc-v2-cbor page of CloudWatch Omni's ListAlerts, as the wire carries it."""
    page = {
        "items": [
            {
                "name": ALERT,
                "alertId": "a1b2c3d4",
                "alertArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alert/{ALERT}",
                "state": "ACTIVE",
            }
        ],
    }
    return Interaction(
        service="cloudwatchomni",
        operation="ListAlerts",
        request=Request(
            method="POST",
            path="/service/CloudWatchOmni/operation/ListAlerts",
            query=[],
            headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
            body=cbor2.dumps({"spaceId": "space-1"}),
        ),
        response=Response(
            status=200,
            headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
            body=cbor2.dumps(page),
        ),
    )


def _stream() -> Interaction:
    """A Bedrock ConverseStream answer, frame by frame, naming a person and an account."""

    def event(kind: str, payload: dict[str, Any]) -> bytes:
        headers = [
            Header(":event-type", STRING, kind),
            Header(":content-type", STRING, "application/json"),
            Header(":message-type", STRING, "event"),
        ]
        compact = json.dumps(payload, separators=(",", ":"), sort_keys=True)  # as AWS writes it
        return write_message(Message(tuple(headers), compact.encode()))

    said = f"The job runs in account {ACCOUNT}; ask {EMAIL}."
    raw = event("messageStart", {"role": "assistant"}) + event(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": said}}
    )
    return Interaction(service="bedrock-runtime", operation="ConverseStream", request=Request(method="POST", path="/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", query=[], headers={"Content-Type": "application/json"}, body=json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
        .encode()), response=Response(status=200, headers={"Content-Type": codec.eventstream.CONTENT_TYPE}, body=raw))  # fmt: skip


@pytest.mark.parametrize("exchange", [_cbor_page, _stream], ids=["cbor", "event-stream"])
def test_a_cassette_sanitized_again_keeps_its_body_format_and_its_fakes(
    tmp_path: Path, exchange: Any
) -> None:
    first = tmp_path / "first.json"
    tape, sanitizer = build([exchange()], "us-east-1")
    write(first, tape, sanitizer)
    stored = cassette_io.load(first).interactions[0]
    ctype = codec.content_type(stored.response.headers)
    again = read_pagetape(cassette_io.load(first))[0]
    # What the sanitizer is handed is the wire form replay would serve, not JSON of it.
    assert again.response.body == codec.to_bytes(stored.response.body, ctype)

    second = tmp_path / "second.json"
    sanitize_file(first, second)
    resanitized = cassette_io.load(second).interactions[0]
    assert resanitized.response.body == stored.response.body
    assert resanitized.request.body == stored.request.body
    text = second.read_text()
    assert codec.CBOR_MARK + '": "raw' not in text.replace(" ", "")  # decoded, not kept opaque
    assert leaks(text, PLANTED) == []
    assert leaks(codec.to_bytes(resanitized.response.body, ctype).decode("latin-1"), PLANTED) == []


def test_a_hand_edited_stored_body_is_refused_by_file_and_interaction(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    tape, sanitizer = build([_stream()], "us-east-1")
    write(first, tape, sanitizer)
    data = json.loads(first.read_text())
    frame = data["interactions"][0]["response"]["body"]["$eventstream"][0]
    frame.pop("payload", None)
    frame["payload_base64"] = "%%"  # not base64
    first.write_text(json.dumps(data))
    with pytest.raises(CassetteError) as refused:
        sanitize_file(first, tmp_path / "second.json")
    assert str(refused.value).startswith(f"{first}: interaction 1: response body:")
    assert not (tmp_path / "second.json").exists()
