"""`pagetape record --manifest`: many recordings, one worker process each, one result table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from helpers import SEEDED
from pagetape.cassette import store as cassette_io
from pagetape.record.recording import default_output
from pagetape.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SECRET = "pagetape-shipped-cassettes"


def _manifest(folder: Path, endpoint_url: str, *recordings: str, name: str = "m.toml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f'[defaults]\nregion = "us-east-1"\nendpoint_url = "{endpoint_url}"\n'
    path.write_text(head + "".join(f"\n[[recording]]\n{r.strip()}\n" for r in recordings))
    return path


THREE = (
    """
    service = "personalize"
    operation = "list-data-deletion-jobs"
    page_size = 5
    output = "out/deletions.json"
    """,
    """
    service = "bedrock"
    operation = "ListModelImportJobs"
    params = { creationTimeBefore = 2024-07-01T00:00:00Z, sortOrder = "Ascending" }
    page_size = 4
    output = "out/imports.json"
    """,
    """
    service = "frauddetector"
    operation = "get_batch_prediction_jobs"
    page_size = 10
    max_pages = 2
    output = "out/predictions.json"
    """,
)


def _row(stdout: str, output: str) -> list[str]:
    """The cells of the table row for OUTPUT."""
    for line in stdout.splitlines():
        if output in line:
            return [cell.strip() for cell in line.strip("│┃| \n").split("│")]
    raise AssertionError(f"no row for {output} in:\n{stdout}")


def test_manifest_records_every_entry_and_prints_a_table(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path / "batch", sandbox.endpoint_url, *THREE)
    result = cli("record", "--manifest", str(manifest.relative_to(tmp_path)))
    assert result.code == 0, result.stderr
    out = tmp_path / "batch" / "out"
    assert _row(result.stdout, "batch/out/deletions.json")[1:] == ["4", "19", "ok"]
    assert _row(result.stdout, "batch/out/predictions.json")[1:] == ["2", "20", "ok"]
    expected = sandbox.account.expected_items(
        "bedrock",
        "ListModelImportJobs",
        {"creationTimeBefore": "2024-07-01T00:00:00+00:00", "sortOrder": "Ascending"},
    )
    imports = cassette_io.load(out / "imports.json")
    assert imports.metadata.items == len(expected) > 0
    assert imports.metadata.params == {
        "creationTimeBefore": "2024-07-01T00:00:00Z",
        "sortOrder": "Ascending",
    }
    assert _row(result.stdout, "batch/out/imports.json")[2] == str(len(expected))
    assert cassette_io.load(out / "deletions.json").metadata.page_size == 5
    assert cassette_io.load(out / "predictions.json").metadata.pages == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "deletions.json",
        "imports.json",
        "predictions.json",
    ]
    assert "recorded 3 cassettes" in result.stderr


def test_shipped_manifest_reproduces_the_shipped_cassettes(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    """scripts/record-cassettes.sh records cassettes/manifest.toml; it must describe them all."""
    shutil.copy(ROOT / "cassettes" / "manifest.toml", tmp_path / "manifest.toml")
    result = cli(
        "record", "--manifest", "manifest.toml", "--jobs", "2",
        env={"PAGETAPE_SECRET": SHIPPED_SECRET, "AWS_ENDPOINT_URL": sandbox.endpoint_url},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    recorded = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert recorded == sorted(default_output(s, o, Path()) for s, o, _ in SEEDED)
    for path in recorded:
        assert _stable(tmp_path / path) == _stable(ROOT / "cassettes" / path), path


def _stable(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    for key in ("recorded_at", "tool_version", "botocore_version"):
        data["metadata"].pop(key)
    return data


def test_a_failing_entry_fails_alone(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    """The sandbox denies one entry's credentials: exit 1, the others are written."""
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        "[denied]\naws_access_key_id = AKIADENIED0000000000\naws_secret_access_key = nope\n"
    )
    denied = """
    service = "cleanroomsml"
    operation = "ListAudienceGenerationJobs"
    profile = "denied"
    output = "out/denied.json"
    """
    manifest = _manifest(tmp_path, sandbox.endpoint_url, THREE[0], denied, THREE[2])
    result = cli(
        "record", "--manifest", str(manifest), "-j", "3",
        env={"AWS_SHARED_CREDENTIALS_FILE": str(credentials)},
    )  # fmt: skip
    assert result.code == 1
    row = _row(result.stdout, "out/denied.json")
    assert row[-1].startswith("failed:") and "AccessDeniedException" in row[-1]
    assert _row(result.stdout, "out/deletions.json")[-1] == "ok"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "deletions.json",
        "predictions.json",
    ]
    assert result.stderr.strip().splitlines() == [
        "pagetape: 1 of 3 recordings failed; its cassette was not written"
    ]


def test_existing_output_fails_that_entry_unless_force(
    cli, sandbox: Sandbox, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, sandbox.endpoint_url, *THREE)
    kept = tmp_path / "out" / "imports.json"
    kept.parent.mkdir()
    kept.write_bytes(b'{"precious": true}\n')
    result = cli("record", "--manifest", str(manifest))
    assert result.code == 1
    assert "already exists" in _row(result.stdout, "out/imports.json")[-1]
    assert kept.read_bytes() == b'{"precious": true}\n'
    assert cassette_io.load(tmp_path / "out" / "deletions.json").metadata.items == 19
    assert cassette_io.load(tmp_path / "out" / "predictions.json").metadata.items == 20

    forced = cli("record", "--manifest", str(manifest), "--force", "--jobs", "1")
    assert forced.code == 0, forced.stderr
    assert cassette_io.load(kept).metadata.operation == "ListModelImportJobs"
    assert sorted(p.name for p in kept.parent.iterdir()) == [
        "deletions.json",
        "imports.json",
        "predictions.json",
    ]


