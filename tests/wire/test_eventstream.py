"""AWS event-stream bodies: stored frame by frame, byte for byte; sanitized event by event with
the model's shapes; replayed through boto3's own EventStream.

Real parts only: frames written by `pagetape.wire.eventstream` and cross-checked with botocore's own
decoder, a local HTTP server answering real boto3 calls with them, real vcrpy recording the
exchange into a YAML cassette, then the sanitizer, `pagetape verify` and replay.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import msgspec
import pytest
import urllib3
import vcr
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import SANDBOX_KEY, answering
from pagetape.aws.isolation import isolated_environment
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import CassetteError
from pagetape.imports.vcr import read_vcr
from pagetape.replay.engine import Tape
from pagetape.sanitize.walker import Sanitizer
from pagetape.sanitize.writer import build, write
from pagetape.verify.lint import verify_file
from pagetape.wire import codec
from pagetape.wire.eventstream import Header, Message, decode, encode, read_messages, write_message
from sanitize_helpers import TEST_SECRET, leaks

ACCOUNT = "367279807972"
ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/northwind-invoice-runner"
EMAIL = "dana.whitfield@northwind-outfitters.com"
PLANTED = {ACCOUNT, ARN, EMAIL, "dana.whitfield", "northwind-outfitters.com"}
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Who runs the invoice job?"}]}]
STREAM_TYPE = "application/vnd.amazon.eventstream"


# -- frames as AWS writes them --------------------------------------------------------------


def _event(event_type: str, payload: dict[str, Any], kind: str = "event") -> bytes:
    """One frame, headers in AWS's order, payload compact JSON with sorted keys (as AWS sends)."""
    name = ":exception-type" if kind == "exception" else ":event-type"
    headers = (
        Header(name, 7, event_type),
        Header(":content-type", 7, "application/json"),
        Header(":message-type", 7, kind),
    )
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return write_message(Message(headers, text.encode()))


def converse_stream_body() -> bytes:
    text = f"The invoice job runs as {ARN}; ask {EMAIL} before changing it."
    return b"".join(
        [
            _event("messageStart", {"p": "abcdefghijklmnopqrstu", "role": "assistant"}),
            _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[:30]},
                                         "p": "abcdefghij"}),
            _event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[30:]},
                                         "p": "abcdefghijklmnop"}),
            _event("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefghijklmnopqrstuvw"}),
            _event("messageStop", {"p": "abcd", "stopReason": "end_turn"}),
            _event("metadata", {"metrics": {"latencyMs": 412}, "p": "abcdefgh",
                                "usage": {"inputTokens": 14, "outputTokens": 31,
                                          "totalTokens": 45}}),
        ]
    )  # fmt: skip


def _chunk(document: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream chunk: the model's JSON, base64 in `bytes`."""
    inner = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return _event("chunk", {"bytes": base64.b64encode(inner).decode(), "p": "abcdefghijklm"})


def invoke_stream_body() -> bytes:
    return b"".join(
        [
            _chunk({"type": "message_start", "message": {"id": "msg_bdrk_01XkqA9", "type":
                    "message", "role": "assistant", "model": "claude-3-haiku-20240307",
                    "content": [], "usage": {"input_tokens": 14, "output_tokens": 1}}}),
            _chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                    "text": f"Ask {EMAIL} about {ARN}."}}),
            _chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": 14, "outputTokenCount": 31, "invocationLatency": 412,
                    "firstByteLatency": 188}}),
        ]
    )  # fmt: skip


# -- the byte format --------------------------------------------------------------------------


def _buffer(raw: bytes) -> EventStreamBuffer:
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return buffer


def test_frames_agree_with_botocores_decoder() -> None:
    raw = converse_stream_body()
    theirs = [(m.headers, m.payload) for m in _buffer(raw)]
    ours, rest = read_messages(raw)
    assert rest == b"" and len(ours) == len(theirs) == 6
    for message, (headers, payload) in zip(ours, theirs, strict=True):
        assert {h.name: h.value for h in message.headers} == headers
        assert message.payload == payload
    assert theirs[1][0][":event-type"] == "contentBlockDelta"


