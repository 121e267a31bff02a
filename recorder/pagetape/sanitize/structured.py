"""Structured strings: decoded, sanitized part by part, and encoded again in the same form.

URLs (scheme, host, port, path, query), host names, emails, JWTs, JSON documents (IAM policies,
plain or URL-encoded) and base64 runs that hide text. Each function takes the value rewriter so
the parts go through the same rules and pseudonyms as everything else.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pagetape.aws import catalogue
from pagetape.sanitize import addresses, detect, marks, vocabulary
from pagetape.sanitize.pseudonym import Pseudonymizer


class Values(Protocol):
    """What these functions need of the value rewriter (`rewrite.Rewriter`, which calls them):
    the parts of a structured string go back through its rules and pseudonyms."""

    pseudo: Pseudonymizer
    disabled: frozenset[str]

    def on(self, rule: str) -> bool: ...
    def string(self, value: str, kind: str) -> str: ...
    def name(self, value: str, rule: str) -> str: ...
    def detected(self, kind: str, value: str, context: str = "free_text") -> str: ...
    def secret(self, value: str) -> str: ...
    def birth_date(self, value: str) -> str: ...
    def text(self, text: str) -> str: ...
    def key(self, key: str) -> str: ...
    def document(self, doc: Any) -> Any: ...


IP_LABEL = re.compile(r"^(ip|ec2)-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$")
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_PRINTABLE = re.compile(r"^[\x20-\x7e\t\r\n]+$")
_JDBC = "jdbc:"


def host(rw: Values, value: str) -> str:
    """A host name: under an AWS domain only the resource labels are faked, by the catalogue's
    shape of the host where it has one (the cluster-ro- of an Aurora reader endpoint, the
    internal- of a load balancer, the endpoint id of a VPC endpoint's DNS name stay what they
    are), and an address embedded as ip-10-0-0-1 becomes the faked address; AWS's own hosts
    (Route 53 name servers) stay whole. Elsewhere every label but the registry suffix (com,
    co.uk) is faked. A wildcard (*.) stays; an IP address stays an address."""
    kind = detect.fullmatch(value)
    if kind in ("ip_address", "ipv6"):
        return rw.detected(kind, value)
    trail = "." if value.endswith(".") else ""
    name = value.rstrip(".")
    labels = name.split(".")
    shape = catalogue.host_shape(name)
    if shape is not None and shape.public:
        return value
    suffix = vocabulary.aws_suffix(name)
    if suffix is not None:
        keep_from = len(labels) - len(suffix.split("."))
        words = shape.words if shape is not None else frozenset()
        out = [
            label
            if i >= keep_from or label in words or vocabulary.is_public_host_label(label)
            else _label(rw, label, shape)
            for i, label in enumerate(labels)
        ]
    else:
        registry = 2 if ".".join(labels[-2:]).lower() in catalogue.second_level_suffixes() else 1
        out = [_label(rw, label, None) for label in labels[:-registry]] + labels[-registry:]
    return ".".join(out) + trail


def _label(rw: Values, label: str, shape: catalogue.HostShape | None) -> str:
    """One resource label of a host name, faked as what it holds: an embedded address (kept
    when it identifies nobody, as a documentation address), the parts of a label the host's
    shape lays out, an id of a catalogue format or an account id, else a name. An underscored
    label of a protocol (RFC 8552: the _domainkey of DKIM) is structure and stays."""
    if label == "*" or catalogue.is_dns_label(label):
        return label  # a wildcard; _domainkey, _dmarc, _tcp: DNS structure, not a name
    address = address_label(rw, label)
    if address is not None:
        return address
    parts = catalogue.label_parts(shape, label) if shape is not None else None
    if parts is not None:
        return "".join(_label_part(rw, role, text) for role, text in parts)
    kind = detect.fullmatch(label)
    if kind in ("resource_id", "org_id", "account_id"):
        return rw.detected(kind, label)
    return rw.name(label, "hostname")


def label_address(label: str) -> str | None:
    """The IPv4 address an ip-10-0-0-1 label embeds, in its plain form (a pre-scrubbed
    ip-00-00-00-00 is 0.0.0.0); None when the label embeds none."""
    m = IP_LABEL.match(label)
    if m is None:
        return None
    octets = [int(part) for part in m.groups()[1:]]
    return ".".join(map(str, octets)) if max(octets) <= 255 else None


def address_label(rw: Values, label: str) -> str | None:
    """ip-10-0-0-1 (EC2's private DNS label, also alone as SSM's ComputerName) with the faked
    address in it, kept when the address identifies nobody; None for any other label."""
    m, address = IP_LABEL.match(label), label_address(label)
    if m is None or address is None or not rw.on("ip_address"):
        return None
    if addresses.harmless(address):
        return label
    fake = rw.detected("ip_address", address)
    return f"{m.group(1)}-{fake.replace('.', '-')}"


def _label_part(rw: Values, role: str, text: str) -> str:
    if role == "keep" or not text:
        return text
    if role == "id":
        kind = detect.fullmatch(text)
        return rw.detected(kind, text) if kind is not None else rw.name(text, "hostname")
    return rw.name(text, "hostname")


def email(rw: Values, value: str) -> str:
    """local@domain -> fake-local@fake-labels.example: the reserved top-level domain says it is
    fake to anyone, and one real domain still maps to one fake domain."""
    at = "%40" if "%40" in value and "@" not in value else "@"
    local, _, domain = value.rpartition(at)
    labels = domain.split(".")[:-1]
    fakes = [rw.name(label, "email") for label in labels]
    return f"{rw.name(local, 'email')}{at}{'.'.join([*fakes, marks.FAKE_EMAIL_TLD])}"


def url(rw: Values, value: str, kind: str = "free_text") -> str:
    """http(s) URLs: scheme and port kept, the host as a host name, path segments by KIND (names
    in an identifier field such as QueueUrl, free text elsewhere), query values by their key.
    A JDBC URL (AWS Glue's JDBC_CONNECTION_URL: jdbc:<subprotocol>://host:port/db) is the URL
    it wraps, `jdbc:` kept; SQL Server's `;name=value` parameters are a query of their own."""
    if value.startswith(_JDBC):
        inner, semi, params = value[len(_JDBC) :].partition(";")
        return _JDBC + url(rw, inner, kind) + semi + query(rw, params, ";")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return rw.text(value)
    netloc = parts.hostname or ""
    if parts.hostname:
        netloc = host(rw, parts.hostname)
        if ":" in netloc:
            netloc = f"[{netloc}]"
    if port is not None:
        netloc += f":{port}"
    if parts.username:
        netloc = f"{rw.name(parts.username, 'name')}:{rw.secret(parts.password or '')}@{netloc}"
    path = "/".join(_segment(rw, seg, kind) for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, query(rw, parts.query), parts.fragment))


