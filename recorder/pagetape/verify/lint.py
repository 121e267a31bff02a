"""`pagetape verify`: a leak and integrity lint for cassettes, runnable in CI and pre-commit.

A pagetape cassette is scanned with the sanitizer's own detection engine (`pagetape.sanitize.detect`).
Each value found must be a fake, proven by its form (account check digits, reserved domains and
ranges, the PAGETAPE mark) or by the file's own `metadata.fakes` (names, host names, private
addresses; a real account id, email or key listed there is not trusted), or be one the sanitizer
itself keeps (AWS's own values): so what pagetape writes, verify accepts. Rules switched off on
purpose (`metadata.kept_rules`) are not checked.

A foreign fixture (vcrpy, placebo) is audited by the sanitizer itself (`pagetape.imports.foreign`): every
value `pagetape sanitize` or `pagetape import placebo` would replace is a finding, by
interaction, field path and rule, no more and no less.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pagetape.aws import arn as arn_mod
from pagetape.aws import catalogue
from pagetape.aws.specs import token_names
from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteError, UsageError
from pagetape.imports import foreign as audit
from pagetape.sanitize import addresses, detect, marks, rules, vocabulary
from pagetape.sanitize.keep import KeepPaths
from pagetape.sanitize.pseudonym import TOKEN_RE
from pagetape.sanitize.rewrite import Rewriter
from pagetape.sanitize.secret import AUDIT_SECRET
from pagetape.sanitize.structured import label_address
from pagetape.wire import chain, codec

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "x-amz-security-token", "x-amz-credential", "x-amz-signature",
     "cookie", "set-cookie", "x-amz-date"}
)  # fmt: skip
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")  # a wildcard (arn:aws:s3:::*) is none
_SHOWN = 80  # characters of a value a finding quotes
# Kinds whose every hit must be a fake (names, UUIDs and resource ids identify less and are
# checked where their form allows: ARNs, buckets, host names).
CHECKED = frozenset(
    {"account_id", "email", "ip_address", "ipv6", "access_key_id", "secret_key",
     "well_known_secret", "private_key", "resource_id"}
)  # fmt: skip


# pagetape's own (.json) and the files vcrpy and placebo write.
CASSETTE_SUFFIXES = (".json", ".yaml", ".yml", ".yaml.gz", ".yml.gz")


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, interaction, JSON path) and what; in a foreign file, the
    sanitization rule that would replace the value."""

    file: str
    where: str
    path: str
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.path}: {self.message}"