def _through_a_cassette(stored: Any) -> Any:
    """What a stored body is after the cassette writer (sorted keys) and loader."""
    encoder = msgspec.json.Encoder(order="deterministic")
    return msgspec.json.decode(msgspec.json.format(encoder.encode(stored), indent=2))


@pytest.mark.parametrize("body", [converse_stream_body(), invoke_stream_body()])
def test_stored_frames_read_well_and_give_back_the_exact_bytes(body: bytes) -> None:
    stored = decode(body)
    frames = stored["$eventstream"]
    assert all("payload" in f and "header_order" not in f for f in frames)  # plain JSON
    assert frames[0]["headers"] == {
        ":event-type": frames[0]["headers"][":event-type"],
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert encode(_through_a_cassette(stored)) == body
    assert decode(encode(stored)) == stored


def test_blob_json_is_shown_decoded() -> None:
    frames = decode(invoke_stream_body())["$eventstream"]
    inner = frames[1]["payload"]["bytes"]["$base64"]
    assert json.loads(inner)["delta"]["text"] == f"Ask {EMAIL} about {ARN}."


_header = st.one_of(
    st.booleans().map(lambda b: (0 if b else 1, b)),
    st.integers(-(2**7), 2**7 - 1).map(lambda i: (2, i)),
    st.integers(-(2**15), 2**15 - 1).map(lambda i: (3, i)),
    st.integers(-(2**31), 2**31 - 1).map(lambda i: (4, i)),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: (5, i)),
    st.binary(max_size=40).map(lambda b: (6, b)),
    st.text(max_size=40).map(lambda s: (7, s)),
    st.integers(0, 2**62).map(lambda i: (8, i)),
    st.binary(min_size=16, max_size=16).map(lambda b: (9, b)),
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12,
)  # fmt: skip
_payload = st.one_of(
    st.binary(max_size=80),
    st.text(max_size=80).map(str.encode),
    st.dictionaries(st.text(max_size=8), _json_value, max_size=5).map(
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ),
    st.dictionaries(st.text(max_size=8), _json_value, max_size=5).map(
        lambda d: json.dumps(d).encode()  # spaces, ASCII escapes, insertion order
    ),
    st.text(max_size=40).map(
        lambda s: json.dumps({"bytes": base64.b64encode(json.dumps({"t": s}).encode()).decode()},
                             separators=(",", ":")).encode()
    ),
)  # fmt: skip
_message = st.builds(
    lambda headers, payload: Message(
        tuple(Header(name, kind, value) for name, (kind, value) in headers.items()), payload
    ),
    st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda s: len(s.encode()) < 256),
                    _header, max_size=5),
    _payload,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(_message, max_size=5))
def test_any_stream_round_trips_byte_for_byte(messages: list[Message]) -> None:
    raw = b"".join(write_message(m) for m in messages)
    found, rest = read_messages(raw)
    assert rest == b"" and found == messages  # botocore's decoder reads what we wrote
    stored = decode(raw)
    assert encode(_through_a_cassette(stored)) == raw
    assert decode(encode(stored)) == stored


def test_a_damaged_body_keeps_its_bytes_and_what_still_decodes() -> None:
    raw = converse_stream_body()
    first = read_messages(raw)[0][0]
    one = len(write_message(first))
    truncated = raw[:-7]
    corrupt = bytearray(raw)
    corrupt[one + 20] ^= 0x55  # inside the second frame: its message CRC no longer holds
    for body in (truncated, bytes(corrupt)):
        stored = decode(body)
        assert len(stored["$eventstream"]) == (5 if body is truncated else 1)
        assert "\ufffd" not in json.dumps(stored)
        assert encode(_through_a_cassette(stored)) == body
    # CRCs hold, but a string header claims 10 bytes and has 3: botocore reads it leniently.
    headers = b"\x01a\x07" + struct.pack("!H", 10) + b"abc"
    prelude = struct.pack("!II", 12 + len(headers) + 2 + 4, len(headers))
    frame = prelude + struct.pack("!I", zlib.crc32(prelude)) + headers + b"{}"
    lenient = frame + struct.pack("!I", zlib.crc32(frame))
    assert len(list(_buffer(lenient))) == 1
    assert decode(lenient) == {"$eventstream": [], "undecoded": base64.b64encode(lenient).decode()}
    garbage = b"\x00\x00\x00\x10garbage-not-a-frame"
    assert decode(garbage) == {"$eventstream": [], "undecoded": base64.b64encode(garbage).decode()}


