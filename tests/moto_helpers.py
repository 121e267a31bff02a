"""Helpers for the moto paginator round trips: a fresh moto account per test, two ways to walk a
page chain (botocore's paginator and a token loop written out by hand), and the comparison of a
replayed listing with the live one that tolerates sanitized values and nothing else."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.model
import jmespath

from helpers import SANDBOX_KEY, record_from
from pagetape.aws.isolation import isolated_environment
from pagetape.aws.params import typed
from pagetape.record.recording import RecordResult, snake_case
from pagetape.replay.engine import Tape

REGION = "eu-west-1"


@dataclass(frozen=True)
class Account:
    """One moto account of its own (STS AssumeRole into a random account id): the moto server
    is shared by every test of a worker, and IAM, S3 and Route 53 are not regional, so only a
    separate account keeps one test's listing free of another test's resources."""

    url: str
    account_id: str
    key: tuple[str, str]

    @property
    def endpoint_url(self) -> str:
        return self.url

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.key[0],
            aws_secret_access_key=self.key[1],
        )


def fresh_account(url: str) -> Account:
    account_id = str(100000000000 + secrets.randbelow(899999999999))
    sts = boto3.client(
        "sts",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=SANDBOX_KEY[0],
        aws_secret_access_key=SANDBOX_KEY[1],
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/platform-ci", RoleSessionName="pagetape-tests"
    )["Credentials"]
    key = (creds["AccessKeyId"], creds["SecretAccessKey"])
    # moto maps the access key to the assumed account; prove it so isolation is not assumed.
    ident = Account(url, account_id, key).client("sts").get_caller_identity()
    assert ident["Account"] == account_id
    return Account(url, account_id, key)


def _limit_value(op: botocore.model.OperationModel, limit_key: str, page_size: int) -> Any:
    """Route 53's MaxItems is a string in the model; everything else takes an integer."""
    shape = op.input_shape.members[limit_key]
    return str(page_size) if shape.type_name == "string" else page_size


@dataclass(frozen=True)
class Chain:
    """How one operation pages, written out by hand per operation (not read from botocore's
    paginator model nor from pagetape's specs): request member -> JMESPath into the response."""

    result_keys: tuple[str, ...]
    tokens: dict[str, str]
    limit_key: str | None
    more: str | None = None


def walk_by_hand(
    client: Any, operation: str, params: dict[str, Any], chain: Chain, page_size: int | None
) -> list[dict[str, Any]]:
    """A user's own token loop: call, read the next tokens, put them into the next request."""
    op = client.meta.service_model.operation_model(operation)
    method = getattr(client, snake_case(operation))
    request = dict(params)
    if chain.limit_key and page_size is not None:
        request[chain.limit_key] = _limit_value(op, chain.limit_key, page_size)
    pages: list[dict[str, Any]] = []
    while True:
        page = method(**request)
        page.pop("ResponseMetadata", None)
        pages.append(page)
        assert len(pages) < 50, f"{operation}: the chain does not end"
        if chain.more is not None and not page.get(chain.more):
            return pages
        following = {name: jmespath.search(path, page) for name, path in chain.tokens.items()}
        if not any(following.values()):
            return pages
        for name, value in following.items():
            if value is None:
                request.pop(name, None)
            else:
                request[name] = value


def walk_paginator(
    client: Any, operation: str, params: dict[str, Any], page_size: int | None
) -> list[dict[str, Any]]:
    config = {"PageSize": page_size} if page_size is not None else {}
    paginator = client.get_paginator(snake_case(operation))
    pages = []
    for page in paginator.paginate(**params, PaginationConfig=config):
        page.pop("ResponseMetadata", None)
        pages.append(page)
    return pages


def record_live(
    account: Account,
    service: str,
    operation: str,
    out: Path,
    page_size: int | None,
    params: dict[str, Any],
) -> RecordResult:
    return record_from(
        account, service, operation, out, page_size, params, account.key, region=REGION
    )


