"""Hostile cassettes (issue 10): every command that reads one says which file and why in one
line, exit 2 (verify: a finding, exit 1, and the other files are still checked), bounded in
memory and time, never a traceback, never a hang on a FIFO."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteError

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "cassettes" / "personalize" / "list_data_deletion_jobs.json"


def _doc() -> dict[str, object]:
    doc: dict[str, object] = json.loads(GOOD.read_bytes())
    return doc


def _truncated(p: Path) -> None:
    p.write_bytes(GOOD.read_bytes()[:700])


def _non_utf8(p: Path) -> None:
    p.write_bytes(GOOD.read_bytes().replace(b'"us-east-1"', b'"us-east-\xff"', 1))


def _wrong_types(p: Path) -> None:
    doc = _doc()
    doc["metadata"]["pages"] = "four"  # type: ignore[index]
    p.write_text(json.dumps(doc))


def _future(p: Path) -> None:
    p.write_text(json.dumps({**_doc(), "pagetape": 2}))


def _deep(p: Path) -> None:
    depth = cassette_io.MAX_DEPTH + 1
    p.write_text('{"pagetape": 1, "metadata": {"x": ' + "[" * depth + "]" * depth + "}}")


def _huge(p: Path) -> None:
    with p.open("wb") as fh:  # sparse: costs no disk, and must cost no memory either
        fh.write(b'{"pagetape": 1, "x": "')
        fh.truncate(cassette_io.MAX_BYTES + 1)


def _duplicate_key(p: Path) -> None:
    text = GOOD.read_text().replace('"region": "us-east-1"', '"region": "us-east-1", "region": "x"')
    assert text != GOOD.read_text()
    p.write_text(text)


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _folder(p: Path) -> None:
    p.mkdir()


def _device(p: Path) -> None:
    p.symlink_to("/dev/zero")


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncated, "not a pagetape cassette"),
    "non_utf8": (_non_utf8, "not UTF-8 text (byte 0xff"),
    "wrong_types": (_wrong_types, "Expected `int`, got `str` - at `$.metadata.pages`"),
    "future_version": (_future, "has cassette version 2"),
    "deep": (_deep, f"nests deeper than {cassette_io.MAX_DEPTH} levels"),
    "huge": (_huge, "larger than 64 MiB"),
    "duplicate_key": (_duplicate_key, "the key 'region' appears twice"),
    "fifo": (_fifo, "is a FIFO"),
    "folder": (_folder, "is a folder"),
    "device": (_device, "is a character device"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_loader_names_the_file_and_the_reason(case: str, tmp_path: Path) -> None:
    make, says = HOSTILE[case]
    path = tmp_path / f"{case}.json"
    make(path)
    with pytest.raises(CassetteError) as err:
        cassette_io.load(path)
    assert str(path) in str(err.value) and says in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("command", ["show", "replay", "sanitize", "verify"])
def test_every_command_refuses_every_hostile_file(cli, command: str, tmp_path: Path) -> None:
    for case, (make, says) in sorted(HOSTILE.items()):
        if command == "verify" and case == "folder":
            continue  # verify takes folders: it walks it
        name = f"{case}.json"
        make(tmp_path / name)
        result = cli(command, name)
        assert "Traceback" not in result.stderr, (case, result.stderr)
        if command == "verify":  # a lint: a file it cannot read is a finding
            assert result.code == 1, (case, result.stderr)
            assert result.stdout.startswith(f"{name}: file: $: ") and says in result.stdout
        else:
            assert result.code == 2, (case, result.stderr)
            lines = result.stderr.strip().splitlines()
            named = name in lines[0] or (command == "replay" and "/dev/zero" in lines[0])
            assert len(lines) == 1 and named, (case, result.stderr)  # replay names the target
            assert case in {"truncated"} or says in lines[0], (case, lines)


def test_vcrpy_input_is_checked_before_parsing(cli, tmp_path: Path) -> None:
    """`sanitize` of a non-pagetape file goes through the same size/UTF-8/depth checks."""
    (tmp_path / "deep.json").write_text('{"interactions": ' + "[" * 5000 + "]" * 5000 + "}")
    (tmp_path / "deep.yaml").write_text("interactions:\n" + "".join(
        " " * i + "- \n" for i in range(1, 3000)
    ))  # fmt: skip
    for name, says in (("deep.json", "nests deeper"), ("deep.yaml", "nests too deeply")):
        result = cli("sanitize", name)
        assert result.code == 2 and says in result.stderr and name in result.stderr, result.stderr


def test_nesting_at_the_bound_is_read(tmp_path: Path) -> None:
    """The bound refuses only what is beyond it: a body nested to MAX_DEPTH loads and verifies."""
    from pagetape.verify.lint import verify_file

    doc = _doc()
    inner: object = "x"
    for _ in range(cassette_io.MAX_DEPTH - 5):  # the envelope takes 5 levels
        inner = [inner]
    doc["interactions"][0]["response"]["body"]["deep"] = inner  # type: ignore[index]
    path = tmp_path / "bound.json"
    path.write_text(json.dumps(doc))
    assert cassette_io.nesting_depth(path.read_bytes()) == cassette_io.MAX_DEPTH
    cassette_io.load(path)
    assert verify_file(path) == []


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[[[[{{{{" * 100, "b": '\\"[[[', "c": [[1]]}).encode()
    assert cassette_io.nesting_depth(text) == 3


@pytest.mark.parametrize(
    "text, depth",
    [
        (b'[[{"a": "x', 3),  # an unterminated string runs to the end, as a JSON parser reads it
        (b'[[{"a": "x\\', 3),  # ... ending in a lone backslash
        (b"[[" + b'"\\' * 50_000, 2),  # escaped quotes all along: one string, scanned once
        (b'["a\\"]"]', 1),
    ],
)
def test_an_unterminated_string_hides_only_what_follows_it(text: bytes, depth: int) -> None:
    assert cassette_io.nesting_depth(text) == depth


def test_verify_dir_reports_every_file_and_never_hangs(cli, tmp_path: Path) -> None:
    """A folder of good, hostile and special files: each bad one is one finding, the good one
    is clean, a FIFO never blocks, a symlink out of the folder is not followed."""
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (folder / "good.json").write_bytes(GOOD.read_bytes())
    for case, (make, _) in HOSTILE.items():
        make(folder / f"{case}.json")
    (folder / "outside.json").symlink_to(GOOD)  # a good cassette, but outside the folder
    result = cli("verify", "cassettes")
    assert result.code == 1 and "Traceback" not in result.stderr
    bad = {line.split(":")[0] for line in result.stdout.splitlines()}
    expected = {f"cassettes/{case}.json" for case in HOSTILE if case != "folder"}
    expected.add("cassettes/outside.json")
    assert bad == expected
    assert "leads outside cassettes" in result.stdout
    assert f"{len(expected)} findings in {len(expected)} of {len(expected) + 1} cassettes" in (
        result.stderr
    )


def test_verify_reports_a_token_loop(cli, tmp_path: Path) -> None:
    """The last page hands back the first page's token: a paginator would run forever."""
    doc = _doc()
    doc["interactions"][-1]["response"]["body"]["nextToken"] = "pagetape-token-0001"  # type: ignore[index]
    (tmp_path / "loop.json").write_text(json.dumps(doc))
    result = cli("verify", "loop.json")
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "loop.json: interaction 4: response.token: token chain loops: pagetape-token-0001 was "
        "asked for earlier in the chain; a paginator would never stop"
    ]


