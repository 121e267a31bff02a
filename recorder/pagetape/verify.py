"""`pagetape verify`: a leak and integrity lint for cassettes, runnable in CI and pre-commit.

It trusts nothing but the file: a value that looks like an account id, bucket, email, IP
address, access key id or secret is a finding unless the cassette's own list of pseudonyms
(`metadata.fakes`, written by the sanitizer) says it is a fake, or its rule was switched off on
purpose (`metadata.kept_rules`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pagetape import cassette as cassette_io
from pagetape import rules
from pagetape.errors import CassetteError, UsageError
from pagetape.pseudonym import FAKE_KEY_MARK, TOKEN_RE

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-amz-security-token", "x-amz-credential", "x-amz-signature",
     "cookie", "set-cookie", "x-amz-date"}
)  # fmt: skip
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")  # a wildcard (arn:aws:s3:::*) is none
_DETECT = rules.detector(frozenset()) or re.compile("(?!)")
_FAKE_NET = ipaddress.ip_network("198.18.0.0/15")
_HARMLESS_NETS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("0.0.0.0/32"))


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, interaction, JSON path) and what."""

    file: str
    where: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.path}: {self.message}"


def cassette_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to the .json files below them; a missing path is a usage error."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(p.rglob("*.json")))
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out


def verify_file(path: Path) -> list[Finding]:
    """Every finding in one cassette file."""
    name = str(path)
    try:
        tape = cassette_io.load(path)
    except CassetteError as exc:
        reason = str(exc).removeprefix(f"{name} ").removeprefix(f"{name}: ")
        return [Finding(name, "file", "$", reason)]
    return list(_Checker(name, tape).run())