def _segment(rw: Values, segment: str, kind: str) -> str:
    if not segment:
        return segment
    value = unquote(segment)
    new = rw.string(value, kind) if kind == "name" else rw.text(value)
    return quote(new, safe="~@!$&'()*+,;=:") if new != value else segment


def query(rw: Values, text: str, separator: str = "&") -> str:
    """key=value&...: secret-looking keys (X-Amz-Signature, X-Amz-Security-Token) lose their
    values, the others are free text; the encoding of untouched pairs is kept."""
    if not text:
        return text
    out = []
    for pair in text.split(separator):
        raw_key, eq, raw_value = pair.partition("=")
        key, value = unquote(raw_key.replace("+", " ")), unquote(raw_value.replace("+", " "))
        new = rw.secret(value) if detect.is_credential_key(key) and value else rw.text(value)
        out.append(pair if new == value else f"{raw_key}{eq}{quote(new, safe='')}")
    return separator.join(out)


def jwt(rw: Values, value: str) -> str:
    """header.claims.signature: the claims are sanitized as a JSON document, the signature is
    replaced by a PAGETAPE one of the same length."""
    header, claims, signature = value.split(".", 2)
    try:
        decoded = json.loads(_b64url_decode(claims))
    except (ValueError, binascii.Error):
        decoded = None
    if isinstance(decoded, dict):
        clean = rw.document(decoded)
        encoded = json.dumps(clean, separators=(",", ":")).encode()
        claims = base64.urlsafe_b64encode(encoded).decode().rstrip("=")
    mark = marks.FAKE_MARK
    fake_signature = (
        mark + rw.pseudo.word(signature)[len(mark) :] if len(signature) > len(mark) else mark
    )
    return f"{header}.{claims}.{fake_signature}"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_document(rw: Values, value: str) -> str | None:
    """A JSON object in a string (an IAM policy, plain or URL-encoded as IAM returns it):
    sanitized as a document and encoded again the same way; None if VALUE is not one."""
    encoded = value.startswith("%7B") or value.startswith("%7b")
    text = unquote(value) if encoded else value
    if not text.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    clean = rw.document(doc)
    if "\n" in text:
        dumped = json.dumps(clean, indent=2, ensure_ascii=False)
    elif ": " in text or ", " in text:
        dumped = json.dumps(clean, ensure_ascii=False)
    else:
        dumped = json.dumps(clean, separators=(",", ":"), ensure_ascii=False)
    return quote(dumped, safe="") if encoded else dumped