def test_verify_accepts_a_chain_recorded_twice(tmp_path: Path) -> None:
    """The same walk twice (a test that paginates twice) is no loop."""
    from pagetape.verify.lint import verify_file

    doc = _doc()
    doc["interactions"] = doc["interactions"] * 2  # type: ignore[operator]
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(doc))
    assert verify_file(path) == []


def test_show_escapes_control_characters(cli, tmp_path: Path) -> None:
    """Terminal escapes, carriage returns, bidi overrides and newlines stored in a cassette
    reach the terminal only as visible escapes."""
    doc = _doc()
    hostile = "us-east-1\x1b[2J\x1b]0;pwned\x07\r\u202eok\nFAKE LINE"
    doc["metadata"]["region"] = hostile  # type: ignore[index]
    doc["metadata"]["error"] = "Boom\x1b[31m"  # type: ignore[index]
    (tmp_path / "esc.json").write_text(json.dumps(doc))
    for args in (
        ("show", "esc.json"),
        ("show", "esc.json", "--json"),
        ("sanitize", "esc.json", "-o", "o.json"),
    ):
        result = cli(*args)
        out = result.stdout + result.stderr
        assert not any(c in out for c in "\x1b\x07\r\u202e"), (args, out)
        assert "FAKE LINE" not in out.splitlines()[2:3], args
    text = cli("show", "esc.json").stdout
    assert "us-east-1\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\u202eok\\x0aFAKE LINE" in text
    assert "ends in an error: Boom\\x1b[31m" in text