def test_a_body_kept_as_text_by_a_cassette_writer_is_read_as_its_bytes(tmp_path: Path) -> None:
    """JSON cassettes cannot hold bytes: writers keep them as latin-1 text or base64. The CRCs
    prove which bytes they were."""
    raw = converse_stream_body()
    for text in (raw.decode("latin-1"), base64.b64encode(raw).decode()):
        source = tmp_path / "stream.json"
        source.write_text(json.dumps({"interactions": [_vcr_interaction(text)]}))
        exchanges, _ = read_vcr(source)
        assert codec.decode(exchanges[0].response.body, STREAM_TYPE) == decode(raw)


def _vcr_interaction(body: str) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": f"https://bedrock-runtime.us-east-1.amazonaws.com/"
                    f"model/{MODEL}/converse-stream", "body": json.dumps({"messages": MESSAGES}),
                    "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": body},
                     "headers": {"Content-Type": [STREAM_TYPE]}},
    }  # fmt: skip


# -- recorded by vcrpy from a real boto3 call, sanitized, verified, replayed -------------------


@pytest.fixture
def bedrock() -> Iterator[str]:
    bodies = {
        "converse-stream": converse_stream_body(),
        "invoke-with-response-stream": invoke_stream_body(),
    }
    headers = {
        "x-amzn-RequestId": "6f1b2c3d-0000-4000-8000-1234567890ab",
        "X-Amzn-Bedrock-Content-Type": "application/json",
    }
    with answering(lambda path: (STREAM_TYPE, bodies[path.rsplit("/", 1)[-1]], headers)) as url:
        yield url


def _call(client: Any, operation: str) -> list[dict[str, Any]]:
    """The events a user's loop gets."""
    if operation == "ConverseStream":
        return list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    request = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
               "messages": [{"role": "user", "content": "Who runs the invoice job?"}]}  # fmt: skip
    response = client.invoke_model_with_response_stream(modelId=MODEL, body=json.dumps(request))
    return list(response["body"])


@pytest.mark.parametrize("operation", ["ConverseStream", "InvokeModelWithResponseStream"])
def test_a_recorded_stream_is_sanitized_verified_and_replayed(
    cli: Any, bedrock: str, tmp_path: Path, operation: str
) -> None:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=bedrock,
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    source = tmp_path / "stream.yaml"
    with vcr.use_cassette(str(source)):
        live = _call(client, operation)
    assert "!!binary" in source.read_text()
    wire = converse_stream_body() if operation == "ConverseStream" else invoke_stream_body()
    exchanges, region = read_vcr(source)
    assert exchanges[0].response.body == wire  # the importer hands the codec the exact bytes

    out = tmp_path / "stream.json"
    assert (exchanges[0].service, exchanges[0].operation) == ("bedrock-runtime", operation)
    tape, sanitizer = build(exchanges, region or "us-east-1")
    write(out, tape, sanitizer)
    text = out.read_text()
    assert leaks(text, PLANTED) == []
    stored = cassette_io.load(out).interactions[0].response.body
    replayed_wire = codec.to_bytes(stored, STREAM_TYPE).decode("latin-1")
    assert leaks(replayed_wire, PLANTED) == []  # nor in the re-encoded frames, base64 inside
    assert '"$eventstream"' in text
    request = cassette_io.load(out).interactions[0].request.body
    assert request["messages"][0]["role"] == "user"  # the model's vocabulary, not a name
    assert verify_file(out) == []
    result = cli("verify", str(out))
    assert result.code == 0, result.stdout + result.stderr

    with isolated_environment(region or "us-east-1"), Tape.load([out]) as replay:
        replayed = _call(boto3.client("bedrock-runtime"), operation)
        replay.assert_exhausted()
    assert [list(e) for e in replayed] == [list(e) for e in live]
    dumped = json.dumps([_readable(e) for e in replayed])
    assert leaks(dumped, PLANTED) == []
    said = _said(live, operation)
    fake = _said(replayed, operation)
    assert ARN in said and EMAIL in said and ARN not in fake and EMAIL not in fake
    # The ARN is cut across two frames ("arn:a" | "ws:iam::..."); under default-deny each
    # fragment that is no public word is faked on its own, the words around it stay.
    assert fake.startswith("The invoice job runs as arn:" if operation == "ConverseStream"
                           else "Ask ")  # fmt: skip
    assert _without_text(replayed) == _without_text(live)  # usage, stop reason, roles: as live


