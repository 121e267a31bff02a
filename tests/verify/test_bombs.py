"""Hostile foreign fixtures found by fuzzing the readers (issue 18): each is refused in one
sentence naming the file (and the interaction for a body) by `sanitize` (exit 2) and is one
finding for `verify`, never a traceback; values that are only long are read, linearly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from pathlib import Path

import cbor2
import pytest

from pagetape.cassette import store as cassette_io
from pagetape.imports.vcr import vcr_pairs
from pagetape.sanitize.needles import Needles
from pagetape.sanitize.pseudonym import Pseudonymizer
from pagetape.wire import codec, eventstream

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "cassettes" / "personalize" / "list_data_deletion_jobs.json"
CBOR = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
JSON = {"Content-Type": "application/x-amz-json-1.0"}
URI = {
    "cbor": "https://cloudwatchomni.us-east-1.amazonaws.com/service/CloudWatchOmni/operation/ListAlerts",
    "json": "https://dynamodb.us-east-1.amazonaws.com/",
}


def _vcr(body: bytes, headers: dict[str, str], uri: str) -> str:
    """A vcrpy YAML cassette of one call whose response body is BODY."""
    shown = ", ".join(f"{k}: [{json.dumps(v)}]" for k, v in headers.items())
    return (
        f"interactions:\n- request: {{method: POST, uri: '{uri}', body: null, headers: {{}}}}\n"
        f"  response:\n    status: {{code: 200}}\n    headers: {{{shown}}}\n"
        f"    body: {{string: !!binary '{base64.b64encode(body).decode()}'}}\n"
    )


def _shared_references(levels: int) -> bytes:
    """CBOR of ~10 bytes a level: shareable i (tag 28) is [ref(i-1), ref(i-1)] (tag 29), so
    the tree it stands for has 2**levels items."""
    items = [b"\xd8\x1c\x82\x63lol\x63lol"]
    for i in range(1, levels):
        ref = b"\xd8\x1d" + cbor2.dumps(i - 1)
        items.append(b"\xd8\x1c\x82" + ref + ref)
    return b"\x98" + bytes([levels]) + b"".join(items)


BODIES = {
    # 400 bytes standing for 2**40 items: ran out of time and memory.
    "cbor_shared_references": (
        _vcr(_shared_references(40), CBOR, URI["cbor"]),
        "response CBOR body expands through shared references past its own size",
    ),
    # A list that holds itself (tags 28/29): a RecursionError traceback.
    "cbor_self_reference": (
        _vcr(b"\xd8\x1c\x81\xd8\x1d\x00", CBOR, URI["cbor"]),
        "response CBOR body expands through shared references",
    ),
    # A 4 MB bignum (tag 2): read, then a ValueError traceback when the cassette was written.
    "cbor_bignum": (
        _vcr(b"\xc2\x5a" + struct.pack("!I", 2**20) + b"\xff" * 2**20, CBOR, URI["cbor"]),
        "response CBOR body holds a number of more than 4300 digits",
    ),
    # JSON nested inside the body text, which the file's own depth scan cannot see.
    "json_deep": (
        _vcr(b"[" * 5000 + b"]" * 5000, JSON, URI["json"]),
        "response JSON body nests deeper than 100 levels",
    ),
    # \ud800 in a body: a UnicodeEncodeError traceback when the value was faked.
    "json_lone_surrogate": (
        _vcr(b'{"TableNames": ["\\ud800x"]}', JSON, URI["json"]),
        "response JSON body holds a lone surrogate",
    ),
    # Minutes to read on Python 3.10.0-3.10.6, which have no digit limit.
    "json_long_number": (
        _vcr(b'{"TableNames": [], "x": ' + b"9" * 5000 + b"}", JSON, URI["json"]),
        "response JSON body holds a number of more than 4300 digits",
    ),
}
_AWS = "interactions:\n- request: {method: GET, uri: 'https://sqs.us-east-1.amazonaws.com/', "
FILES = {
    # `&a [*a]`: a RecursionError traceback while measuring the alias expansion.
    "yaml_self_alias": ("interactions: &a [*a]\n", "holds itself through a YAML alias"),
    # A 2 MB hex int is built at once and fails every later str() (a traceback); a base-60
    # one (1:59:59...) takes quadratic time to build.
    "yaml_hex_int": (
        _AWS + "body: null, headers: {X: [0x" + "f" * 20_000 + "]}}\n"
        "  response: {status: {code: 200}, headers: {}, body: {string: ''}}\n",
        "holds a number of more than 4300 digits",
    ),
    "yaml_base60_int": (
        _AWS + "body: 1" + ":59" * 3000 + ", headers: {}}\n"
        "  response: {status: {code: 200}, headers: {}, body: {string: ''}}\n",
        "holds a number of more than 4300 digits",
    ),
    # Aliases of aliases nest without indentation, past every walker's recursion limit.
    "yaml_alias_chain": (
        "a0: &a0 [x]\n"
        + "".join(f"a{n}: &a{n} [*a{n - 1}]\n" for n in range(1, 2000))
        + "interactions: [*a1999]\n",
        "nests deeper than 100 levels",
    ),
    "json_lone_surrogate_key": (
        '{"interactions": [], "\\udfff": 1}',
        "holds a lone surrogate",
    ),
}


@pytest.mark.parametrize("case", sorted(BODIES) + sorted(FILES))
@pytest.mark.parametrize("command", ["sanitize", "verify"])
def test_a_hostile_fixture_is_refused_in_one_sentence(
    cli, tmp_path: Path, case: str, command: str
) -> None:
    text, says = BODIES.get(case) or FILES[case]
    name = f"{case}.json" if text.startswith("{") else f"{case}.yaml"
    (tmp_path / name).write_text(text)
    result = cli(command, name)
    said = result.stdout + result.stderr
    assert "Traceback" not in said, said
    where = f"{name}: interaction 1's " if case in BODIES else f"{name} "
    if command == "verify":  # a lint: a file it cannot read is one finding
        assert result.code == 1, said
        assert result.stdout.startswith(f"{name}: file: $: "), said
        assert says in result.stdout and "not read" in result.stdout, said
    else:
        [line] = result.stderr.strip().splitlines()
        assert result.code == 2 and line.startswith(f"pagetape: {where}"), said
        assert says in line and line.endswith("; not read"), said


def test_aliases_nesting_within_the_bound_are_read(tmp_path: Path) -> None:
    text = (
        "a0: &a0 {X: [y]}\n"
        + "".join(f"a{n}: &a{n} [*a{n - 1}]\n" for n in range(1, 20))
        + "interactions:\n- request: {method: GET, uri: 'https://example.com/', body: null, "
        "headers: *a0}\n  response: {status: {code: 200}, headers: *a0, body: {string: ''}}\n"
    )
    [(request, _)] = vcr_pairs(tmp_path / "x.yaml", text.encode())
    assert request["headers"] == {"X": ["y"]}


def test_deep_text_that_only_looks_like_json_or_xml_stays_text() -> None:
    """Inside a body (an event payload, a string), too deep a document is text to the
    sanitizer's text rules, not a RecursionError."""
    assert eventstream._json("[" * 5000 + "]" * 5000) is None
    with pytest.raises(ValueError, match="XML body nests deeper than 100 levels"):
        codec.rewrite_xml("<a>" * 5000 + "</a>" * 5000, None, "rest-xml", lambda _, v: v)
    assert cassette_io.loads('["\\ud83d\\ude00"]') == ["\U0001f600"]  # a pair is text