def replay_both(
    path: Path, operation: str, chain: Chain, page_size: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Replay the cassette offline twice: through boto3's paginator, then the hand loop; each
    walk must request every recorded page."""
    walks = []
    for walker in ("paginator", "hand"):
        tape = Tape.load([path])
        with isolated_environment(tape.metadata.region), tape:
            client = tape.client()
            op = client.meta.service_model.operation_model(operation)
            params = typed(op, dict(tape.metadata.params))
            if walker == "paginator":
                pages = walk_paginator(client, operation, params, page_size)
            else:
                pages = walk_by_hand(client, operation, params, chain, page_size)
            tape.assert_exhausted()
        walks.append(pages)
    return walks[0], walks[1]


# -- comparing a replayed listing with the live one ----------------------------------------------

_ARN = re.compile(r"^arn:([^:]+):([^:]*):([^:]*):([^:]*):(.+)$", re.S)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


_FAKE_NET = ipaddress.ip_network("198.18.0.0/15")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_EMBEDDED = re.compile(
    r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b"  # IPv4 address or CIDR
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email
)


def _skeleton(value: str) -> str:
    """The string with embedded addresses and emails as one mark each (their fakes may differ in
    length), then every letter and digit masked: separators and length stay visible."""
    return re.sub(r"[A-Za-z0-9]", "x", _EMBEDDED.sub("\u00a7", value))


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False) if "/" in value else None
    except ValueError:
        return None


def _resource_type(resource: str) -> str:
    """`role` of `role/path/name`, `secret` of `secret:prod/db-AbCdEf`, '' of a bare name."""
    head = re.match(r"[^/:]*(?=[/:])", resource)
    return head.group(0) if head else ""


_IP_HOST = re.compile(r"^(ip|ec2)-(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(\..+)$")


def format_problem(live: str, fake: str) -> str | None:
    """Why FAKE cannot be a sanitized form of LIVE, or None. A pseudonym is format-true
    (README, Sanitization): ARNs keep partition, service, region and resource type with a
    12-digit account; UUIDs and emails stay UUIDs and emails; IPv4 addresses become addresses in
    198.18.0.0/15, CIDR blocks stay networks of the same prefix length; URLs keep scheme and
    port, an IP host stays an IP; any other value (names, ids, paths, S3 keys, free text) keeps
    its length and separators, addresses and emails inside it counting as one character."""
    arn = _ARN.match(live)
    if arn:
        got = _ARN.match(fake)
        if not got:
            return "an ARN became a non-ARN"
        if got.group(1, 2, 3) != arn.group(1, 2, 3):
            return "partition, service or region of the ARN changed"
        if arn.group(4) and not re.fullmatch(r"\d{12}|aws", got.group(4)):
            return "the ARN's account is no account id"
        if _resource_type(got.group(5)) != _resource_type(arn.group(5)):
            return "the ARN's resource type changed"
        return None
    embedded = _IP_HOST.match(live)
    if embedded:
        # ip-10-0-0-1.ec2.internal: the faked name embeds a faked address, suffix kept.
        got = _IP_HOST.match(fake)
        if not got or got.group(3) != embedded.group(3) or got.group(1) != embedded.group(1):
            return "a host name that embeds an address lost that form"
        return format_problem(embedded.group(2).replace("-", "."), got.group(2).replace("-", "."))
    if fake.startswith("pagetape-secret-"):
        return None  # a value under a secret-looking key (a SecureString): redacted by design
    if _UUID.match(live):
        return None if _UUID.match(fake) else "a UUID became a non-UUID"
    net = _network(live)
    if net is not None:
        try:
            got_net = ipaddress.ip_network(fake)  # strict: a network, no host bits set
        except ValueError:
            return "a CIDR block became a non-network"
        return None if got_net.prefixlen == net.prefixlen else "the CIDR prefix length changed"
    if _is_ip(live):
        if not _is_ip(fake):
            return "an IP address became a non-address"
        real, got_ip = ipaddress.ip_address(live), ipaddress.ip_address(fake)
        if real == got_ip:
            return None if real.is_loopback or real.is_link_local else "a real address was kept"
        if real.version == 4 and real.is_private:
            return None if got_ip.is_private else "a private address became a public one"
        if real.version == 4 and got_ip not in _FAKE_NET:
            return "a faked public IPv4 address lies outside 198.18.0.0/15"
        return None
    url = urlsplit(live)
    if url.scheme in ("http", "https") and url.hostname:
        got = urlsplit(fake)
        if got.scheme != url.scheme or not got.hostname:
            return "a URL lost its scheme or host"
        if _is_ip(url.hostname) and format_problem(url.hostname, got.hostname):
            return f"the URL's host: {format_problem(url.hostname, got.hostname)}"
        if got.port != url.port:
            return "the URL's port changed"
        return None
    if _EMAIL.match(live):
        return None if _EMAIL.match(fake) else "an email became a non-email"
    if _skeleton(live) != _skeleton(fake):
        return "length or separators changed"
    return None


@dataclass
class Comparison:
    """Walks live and replayed values side by side along the botocore output shape."""

    problems: list[str] = field(default_factory=list)
    fakes: dict[str, str] = field(default_factory=dict)  # live string -> its replayed fake
    kept: int = 0  # strings replayed verbatim

    def value(self, live: Any, got: Any, shape: botocore.model.Shape | None, path: str) -> None:
        kind = shape.type_name if shape is not None else None
        if isinstance(live, dict) and kind == "map":
            self._map(live, got, shape, path)
        elif isinstance(live, dict):
            self._structure(live, got, shape, path)
        elif isinstance(live, list):
            if not isinstance(got, list) or len(got) != len(live):
                self.problems.append(f"{path}: list of {len(live)} became {_brief(got)}")
                return
            member = shape.member if isinstance(shape, botocore.model.ListShape) else None
            for i, (a, b) in enumerate(zip(live, got, strict=True)):
                self.value(a, b, member, f"{path}[{i}]")
        elif isinstance(live, str):
            self._string(live, got, shape, path)
        elif type(live) is not type(got) or live != got:
            # numbers, booleans, timestamps (datetimes), blobs: never sanitized
            self.problems.append(f"{path}: {live!r} became {got!r}")

    def _structure(
        self, live: dict[str, Any], got: Any, shape: botocore.model.Shape | None, path: str
    ) -> None:
        if not isinstance(got, dict) or set(got) != set(live):
            self.problems.append(f"{path}: keys {sorted(live)} became {_brief(got)}")
            return
        members = shape.members if isinstance(shape, botocore.model.StructureShape) else {}
        for key in live:
            self.value(live[key], got[key], members.get(key), f"{path}.{key}")

    def _map(
        self, live: dict[str, Any], got: Any, shape: botocore.model.MapShape, path: str
    ) -> None:
        # Map keys are data (tag keys, attribute names) and JSON gives their order no meaning:
        # kept keys pair by name, faked ones by a fake already seen, a single leftover with the
        # single leftover.
        if not isinstance(got, dict) or len(got) != len(live):
            self.problems.append(f"{path}: map of {len(live)} became {_brief(got)}")
            return
        pairs = [(k, k) for k in live if k in got]
        rest_live = [k for k in live if k not in got]
        rest_got = [k for k in got if k not in live]
        for k in list(rest_live):
            fake = self.fakes.get(k)
            if fake in rest_got:
                pairs.append((k, fake))
                rest_live.remove(k)
                rest_got.remove(fake)
        if len(rest_live) == 1:
            pairs.append((rest_live[0], rest_got[0]))
        elif rest_live:
            self.problems.append(f"{path}: cannot pair map keys {rest_live} with {rest_got}")
            return
        for k1, k2 in pairs:
            self._string(k1, k2, shape.key, f"{path}<key {k1!r}>")
            self.value(live[k1], got[k2], shape.value, f"{path}[{k1!r}]")

    def _string(self, live: str, got: Any, shape: botocore.model.Shape | None, path: str) -> None:
        if not isinstance(got, str):
            self.problems.append(f"{path}: {live!r} became {got!r}")
            return
        if live == got:
            self.kept += 1
            return
        if shape is not None and shape.enum:
            self.problems.append(f"{path}: enum value {live!r} became {got!r}")
            return
        problem = format_problem(live, got)
        if problem:
            self.problems.append(f"{path}: {live!r} -> {got!r}: {problem}")
        if self.fakes.setdefault(live, got) != got:
            self.problems.append(
                f"{path}: {live!r} faked as {got!r} here, {self.fakes[live]!r} elsewhere"
            )


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        return f"keys {list(value)}"
    if isinstance(value, list):
        return f"list of {len(value)}"
    return repr(value)


def compare_listing(
    live_pages: list[dict[str, Any]],
    replayed: list[dict[str, Any]],
    output_shape: botocore.model.StructureShape,
    result_keys: tuple[str, ...],
) -> Comparison:
    """Same pages, same items in the same order, same keys; values equal except sanitized
    strings, which must be format-true and consistent (one real value, one fake, both ways)."""
    cmp = Comparison()
    if len(replayed) != len(live_pages):
        cmp.problems.append(f"{len(live_pages)} live pages, {len(replayed)} replayed")
        return cmp
    for n, (live, got) in enumerate(zip(live_pages, replayed, strict=True)):
        for key in result_keys:
            cmp.value(
                live.get(key, []), got.get(key, []), output_shape.members[key], f"page {n}.{key}"
            )
    inverse: dict[str, str] = {}
    for real, fake in cmp.fakes.items():
        if inverse.setdefault(fake, real) != real:
            cmp.problems.append(f"{real!r} and {inverse[fake]!r} share the fake {fake!r}")
    return cmp


def items(pages: list[dict[str, Any]], result_keys: tuple[str, ...]) -> list[Any]:
    return [item for page in pages for key in result_keys for item in page.get(key, [])]


# -- a moto server of its own, for settings read when an IAM account is created ------------------


@dataclass
class MotoProcess:
    url: str
    process: subprocess.Popen[str]


@contextlib.contextmanager
def start_moto_process(port: int, env: dict[str, str]) -> Iterator[MotoProcess]:
    """`python -m moto.server` in a child process with ENV; ready once it says it is listening.
    Its log is drained by a thread so the pipe never fills."""
    full = {**os.environ, **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()
    seen: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if len(seen) < 50:
                seen.append(line)
            if "Running on" in line:
                ready.set()
        ready.set()  # exited: let the waiter see it

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(60) or proc.poll() is not None:
            raise RuntimeError("moto server did not start: " + "".join(seen))
        yield MotoProcess(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        proc.wait(30)


def unique(prefix: str) -> str:
    """A realistic name with a short random tail, unique across tests and reruns."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
