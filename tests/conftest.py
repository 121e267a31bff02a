"""Shared fixtures: a hermetic AWS environment, the sandbox account, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pagetape.sandbox import Faults, Sandbox

ROOT = Path(__file__).resolve().parent.parent
# Checks of issue 16's evidence corpora (moto, real placebo folders) that do not hold yet, one
# test id a line: marked xfail (not strict: a corpus fixture's outcome can shift with moto's
# data), so the suite stays green while the list says exactly what is left to fix.
TEST_SECRET = "pagetape-test-secret"
SANDBOX_KEY = ("AKIASANDBOXTESTS0000", "sandbox-test-secret-key")


def pytest_addoption(parser: pytest.Parser) -> None:
    # pyproject sets pytest-asyncio's loop scope for the async tests; without the `async` extra
    # the key must still be known, or every run warns about an unknown config option.
    import importlib.util

    if importlib.util.find_spec("pytest_asyncio") is None:
        parser.addini("asyncio_default_fixture_loop_scope", "read by pytest-asyncio")


def _hermetic_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PAGETAPE_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        PAGETAPE_SECRET=TEST_SECRET,
    )
    return env


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's ~/.aws, real credentials or their pagetape secret."""
    home = tmp_path_factory.mktemp("home")
    for key in list(os.environ):
        if key.startswith(("AWS_", "PAGETAPE_")):
            monkeypatch.delenv(key)
    for key, value in _hermetic_env(home).items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox account per test, so faults and request counts never leak across tests."""
    with Sandbox(faults=Faults()) as server:
        yield server


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(tmp_path: Path) -> object:
    """Run the real `pagetape` command in a subprocess, in tmp_path, with sandbox credentials."""

    def run(*args: str, env: dict[str, str] | None = None, keys: bool = True) -> Result:
        full = {**os.environ}
        if keys:
            full.update(AWS_ACCESS_KEY_ID=SANDBOX_KEY[0], AWS_SECRET_ACCESS_KEY=SANDBOX_KEY[1])
        full.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "pagetape", *args],
            cwd=tmp_path,
            env=full,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto in server mode, an independent AWS emulator, on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