class _Checker:
    def __init__(self, name: str, tape: cassette_io.Cassette) -> None:
        self.name = name
        self.tape = tape
        self.fakes = set(tape.metadata.fakes)
        self.kept = set(tape.metadata.kept_rules)
        self._checks: dict[str, Callable[[str], bool]] = {
            "access_key_id": lambda v: FAKE_KEY_MARK not in v,
            "secret_key": lambda v: v not in self.fakes,
            "account_id": lambda v: v not in self.fakes,
            "email": self._real_email,
            "ip_address": _real_ip,
        }

    def run(self) -> Iterator[Finding]:
        meta = self.tape.metadata
        for field in ("params", "error"):
            yield from self._walk(getattr(meta, field), f"metadata.{field}", "metadata")
        for n, interaction in enumerate(self.tape.interactions, 1):
            where = f"interaction {n}"
            for side in ("request", "response"):
                part = getattr(interaction, side)
                if "headers" not in self.kept:
                    for header in part.headers:
                        if header.lower() in CREDENTIAL_HEADERS:
                            yield self._f(where, f"{side}.headers.{header}", "credential header")
                yield from self._walk(part.body, f"{side}.body", where)
            yield from self._walk(interaction.request.path, "request.path", where)
            for key, value in interaction.request.query:
                yield from self._walk(value, f"request.query.{key}", where)
        if "token" not in self.kept:
            yield from self._chain()

    def _f(self, where: str, path: str, message: str) -> Finding:
        return Finding(self.name, where, path, message)

    def _walk(self, value: Any, path: str, where: str) -> Iterator[Finding]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from self._walk(item, f"{path}.{key}", where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self._walk(item, f"{path}[{i}]", where)
        elif isinstance(value, str):
            for message in self._string(value):
                yield self._f(where, path, message)

    def _string(self, text: str) -> Iterator[str]:
        """Scan with the sanitizer's own detectors, in its order: a UUID is a UUID, not a UUID
        with an account id at its end; ARNs and S3 URIs are opened to check their parts."""
        for m in _DETECT.finditer(text):
            kind, value = m.lastgroup or "", m.group(0)
            if kind == "arn":
                yield from self._arn(value)
            elif kind == "s3_uri":
                bucket, _, key = value[len("s3://") :].partition("/")
                yield from self._bucket(bucket)
                yield from self._string(key)
            elif kind not in self.kept and kind in self._checks and self._checks[kind](value):
                yield f"{kind.replace('_', ' ')} the sanitizer did not produce: {_short(value)}"

    def _arn(self, arn: str) -> Iterator[str]:
        parts = arn.rstrip(".,;:)").split(":", 5)
        if len(parts) < 6:
            return
        account, resource = parts[4], parts[5]
        if account and "account_id" not in self.kept and account not in self.fakes:
            yield f"account id the sanitizer did not produce: {_short(account)}"
        if parts[2] == "s3":
            bucket, _, key = resource.partition("/")
            yield from self._bucket(bucket)
            resource = key
        yield from self._string(resource)

    def _bucket(self, bucket: str) -> Iterator[str]:
        if _BUCKET.fullmatch(bucket) and "s3_uri" not in self.kept and bucket not in self.fakes:
            yield f"bucket the sanitizer did not produce: {_short(bucket)}"

    def _real_email(self, email: str) -> bool:
        local, _, domain = email.partition("@")
        labels = domain.split(".")[:-1]
        return not all(part in self.fakes for part in [local, *labels])

    def _chain(self) -> Iterator[Finding]:
        """Tokens are pagetape's own, and each response token is asked for by a later request."""
        from pagetape.chain import key, operation, page

        by_op: dict[str, list[tuple[int, tuple[str | None, ...], tuple[str | None, ...]]]] = {}
        service = self.tape.metadata.service
        for n, interaction in enumerate(self.tape.interactions, 1):
            owner = interaction.service or service
            found = operation(owner, interaction.operation)
            view = page(owner, interaction)
            if found is None or view is None:
                continue
            opaque = _opaque_tokens(*found)
            asked, given = key(view.asked), key(view.given) if view.more else ()
            by_op.setdefault(interaction.operation, []).append((n, asked, given))
            for tokens, side in ((asked, "request"), (given, "response")):
                for token, is_opaque in zip(tokens, opaque, strict=False):
                    if is_opaque and token is not None and not TOKEN_RE.match(token):
                        yield self._f(
                            f"interaction {n}", f"{side}.token", "pagination token was not replaced"
                        )
        for calls in by_op.values():
            given_so_far: set[tuple[str | None, ...]] = set()
            for i, (n, asked, given) in enumerate(calls):
                if any(asked) and asked not in given_so_far:
                    yield self._f(
                        f"interaction {n}", "request.token",
                        f"broken token chain: {_tokens(asked)} was never returned by an earlier page",
                    )  # fmt: skip
                if any(given):
                    given_so_far.add(given)
                    later = [a for _, a, _ in calls[i + 1 :]]
                    if later and given not in later:
                        yield self._f(
                            f"interaction {n}", "response.token",
                            f"broken token chain: no later request asks for {_tokens(given)}",
                        )  # fmt: skip


def _opaque_tokens(op: Any, spec: Any) -> list[bool]:
    """Which tokens the sanitizer replaces by pagetape-token-NNNN: string members named by a plain
    path; not enums (Route 53's record type), numbers, maps or values taken from the data."""
    out = []
    for expression in spec.output_token:
        shape = op.output_shape
        for part in expression.split("."):
            members = shape.members if shape is not None and shape.type_name == "structure" else {}
            shape = members.get(part)
        out.append(
            expression.replace(".", "").isidentifier()
            and shape is not None
            and shape.type_name == "string"
            and not shape.enum
        )
    return out


def _tokens(tokens: tuple[str | None, ...]) -> str:
    present = [t for t in tokens if t is not None]
    return present[0] if len(present) == 1 else str(present)


def _real_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address not in _FAKE_NET and not any(address in net for net in _HARMLESS_NETS)


def _short(value: str) -> str:
    return json.dumps(value if len(value) <= 48 else value[:45] + "...")


def verify(paths: Iterable[str | Path]) -> tuple[list[Path], list[Finding]]:
    """Check every cassette under PATHS; returns the files checked and all findings."""
    files = cassette_files(paths)
    findings: list[Finding] = []
    for path in files:
        findings.extend(verify_file(path))
    return files, findings