def base64_runs(rw: Values, text: str) -> str:
    """Base64 runs that decode to readable text holding something identifying (an email, an
    account id) are decoded, sanitized and encoded again."""

    def replace(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) % 4:
            return run
        try:
            decoded = base64.b64decode(run, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return run
        if not _PRINTABLE.match(decoded) or not any(True for _ in detect.scan(decoded)):
            return run
        clean = rw.text(decoded)
        return base64.b64encode(clean.encode()).decode() if clean != decoded else run

    return _BASE64_RUN.sub(replace, text)


def base64_document(word: str) -> str | None:
    """The lines of text WORD encodes in base64 (IAM's credential report, EC2 user data), or
    None: a run that decodes to bytes, or to one line (`user:pass`), is no document and stays
    one opaque word."""
    if len(word) < 16 or len(word) % 4 or not _BASE64_RUN.fullmatch(word):
        return None
    try:
        decoded = base64.b64decode(word, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if "\n" in decoded.strip() and _PRINTABLE.match(decoded) else None


def base64_encoded(text: str, original: str) -> str:
    """TEXT in base64 again; ORIGINAL when nothing in it changed."""
    encoded = base64.b64encode(text.encode()).decode()
    return original if base64.b64decode(original).decode() == text else encoded


def private_key(rw: Values, value: str) -> str:
    """A PEM block: its body replaced, the armour kept."""
    lines = value.split("\n")
    if len(lines) < 3:
        return f"-----BEGIN PRIVATE KEY-----{marks.FAKE_MARK}-----END PRIVATE KEY-----"
    body = [marks.FAKE_MARK + rw.pseudo.word(line)[len(marks.FAKE_MARK) :] for line in lines[1:-1]]
    return "\n".join([lines[0], *body, lines[-1]])


def walk_document(rw: Values, value: Any, key: str | None = None) -> Any:
    """A JSON document with no model (policy, claims, unmodelled members): keys are kept when
    they are plain words, values are free text, values under secret-looking keys are secrets."""
    if isinstance(value, dict):
        return {rw.key(k): walk_document(rw, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [walk_document(rw, v, key) for v in value]
    if isinstance(value, str):
        if key is not None and detect.is_credential_key(key) and value:
            return rw.secret(value)
        if key is not None and detect.is_personal_key(key):
            return rw.birth_date(value)
        return rw.text(value)
    if isinstance(value, int) and not isinstance(value, bool) and 10**11 <= value < 10**12:
        # Twelve digits written as a JSON number (a Step Functions output's "account"): the
        # detector reads it as text does, and the fake stays a number.
        digits = str(value)
        if detect.fullmatch(digits, rw.disabled) == "account_id":
            return int(rw.detected("account_id", digits))
    return value


def plain_key(key: str) -> bool:
    return (
        bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_:.-]{0,63}", key)) and detect.fullmatch(key) is None
    )