def _readable(event: dict[str, Any]) -> Any:
    chunk = event.get("chunk")
    if chunk:
        return json.loads(chunk["bytes"])
    return event


def _said(events: list[dict[str, Any]], operation: str) -> str:
    if operation == "ConverseStream":
        return "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                       if "contentBlockDelta" in e)  # fmt: skip
    docs = [json.loads(e["chunk"]["bytes"]) for e in events]
    return "".join(d["delta"]["text"] for d in docs if d["type"] == "content_block_delta")


def _without_text(events: list[dict[str, Any]]) -> list[Any]:
    out = []
    for event in events:
        doc = _readable(event)
        if "contentBlockDelta" in doc:
            doc = {"contentBlockDelta": {**doc["contentBlockDelta"], "delta": None}}
        elif doc.get("type") == "content_block_delta":
            doc = {**doc, "delta": None}
        elif doc.get("type") == "message_start":  # the model's message id is data: faked
            doc = {**doc, "message": {**doc["message"], "id": None}}
        out.append(doc)
    return out


# -- replay without sanitizing anything: exactly what botocore makes of the wire ------------


def _live_events(operation: str, raw: bytes) -> list[dict[str, Any]]:
    """botocore's parse of RAW as a live urllib3 response body."""
    session = botocore.session.get_session()
    op = session.get_service_model("bedrock-runtime").operation_model(operation)
    parser = botocore.parsers.create_parser("rest-json")
    http = urllib3.HTTPResponse(body=io.BytesIO(raw), preload_content=False)
    parsed = parser.parse(
        {"status_code": 200, "headers": {"content-type": STREAM_TYPE}, "body": http,
         "context": {"operation_name": operation}},
        op.output_shape,
    )  # fmt: skip
    return list(parsed["stream" if operation == "ConverseStream" else "body"])


def _hand_made(tmp_path: Path, operation: str, body: Any) -> Path:
    path = "converse-stream" if operation == "ConverseStream" else "invoke-with-response-stream"
    request = cassette_io.Request(
        method="POST", path=f"/model/{MODEL}/{path}",
        headers={"content-type": "application/json"}, body={"messages": MESSAGES},
    )  # fmt: skip
    response = cassette_io.Response(status=200, headers={"content-type": STREAM_TYPE}, body=body)
    metadata = cassette_io.Metadata(
        service="bedrock-runtime", operation=operation, region="us-east-1", params={},
        page_size=None, pages=1, items=0, recorded_at="2024-01-01T00:00:00+00:00",
        tool_version="0", botocore_version="0", protocol="rest-json",
    )  # fmt: skip
    tape = cassette_io.Cassette(
        cassette_io.FORMAT_VERSION, metadata, [cassette_io.Interaction(operation, request,
                                                                         response)]
    )  # fmt: skip
    out = tmp_path / "hand.json"
    out.write_bytes(cassette_io.encode(tape))
    return out


def test_an_unchanged_stream_replays_exactly_as_live(tmp_path: Path) -> None:
    raw = converse_stream_body()
    out = _hand_made(tmp_path, "ConverseStream", decode(raw))
    with isolated_environment("us-east-1"), Tape.load([out]):
        replayed = list(
            boto3.client("bedrock-runtime").converse_stream(modelId=MODEL, messages=MESSAGES)[
                "stream"
            ]
        )
    assert replayed == _live_events("ConverseStream", raw)
    assert len(replayed) == 6 and replayed[-1]["metadata"]["usage"]["totalTokens"] == 45