def test_long_needles_are_found_without_the_automaton() -> None:
    """pyahocorasick is quadratic on a long needle in a text repeating it (a 250,000 character
    name took minutes): long needles are found by str.find, every occurrence still found."""
    needles = Needles()
    long, short = "a" * 100_000, "bucket-1"
    needles.add(long, "long")
    needles.add(short, "short")
    needles.make()
    text = f"x {short} {long} {long}"
    found = sorted(needles.iter(text))
    at = [text.index(long), text.rindex(long)]
    assert found == [
        (text.index(short) + len(short) - 1, "short"),
        (at[0] + len(long) - 1, "long"),
        (at[1] + len(long) - 1, "long"),
    ]


def test_fakes_of_values_up_to_256_characters_are_unchanged() -> None:
    """The keyed stream hashes a value's digest only past its first 8 blocks (it hashed the
    whole value for every block: quadratic), so fakes already in cassettes stay the same."""
    secret = b"k" * 32
    stream = Pseudonymizer(secret)._stream("v" * 300, 0)
    got = bytes(next(stream) for _ in range(32 * 9))
    whole = b"".join(
        hmac.new(secret, f"0:{n}:{'v' * 300}".encode(), hashlib.sha256).digest() for n in range(8)
    )
    digest = hashlib.sha256(("v" * 300).encode()).hexdigest()
    tail = hmac.new(secret, f"0:8:{digest}".encode(), hashlib.sha256).digest()
    assert got == whole + tail


ROOT = Path(__file__).resolve().parents[2]


def _shipped_with(interactions: int, body: object | None = None) -> str:
    """The shipped Bedrock cassette, its first interaction repeated (BODY as its response)."""
    doc = json.loads((ROOT / "cassettes/bedrock/list_model_import_jobs.json").read_text())
    first = doc["interactions"][0]
    if body is not None:
        first["response"]["body"] = body
    doc["interactions"] = [first] * interactions
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("interactions", f"holds 20,001 interactions, more than {cassette_io.MAX_INTERACTIONS:,}"),
        ("items", f"holds more than {cassette_io.MAX_ITEMS:,} items"),
    ],
)
def test_a_cassette_past_the_volume_caps_is_refused_in_one_sentence(
    cli, tmp_path: Path, case: str, says: str
) -> None:
    """Under the size cap, 150,000 interactions took minutes in show and 1.7 million S3 keys
    a gigabyte and a minute: the caps refuse them before any walk."""
    if case == "interactions":
        text = _shipped_with(cassette_io.MAX_INTERACTIONS + 1, {"modelImportJobSummaries": []})
    else:
        text = _shipped_with(1, {"modelImportJobSummaries": [0] * (cassette_io.MAX_ITEMS + 1)})
    (tmp_path / "c.json").write_text(text)
    result = cli("show", "c.json")
    [line] = result.stderr.strip().splitlines()
    assert result.code == 2 and line.startswith("pagetape: c.json "), result.stderr
    assert says in line and line.endswith("; not read"), line