def cassette_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to the cassette files below them; a missing path is a usage error."""
    return [path for path, _ in _targets(paths)]


def _targets(paths: Iterable[str | Path]) -> list[tuple[Path, Path | None]]:
    """Each file to check and the folder it was found in (it must not lead outside it). Every
    cassette-named entry is listed, FIFOs and symlinks included: the loader refuses them one by one,
    so each is a finding rather than a hang or a silent skip."""
    out: list[tuple[Path, Path | None]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = (
                f
                for f in sorted(p.rglob("*"))
                if f.name.endswith(CASSETTE_SUFFIXES) and (f.is_symlink() or not f.is_dir())
            )
            out.extend((f, p) for f in found)  # a folder named x.json is walked, not read
        elif p.exists() or p.is_symlink():
            out.append((p, None))
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out


def verify_file(path: Path, within: Path | None = None) -> list[Finding]:
    """Every finding in one cassette file; a file that cannot be loaded is one finding."""
    return _verify_one(path, within, {})


_Folders = dict[Path, dict[Path, list["Finding"]]]


def _verify_one(path: Path, within: Path | None, folders: _Folders) -> list[Finding]:
    """FOLDERS remembers the placebo folders audited so far (each is audited whole, once)."""
    name = str(path)
    try:
        raw = cassette_io.read(path, within)
        if audit.is_pagetape(raw):
            return list(_Checker(name, cassette_io.decode(raw, name)).run())
        if audit.is_placebo(path, raw):
            if path.parent not in folders:
                folders[path.parent] = _placebo_findings(path.parent, within, path)
            return folders[path.parent].get(path, [])
        return _foreign(name, audit.vcr(path, raw))
    except CassetteError as exc:
        return [_unreadable(name, exc)]


def _unreadable(name: str, exc: CassetteError) -> Finding:
    return Finding(name, "file", "$", str(exc).removeprefix(f"{name} ").removeprefix(f"{name}: "))


def _placebo_findings(folder: Path, within: Path | None, target: Path) -> dict[Path, list[Finding]]:
    """Each placebo file of FOLDER audited as `pagetape import placebo FOLDER` sanitizes them:
    with one sanitizer, so a name learnt in one file is replaced in all. TARGET is read even
    when it is not a regular file (the loader names why not)."""
    files = sorted({target, *(f for f in folder.iterdir() if audit.is_placebo_name(f))})
    audited, errors = audit.placebo(files, within)
    out = {path: _foreign(str(path), found) for path, found in audited.items()}
    out.update((path, [_unreadable(str(path), exc)]) for path, exc in errors.items())
    return out


# How a foreign file names a value each rule replaces; a rule not listed here is named by its
# own words (account_id: "account id"). Credentials are named without their value.
_LABELS = {
    "hostname": "host name", "embedded_url": "URL", "s3_uri": "bucket or key name",
    "arn": "name in an ARN", "iam_principal": "IAM name in an ARN", "uuid": "UUID",
    "free_text": "word of free text", "jwt": "JSON web token", "url": "URL part",
}  # fmt: skip
_UNSHOWN = {
    "secret_value": "value under a secret-looking key was not replaced",
    "token": "pagination token was not replaced",
    "jwt": "JSON web token (not sanitized)",
}


def _foreign(name: str, replacements: list[audit.Replacement]) -> list[Finding]:
    return [Finding(name, r.where, r.path, _foreign_message(r), r.rule) for r in replacements]


def _foreign_message(r: audit.Replacement) -> str:
    if r.rule == audit.DROPPED_BY:
        side, _, name = r.path.rpartition(".")
        if not side.endswith(".headers"):
            return "signing field (not sanitized)"  # SigV2 in a form body: dropped as headers are
        return (
            "credential header" if name.lower() in CREDENTIAL_HEADERS else "header (not sanitized)"
        )
    if r.rule in _UNSHOWN or r.value is None:
        return _UNSHOWN.get(r.rule, f"{_label(r.rule)} (not sanitized)")
    if _is_base64_text(r.value):
        # A blob replaced whole (user data, an encoded id): its size, not its characters.
        return f"{_label(r.rule)} (not sanitized): base64 text of {len(r.value)} characters"
    shown = f"{_label(r.rule)} (not sanitized): {_short(r.value)}"
    return f"{shown} in {_short(r.within)}" if r.within else shown


def _is_base64_text(value: str) -> bool:
    return len(value) >= 16 and audit.base64_text(value) is not None


def _label(rule: str) -> str:
    return _LABELS.get(rule, rule.replace("_", " "))


class _Checker:
    def __init__(self, name: str, tape: cassette_io.Cassette) -> None:
        self.name = name
        self.tape = tape
        self.fakes = frozenset(tape.metadata.fakes)
        self.rules = rules.Switches(frozenset(tape.metadata.kept_rules))
        self.unproduced = " the sanitizer did not produce"
        self._rewriter: Rewriter | None = None
        # Values on a path the user keeps (`--keep`): real there, and so everywhere.
        self.kept_values = frozenset(_on_kept_paths(tape))
        names_in, names_out = token_names(tape.metadata.service, tape.metadata.operation)
        self.token_keys = names_in | names_out  # checked by the chain check, not as secrets

    def run(self) -> Iterator[Finding]:
        meta = self.tape.metadata
        for field in ("params", "error"):
            yield from self._walk(getattr(meta, field), f"metadata.{field}", "metadata")
        for n, interaction in enumerate(self.tape.interactions, 1):
            where = f"interaction {n}"
            for side in ("request", "response"):
                part = getattr(interaction, side)
                for header, value in part.headers.items():
                    low = header.lower()
                    if self.rules.on("headers") and low in CREDENTIAL_HEADERS:
                        yield self._f(where, f"{side}.headers.{header}", "credential header")
                    else:
                        yield from self._walk(value, f"{side}.headers.{header}", where, low)
                leaves = self._xml_leaves(part.body) if side == "response" else None
                if leaves is None:
                    yield from self._walk(part.body, f"{side}.body", where)
                for text in leaves or ():
                    yield from self._walk(text, f"{side}.body", where)
            yield from self._walk(interaction.request.path, "request.path", where)
            for key, value in interaction.request.query:
                yield from self._walk(value, f"request.query.{key}", where, key)
        if self.rules.on("token"):
            yield from self._chain()

    def _xml_leaves(self, body: object) -> list[str] | None:
        """The leaf and attribute texts of an XML body, as the sanitizer's walker binds them,
        but those of AWS-owned resources (a managed policy's document: AWS's, kept whole);
        None when BODY is no XML of a known operation."""
        found = chain.operation(self.tape.metadata.service, self.tape.metadata.operation)
        if not isinstance(body, str) or not body.lstrip().startswith("<") or found is None:
            return None
        op = found[0]
        texts: list[str] = []

        def leaf(where: codec.XmlLeaf, text: str) -> str:
            if not where.owned:
                texts.append(text)
            return text

        protocol = codec.wire_protocol(op.service_model, "text/xml")
        try:
            codec.rewrite_xml(body, op.output_shape, protocol, leaf, vocabulary.xml_context)
        except (ValueError, SyntaxError):
            return None
        return texts

    def _f(self, where: str, path: str, message: str) -> Finding:
        return Finding(self.name, where, path, message)

    def _walk(self, value: Any, path: str, where: str, key: str | None = None) -> Iterator[Finding]:
        if isinstance(value, dict):
            for k, item in value.items():
                yield from self._walk(item, f"{path}.{k}", where, str(k))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self._walk(item, f"{path}[{i}]", where, key)
        elif isinstance(value, str):
            if value in self.kept_values or vocabulary.is_version(key, value):
                return
            if key is not None and self._unreplaced_secret(key, value):
                yield self._f(where, path, "value under a secret-looking key was not replaced")
                return
            for message in self._string(value):
                yield self._f(where, path, message)

    def _unreplaced_secret(self, key: str, value: str) -> bool:
        if not self.rules.on("secret_value") or not value or key in self.token_keys:
            return False
        if not detect.is_secret_key(key):
            return False
        return not (
            value.startswith(marks.SECRET_FAKE_PREFIX)
            or TOKEN_RE.match(value)
            or marks.FAKE_MARK in value
            or value in self.fakes
            or value.lower() in ("true", "false", "none", "null")
            or (key.lower() == "authorization" and "Signature=" + marks.SECRET_FAKE_PREFIX in value)
        )

    def _string(self, text: str) -> Iterator[str]:
        """Scan with the sanitizer's own detection engine; ARNs, S3 URIs, URLs and JWTs are
        opened to check their parts; URL-encoded text is read decoded, as often as the
        sanitizer decodes it (a policy encoded twice holds `%2522`, no host `22ec2...`)."""
        text = _decoded(text)
        for hit in detect.scan(text):
            kind, value = hit.kind, hit.value
            if not self.rules.on(kind):
                continue
            if kind == "arn":
                yield from self._arn(value)
            elif kind == "s3_uri":
                bucket, _, key = value[len("s3://") :].partition("/")
                yield from self._bucket(bucket)
                yield from self._string(key)
            elif kind == "embedded_url":
                yield from self._url(value)
            elif kind == "hostname":
                yield from self._host(value)
            elif kind == "jwt":
                yield from self._jwt(value)
            elif kind in CHECKED and not self._fake(kind, value):
                yield f"{kind.replace('_', ' ')}{self.unproduced}: {_short(value)}"

    def _fake(self, kind: str, value: str) -> bool:
        """A fake by its form or the file's list, or a value the sanitizer keeps as it is (AWS's
        own values): what pagetape writes passes."""
        return detect.is_fake(kind, value, self.fakes) or self._kept_by_sanitizer(kind, value)

    def _kept_by_sanitizer(self, kind: str, value: str) -> bool:
        """Would the sanitizer leave VALUE as it is? Asked of a rewriter that trusts only the
        listed fakes a list may hold (`detect.claims_fake`: no real account id, email or key)."""
        if self._rewriter is None:
            self._rewriter = Rewriter(AUDIT_SECRET, known_fakes=self.fakes)
            for kept in self.kept_values:
                self._rewriter.keep(kept)
        rewriter = self._rewriter
        if rewriter.is_public(value):
            return True
        if kind in ("s3_uri", "hostname_label"):
            return rewriter.name(value, "name") == value
        return rewriter.detected(kind, value) == value

    def _arn(self, arn: str) -> Iterator[str]:
        parts = arn_mod.parse(arn)
        if parts is None:
            return
        account, resource = parts.account, parts.resource
        # Only what the engine calls an account id is one: a short number (98765) is not, and
        # its fake (40213) proves nothing either way.
        if (
            self.rules.on("account_id")
            and detect.fullmatch(account) == "account_id"
            and not self._fake("account_id", account)
        ):
            yield f"account id{self.unproduced}: {_short(account)}"
        if parts.service == "s3":
            bucket, _, key = resource.partition("/")
            yield from self._bucket(bucket)
            resource = key
        yield from self._string(resource)

    def _bucket(self, bucket: str) -> Iterator[str]:
        if (
            _BUCKET.fullmatch(bucket)
            and self.rules.on("s3_uri")
            and bucket not in self.fakes
            and not self._kept_by_sanitizer("s3_uri", bucket)
        ):
            yield f"bucket{self.unproduced}: {_short(bucket)}"

    def _host(self, host: str) -> Iterator[str]:
        """A host name is fake when it is listed whole, or each of its labels is listed or one
        the sanitizer keeps (AWS's service and region labels, public words); an address
        embedded as ip-10-0-0-1 must be a faked address."""
        name = host.rstrip(".")
        if (
            not self.rules.on("hostname")
            or name in self.fakes
            or f"{name}." in self.fakes  # Route 53 names end in a dot where they were faked
            or detect.fullmatch(name) != "hostname"
        ):
            return
        labels = name.split(".")
        shape = catalogue.host_shape(name)
        if shape is not None and shape.public:
            return  # AWS's own host (a Route 53 name server)
        suffix = vocabulary.aws_suffix(name)
        if suffix is not None:
            labels = labels[: len(labels) - len(suffix.split("."))]
        else:
            labels = labels[:-1]
        for label in labels:
            address = label_address(label)
            if address is not None:
                if not (
                    addresses.harmless(address) or detect.is_fake("ip_address", address, self.fakes)
                ):
                    yield f"host name embeds an address{self.unproduced}: {_short(label)}"
            elif not (
                label in self.fakes
                or vocabulary.is_public_host_label(label)
                or (shape is not None and label in shape.words)
                or self._faked_parts(shape, label)
                or self._kept_by_sanitizer("hostname_label", label)
            ):
                yield f"host name{self.unproduced}: {_short(name)}"
                return

    def _faked_parts(self, shape: catalogue.HostShape | None, label: str) -> bool:
        """A label the host's catalogue shape lays out (`cluster-<id>` of an RDS endpoint) is
        fake when each part the sanitizer rewrites is a fake it produced."""
        parts = catalogue.label_parts(shape, label) if shape is not None else None
        return parts is not None and all(
            role == "keep" or not text or text in self.fakes for role, text in parts
        )

    def _url(self, url: str) -> Iterator[str]:
        from urllib.parse import parse_qsl, urlsplit

        try:
            parts = urlsplit(url)
            hostname = parts.hostname or ""
        except ValueError:
            return
        if hostname:
            kind = detect.fullmatch(hostname)
            if kind in ("ip_address", "ipv6"):
                if not self._fake(kind, hostname):
                    yield f"address{self.unproduced}: {_short(hostname)}"
            else:
                yield from self._host(hostname)
        yield from self._string(unquote(parts.path))
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if self._unreplaced_secret(key, value):
                yield f"URL parameter {key} was not replaced"
            else:
                yield from self._string(value)

    def _jwt(self, token: str) -> Iterator[str]:
        import base64

        if not self.rules.on("jwt"):
            return
        if not detect.is_fake("jwt", token):
            yield f"JSON web token{self.unproduced}"
            return
        claims = token.split(".")[1]
        try:
            decoded = base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return
        yield from self._string(decoded)

    def _chain(self) -> Iterator[Finding]:
        """Tokens are pagetape's own, and each response token is asked for by a later request."""
        by_op: dict[str, list[tuple[int, tuple[str | None, ...], tuple[str | None, ...]]]] = {}
        service = self.tape.metadata.service
        for n, interaction in enumerate(self.tape.interactions, 1):
            owner = interaction.service or service
            found = chain.operation(owner, interaction.operation)
            view = chain.page(owner, interaction)
            if found is None or view is None:
                continue
            opaque = _opaque_tokens(*found)
            asked, given = chain.key(view.asked), chain.key(view.given) if view.more else ()
            by_op.setdefault(interaction.operation, []).append((n, asked, given))
            for tokens, side in ((asked, "request"), (given, "response")):
                for token, is_opaque in zip(tokens, opaque, strict=False):
                    if is_opaque and token is not None and not TOKEN_RE.match(token):
                        yield self._f(
                            f"interaction {n}", f"{side}.token", "pagination token was not replaced"
                        )
        for calls in by_op.values():
            yield from self._links(calls)

    def _links(
        self, calls: list[tuple[int, tuple[str | None, ...], tuple[str | None, ...]]]
    ) -> Iterator[Finding]:
        """Each token asked for was given earlier, each token given is asked for by a later page
        of the same walk, and following the chain from a first page never comes back to a token
        (a loop: a paginator replaying it would never stop). A chain recorded twice is no loop."""
        given_so_far: set[tuple[str | None, ...]] = set()
        following: dict[tuple[str | None, ...], tuple[int, tuple[str | None, ...]]] = {}
        for i, (n, asked, given) in enumerate(calls):
            if any(asked) and asked not in given_so_far:
                yield self._f(
                    f"interaction {n}", "request.token",
                    f"broken token chain: {_tokens(asked)} was never returned by an earlier page",
                )  # fmt: skip
            following.setdefault(asked, (n, given))
            if any(given):
                given_so_far.add(given)
                # Up to the next first page: a walk may stop early and list again (a test
                # that reads one page, then the whole listing).
                later = list(itertools.takewhile(any, (a for _, a, _ in calls[i + 1 :])))
                if later and given not in later:
                    yield self._f(
                        f"interaction {n}", "response.token",
                        f"broken token chain: no later request asks for {_tokens(given)}",
                    )  # fmt: skip
        yield from self._loops(following)

    def _loops(
        self, following: dict[tuple[str | None, ...], tuple[int, tuple[str | None, ...]]]
    ) -> Iterator[Finding]:
        """Walk the chain as replay serves it (request tokens -> the page they get)."""
        reported: set[int] = set()
        for start in [asked for asked in following if not any(asked)] or list(following)[:1]:
            seen = {start}
            tokens = start
            while tokens in following:
                n, given = following[tokens]
                if not any(given):
                    break
                if given in seen:
                    if n not in reported:
                        reported.add(n)
                        yield self._f(
                            f"interaction {n}", "response.token",
                            f"token chain loops: {_tokens(given)} was asked for earlier in the "
                            "chain; a paginator would never stop",
                        )  # fmt: skip
                    break
                seen.add(given)
                tokens = given


def _on_kept_paths(tape: cassette_io.Cassette) -> Iterator[str]:
    """The strings of request and response bodies that sit on a kept path."""
    keep = KeepPaths.of(tape.metadata.kept_paths)
    if not keep:
        return

    def walk(value: Any, at: tuple[str, ...]) -> Iterator[str]:
        if isinstance(value, dict):
            for k, item in value.items():
                yield from walk(item, (*at, str(k)))
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, (*at, "[]"))
        elif isinstance(value, str) and keep.matches(at):
            yield value

    found = chain.operation(tape.metadata.service, tape.metadata.operation)
    for interaction in tape.interactions:
        yield from walk(interaction.request.body, ())
        if isinstance(interaction.response.body, str) and found is not None:
            # An XML body: its paths are those of the parsed response, as the sanitizer walks it.
            try:
                yield from walk(chain.parsed(found[0], interaction), ())
            except Exception:
                continue
        else:
            yield from walk(interaction.response.body, ())


def _opaque_tokens(op: Any, spec: Any) -> list[bool]:
    """Which tokens the sanitizer replaces by pagetape-token-NNNN: string members named by a plain
    path; not enums (Route 53's record type), numbers, maps or values taken from the data."""
    out = []
    for expression in spec.output_token:
        _, shape = chain.member_at(op.output_shape, expression)
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


def _decoded(text: str) -> str:
    """TEXT URL-decoded until it no longer changes, as the sanitizer reads URL-encoded text."""
    while "%" in text:
        once = unquote(text)
        if once == text:
            break
        text = once
    return text


def _short(value: str) -> str:
    """VALUE quoted, cut when long: an image digest (sha256: and 64 hex, 71 characters) still
    shows whole, so a user fixing a file by hand can search for it."""
    return json.dumps(value if len(value) <= _SHOWN else value[: _SHOWN - 3] + "...")


def verify(paths: Iterable[str | Path]) -> tuple[list[Path], list[Finding]]:
    """Check every cassette under PATHS; returns the files checked and all findings."""
    targets = _targets(paths)
    findings: list[Finding] = []
    folders: _Folders = {}
    for path, within in targets:
        findings.extend(_verify_one(path, within, folders))
    return [path for path, _ in targets], findings
