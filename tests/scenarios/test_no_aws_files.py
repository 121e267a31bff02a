"""Replay reads no file under ~/.aws and no credential source: proven with an audit hook over
`pagetape replay` and over a whole inner pytest session (issue 10, item 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from replay_helpers import ROOT, copy_shipped

pytest_plugins = ["pytester"]

AUDIT = """
import sys
OPENED = []
def _audit(event, args):
    if event == "open" and args and isinstance(args[0], str) and "/.aws/" in args[0]:
        OPENED.append(args[0])
sys.addaudithook(_audit)
"""


def _home_with_aws_files(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-3\n")
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAREALKEYREALKEY00\naws_secret_access_key = real\n"
    )
    return home


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    return env


def test_cli_replay_opens_nothing_under_dot_aws(tmp_path: Path) -> None:
    cassette = ROOT / "cassettes" / "personalize" / "list_batch_segment_jobs.json"
    code = AUDIT + (
        "from pagetape.cli.main import main\n"
        f"sys.argv = ['pagetape', 'replay', {str(cassette)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print('OPENED', OPENED, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(_home_with_aws_files(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "replayed 4 pages, 31 items offline" in proc.stderr
    assert "OPENED []" in proc.stderr


def test_a_pytest_session_of_replays_opens_nothing_under_dot_aws(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_shipped(pytester.path)
    pytester.makeini(
        "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"
    )
    pytester.makeconftest(
        AUDIT
        + "\ndef pytest_sessionfinish(session):\n"
        + "    (session.config.rootpath / 'opened.txt').write_text(repr(OPENED))\n"
    )
    pytester.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.pagetape("personalize/list_batch_segment_jobs")
        def test_jobs(pagetape):
            pages = boto3.client("personalize").get_paginator(
                "list_batch_segment_jobs").paginate()
            assert sum(len(p["batchSegmentJobs"]) for p in pages) == 31
        """
    )
    home = _home_with_aws_files(tmp_path)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert (pytester.path / "opened.txt").read_text() == "[]"
