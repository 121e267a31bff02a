"""The cassettes in cassettes/ are what `scripts/record-cassettes.sh` records from the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import SEEDED, encoded_forms, record_from
from pagetape.cassette import store as cassette_io
from pagetape.record.recording import default_output
from pagetape.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SECRET = "pagetape-shipped-cassettes"
VOLATILE = ("recorded_at", "tool_version", "botocore_version")


def _stable(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    for key in VOLATILE:
        data["metadata"].pop(key)
    return data


@pytest.mark.parametrize(("service", "operation", "page_size"), SEEDED)
def test_shipped_cassette_is_current(
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    operation: str,
    page_size: int,
) -> None:
    shipped = default_output(service, operation, ROOT / "cassettes")
    tape = cassette_io.load(shipped)
    assert tape.metadata.pages >= 3
    monkeypatch.setenv("PAGETAPE_SECRET", SHIPPED_SECRET)
    fresh = record_from(sandbox, service, operation, tmp_path / "fresh.json", page_size)
    assert _stable(fresh.path) == _stable(shipped), "run scripts/record-cassettes.sh"
    data = shipped.read_text()
    assert not [v for v in sandbox.account.planted_values() for f in encoded_forms(v) if f in data]