def test_an_exception_event_is_sanitized_and_raised_on_replay(tmp_path: Path) -> None:
    message = f"Model stream failed for {ARN} (account {ACCOUNT}), owner {EMAIL}."
    raw = _event("messageStart", {"p": "abc", "role": "assistant"}) + _event(
        "modelStreamErrorException",
        {"message": message, "originalMessage": f"upstream error for {EMAIL}",
         "originalStatusCode": 424},
        kind="exception",
    )  # fmt: skip
    exchange = Interaction(
        service="bedrock-runtime",
        operation="ConverseStream",
        request=Request(
            method="POST",
            path=f"/model/{MODEL}/converse-stream",
            query=[],
            headers={"Content-Type": "application/json"},
            body=json.dumps({"messages": MESSAGES}).encode(),
        ),
        response=Response(status=200, headers={"Content-Type": STREAM_TYPE}, body=raw),
    )
    sanitizer = Sanitizer(TEST_SECRET.encode())
    interactions, _ = sanitizer.sanitize([exchange])
    body = interactions[0].response.body
    frame = body["$eventstream"][1]
    assert frame["headers"][":message-type"] == "exception"
    assert leaks(json.dumps(body), PLANTED) == []
    assert frame["payload"]["originalStatusCode"] == 424

    out = _hand_made(tmp_path, "ConverseStream", body)
    with isolated_environment("us-east-1"), Tape.load([out]):
        stream = boto3.client("bedrock-runtime").converse_stream(modelId=MODEL, messages=MESSAGES)
        events = iter(stream["stream"])
        assert next(events) == {"messageStart": {"role": "assistant"}}
        with pytest.raises(EventStreamError) as caught:
            next(events)
    error = caught.value.response["Error"]
    assert error["Code"] == "modelStreamErrorException"
    assert error["Message"] == frame["payload"]["message"] and "arn:aws:iam::" in error["Message"]


def test_agent_text_in_a_blob_is_decoded_and_sanitized() -> None:
    """InvokeAgent's chunk bytes are the answer as plain text, not JSON."""
    answer = f"Your case is with {EMAIL}; the role is {ARN}."
    raw = _event("chunk", {"bytes": base64.b64encode(answer.encode()).decode()})
    exchange = Interaction(
        service="bedrock-agent-runtime",
        operation="InvokeAgent",
        request=Request(
            method="POST",
            path="/agents/AGENT12345/agentAliases/ALIAS12345/sessions/s-1/text",
            query=[],
            headers={"Content-Type": "application/json"},
            body=json.dumps({"inputText": "Who has my case?"}).encode(),
        ),
        response=Response(status=200, headers={}, body=raw),
    )
    first = Sanitizer(TEST_SECRET.encode())
    interactions, _ = first.sanitize([exchange])
    body = interactions[0].response.body
    shown = body["$eventstream"][0]["payload"]["bytes"]["$base64"]
    assert shown.startswith("Your case is with ") and EMAIL not in shown and ARN not in shown
    wire = codec.to_bytes(body, "")
    assert leaks(wire.decode("latin-1"), PLANTED) == []
    second = Sanitizer(TEST_SECRET.encode(), known_fakes=first.fakes())
    again, _ = second.sanitize(
        [
            msgspec.structs.replace(
                exchange, response=msgspec.structs.replace(exchange.response, body=wire)
            )
        ]
    )
    assert again[0].response.body == body  # sanitizing the result again changes nothing


@pytest.mark.parametrize(
    "frame",
    [
        {"headers": {":event-type": {"int32": 1}}},
        {"headers": {"x": {"uuid": "not-a-uuid"}}},
        {"headers": {}, "payload_base64": "!!"},
        "not a frame",
    ],
)
def test_a_hand_edited_stream_is_refused_with_the_file_name(tmp_path: Path, frame: Any) -> None:
    out = _hand_made(tmp_path, "ConverseStream", {"$eventstream": [frame]})
    with pytest.raises(CassetteError, match=r"hand\.json: interaction 1: response body: not an"):
        Tape.load([out])