def test_file_names_are_escaped_too(cli, tmp_path: Path) -> None:
    name = "evil\x1b[31m.json"
    (tmp_path / name).write_text("{nope")
    result = cli("verify", ".")
    assert "\x1b" not in result.stdout + result.stderr
    assert "evil\\x1b[31m.json" in result.stdout


def _alias_bomb() -> str:
    """A vcrpy-shaped YAML file of ~600 bytes whose body, aliases expanded, is 10**9 strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 9):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines += [
        "interactions:",
        "- request: {method: GET, uri: 'https://sqs.us-east-1.amazonaws.com/', body: *a8,",
        "            headers: {}}",
        "  response: {status: {code: 200}, headers: {}, body: {string: ''}}",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["verify", "sanitize"])
def test_a_yaml_alias_bomb_is_refused_in_one_sentence(cli, tmp_path: Path, command: str) -> None:
    text = _alias_bomb()
    assert len(text) < 1000
    (tmp_path / "bomb.yaml").write_text(text)
    result = cli(command, "bomb.yaml")
    said = result.stdout + result.stderr
    # verify is a lint: a file it cannot read is a finding (exit 1); sanitize refuses (exit 2).
    assert result.code == (1 if command == "verify" else 2), said
    assert "expands through YAML aliases" in said and "bomb.yaml" in said
    assert "Traceback" not in said


def test_aliases_vcrpy_writes_are_still_read(tmp_path: Path) -> None:
    """PyYAML's dumper writes an anchor for an object used twice (vcrpy's shared headers): a
    small expansion is no bomb."""
    from pagetape.imports.vcr import vcr_pairs

    text = (
        "interactions:\n"
        "- request: {method: GET, uri: 'https://example.com/a', body: null, headers: &h {X: [y]}}\n"
        "  response: {status: {code: 200}, headers: *h, body: {string: ''}}\n"
    )
    [(request, response)] = vcr_pairs(tmp_path / "x.yaml", text.encode())
    assert request["headers"] == response["headers"] == {"X": ["y"]}


@pytest.mark.parametrize("where", ["file", "body"])
def test_a_gzip_bomb_is_refused_by_what_it_inflates_to(cli, tmp_path: Path, where: str) -> None:
    """A few hundred KB that inflate past the 64 MiB cap: refused while inflating, in one
    sentence, whether the whole file or one gzip-encoded response body is the bomb."""
    import gzip

    bomb = gzip.compress(b"\\x00" * (cassette_io.MAX_BYTES + 2**20), compresslevel=9)
    assert len(bomb) < 2**20
    if where == "file":
        (tmp_path / "bomb.yaml.gz").write_bytes(bomb)
        name = "bomb.yaml.gz"
    else:
        name = "bomb.yaml"
        (tmp_path / name).write_text(
            "interactions:\n"
            "- request: {method: GET, uri: 'https://sqs.us-east-1.amazonaws.com/', body: null,\n"
            "            headers: {}}\n"
            "  response:\n"
            "    status: {code: 200}\n"
            "    headers: {Content-Encoding: [gzip]}\n"
            f"    body: {{string: !!binary '{base64.b64encode(bomb).decode()}'}}\n"
        )
    result = cli("sanitize", name)
    assert result.code == 2, result.stdout + result.stderr
    assert "inflates to more than 64 MiB" in result.stderr and "Traceback" not in result.stderr
    assert name in result.stderr
