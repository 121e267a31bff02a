"""The local secret that keys pseudonyms. It never goes into a cassette or the cassette dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_VAR = "PAGETAPE_SECRET"


def secret_path() -> Path:
    """Where the secret lives: the user's config folder, never the project."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pagetape" / "secret"


def load_secret() -> bytes:
    """PAGETAPE_SECRET if set, else the secret file, created (mode 0600) on first use."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env.encode()
    path = secret_path()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(value + b"\n")
    return value