GOOD = THREE[0]
BAD_MANIFESTS = [
    pytest.param(
        GOOD + '\nregoin = "us-east-1"',
        "recording[0]: object contains unknown field `regoin`",
        id="unknown field",
    ),
    pytest.param(
        GOOD.replace("page_size = 5", 'page_size = "5"'),
        "recording[0].page_size: expected `int`, got `str`",
        id="wrong type",
    ),
    pytest.param(GOOD.replace('output = "out/deletions.json"', ""), "`output`", id="no output"),
    pytest.param(GOOD + "\nparams = [1, 2]", "recording[0].params", id="params not a table"),
    pytest.param(GOOD + "\nservice = ", "not valid TOML", id="invalid TOML"),
    pytest.param(
        GOOD.replace("list-data-deletion-jobs", "list-data-deletion-job"),
        "recording[0] (personalize list-data-deletion-job): ",
        id="unknown operation",
    ),
    pytest.param(
        GOOD.replace("page_size = 5", "page_size = 500"),
        "recording[0] (personalize list-data-deletion-jobs): --page-size 500",
        id="page size out of range",
    ),
]


@pytest.mark.parametrize(("entry", "says"), BAD_MANIFESTS)
def test_bad_manifest_is_one_sentence_and_exit_2(
    cli, sandbox: Sandbox, tmp_path: Path, entry: str, says: str
) -> None:
    """A bad entry after a good one: nothing is recorded, not even the good one."""
    manifest = _manifest(tmp_path, sandbox.endpoint_url, THREE[2], entry)
    result = cli("record", "--manifest", "m.toml")
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"pagetape: bad manifest {manifest.name}: ")
    says = says.replace("recording[0]", "recording[1]")
    assert says in lines[0]
    assert result.stdout == ""
    assert sandbox.request_count == 0
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "bad manifest m.toml: object missing required field `recording`"),
        ("recording = []", "bad manifest m.toml: it lists no [[recording]]"),
        ("[defaults]\nregion = 1\n[[recording]]\n", "m.toml: defaults.region: expected `str`"),
        ("[extra]\n", "bad manifest m.toml: object contains unknown field `extra`"),
    ],
)
def test_bad_manifest_structure(cli, tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "m.toml").write_text(text)
    result = cli("record", "--manifest", "m.toml")
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pagetape: ") and says in lines[0], lines


def test_missing_manifest_and_duplicate_outputs(cli, tmp_path: Path) -> None:
    missing = cli("record", "--manifest", "nowhere.toml")
    assert (missing.code, missing.stderr) == (2, "pagetape: no such manifest nowhere.toml\n")
    _manifest(
        tmp_path, "http://127.0.0.1:9", THREE[0], THREE[2].replace("predictions", "deletions")
    )
    twice = cli("record", "--manifest", "m.toml")
    assert twice.code == 2
    assert "m.toml: recording[1] writes the same cassette as recording[0]" in twice.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["record", "personalize", "ListDataDeletionJobs", "--manifest", "m.toml"],
            "--manifest cannot be combined with SERVICE, OPERATION",
        ),
        (["record", "--manifest", "m.toml", "--page-size", "5", "-o", "x"], "--page-size, -o"),
        (["record", "--manifest", "m.toml", "--region", "us-east-1"], "[defaults]"),
        (["record", "personalize", "ListDataDeletionJobs", "--jobs", "2"], "--jobs only applies"),
        (["record", "--manifest", "m.toml", "--jobs", "0"], "--jobs must be at least 1"),
        (["record", "personalize"], "Missing argument OPERATION"),
    ],
)
def test_manifest_mixed_with_single_recording_options(
    cli, tmp_path: Path, args: list[str], says: str
) -> None:
    _manifest(tmp_path, "http://127.0.0.1:9", THREE[0])
    result = cli(*args)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_manifest_names_every_bad_entry(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    """Each bad entry is named by its place, in one sentence (only the first was named)."""
    entries = [
        GOOD.replace("page_size = 5", 'page_size = "5"'),
        THREE[2],
        THREE[1] + '\nregoin = "us-east-1"',
    ]
    _manifest(tmp_path, sandbox.endpoint_url, *entries)
    result = cli("record", "--manifest", "m.toml")
    assert result.code == 2
    [line] = result.stderr.strip().splitlines()
    assert "recording[0].page_size: expected `int`, got `str`" in line
    assert "recording[2]: object contains unknown field `regoin`" in line
    assert "recording[1]" not in line
    # Entries that decode but do not plan: each one's reason, after its place.
    broken = [
        GOOD.replace("list-data-deletion-jobs", "list-data-deletion-job"),
        THREE[2],
        GOOD.replace("page_size = 5", "page_size = 500"),
    ]
    _manifest(tmp_path, sandbox.endpoint_url, *broken)
    result = cli("record", "--manifest", "m.toml")
    assert result.code == 2
    [line] = result.stderr.strip().splitlines()
    assert "recording[0] (personalize list-data-deletion-job): " in line
    assert "recording[2] (personalize list-data-deletion-jobs): --page-size 500" in line
    assert sandbox.request_count == 0
