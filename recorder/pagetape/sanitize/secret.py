"""The local secret that keys pseudonyms. It never goes into a cassette or the cassette dir."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from pagetape.errors import UsageError

ENV_VAR = "PAGETAPE_SECRET"
# The key verify's audits sanitize with, to learn what sanitizing would change: fixed, so a lint
# gives the same findings on every run (a random key let a rare fake collision, a 2-letter
# word faked to another word of the data, drop a finding now and then). Its fakes are never
# written anywhere.
AUDIT_SECRET = b"pagetape-verify-audit-key-0000001"


def secret_path() -> Path:
    """Where the secret lives: the user's config folder, never the project."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pagetape" / "secret"


def load_secret() -> bytes:
    """PAGETAPE_SECRET if set, else the secret file, created (mode 0600) on first use.

    The file appears whole or not at all (written aside, then linked into place), so a second
    process starting at the same moment reads the same secret, never an empty one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env.encode()
    path = secret_path()
    if not path.exists():
        _create(path)
    try:
        value = path.read_bytes().strip()
    except OSError as exc:
        raise UsageError(f"cannot read the pagetape secret {path}: {exc.strerror}") from None
    if len(value) < 16:
        raise UsageError(
            f"the pagetape secret {path} is empty or too short; delete it to have a new one made, "
            f"or set {ENV_VAR}"
        )
    return value


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot create the pagetape secret {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp files are 0600 already
            fh.write(secrets.token_hex(32).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def fakes_seal(secret: bytes, fakes: list[str]) -> str:
    """A keyed seal over a cassette's list of fakes: sanitizing the cassette again trusts the
    list (keeps those values as they are) only when the seal was made with the same secret,
    so a list edited by hand cannot make a real value pass as a fake."""
    import hashlib
    import hmac

    return hmac.new(secret, "\n".join(sorted(fakes)).encode(), hashlib.sha256).hexdigest()[:32]
