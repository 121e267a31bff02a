"""Sanitization of captured exchanges before anything touches disk.

Strings are classified by where they sit in the botocore model (token, enum, identifier, free
text), then rewritten by the named rules of `pagetape.rules`. The rewrite runs twice: the first
pass learns every identifier, so free text anywhere in the cassette (even on an earlier page)
has the names of later pages replaced too. Values this sanitizer (or an earlier run with the
same cassette) produced are left alone, so sanitizing is idempotent.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from pagetape import codec, rules
from pagetape.cassette import Interaction, Request, Response
from pagetape.errors import LeakError
from pagetape.pseudonym import UUID_RE, Pseudonymizer
from pagetape.specs import HintKind

if TYPE_CHECKING:
    import botocore.model

# Request headers worth keeping: they route the call and are part of the replay key.
REQUEST_HEADERS = frozenset({"content-type", "x-amz-target"})
# Response headers botocore's parsers read for every protocol.
RESPONSE_HEADERS = frozenset({"content-type", "x-amzn-errortype", "x-amzn-query-error"})
IDENT_MEMBER_RE = re.compile(
    r"(Name|name|Id|ID|id|Arn|ARN|arn|By|Path|path|Uri|URI|uri|Url|URL|url|Bucket|bucket|"
    r"Email|email|Owner|owner|Principal|principal|Account|account|Role|role|Key|Prefix)s?$"
)
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?|true|false")
ACCOUNT_RUN = re.compile(r"(?<!\d)(\d{12})(?!\d)")
IAM_PRINCIPALS = frozenset({"role", "user", "group", "instance-profile", "assumed-role"})
_TRAIL = ".,;:)]}'\""
# A word starts after a non-alphanumeric character or right after a percent-escape (%2F).
_BEFORE = r"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))"
MIN_KNOWN_LEN = 3


@dataclass
class RawExchange:
    """One captured HTTP exchange, still holding real values."""

    service: str
    operation: str
    method: str
    path: str
    query: list[tuple[str, str]]
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


@dataclass
class _OpInfo:
    op: botocore.model.OperationModel | None
    tokens: frozenset[str] = field(default_factory=frozenset)
    hints: Mapping[str, HintKind] = field(default_factory=dict)


class Sanitizer:
    """Rewrites exchanges with keyed pseudonyms; remembers what it replaced, by which rule."""

    def __init__(
        self,
        secret: bytes,
        disabled: Iterable[str] = (),
        first_token: int = 1,
        known_fakes: Iterable[str] = (),
    ) -> None:
        self.disabled = frozenset(disabled)
        rules.check_names(set(self.disabled))
        self.pseudo = Pseudonymizer(secret, first_token, known_fakes)
        self.stats: Counter[str] = Counter()
        self._detect = rules.detector(self.disabled)
        self._known: dict[str, None] = {}
        self._known_re: re.Pattern[str] | None = None
        self._rules: dict[str, str] = {}  # original -> the rule that replaced it first
        self._infos: dict[tuple[str, str], _OpInfo] = {}
        # Token values a paginator reads out of the data, with the member they come from.
        self._data_tokens: dict[str, tuple[str, botocore.model.Shape | None, _OpInfo]] = {}

    # -- public -------------------------------------------------------------------------------

    def sanitize(
        self,
        exchanges: list[RawExchange],
        params: Mapping[str, Any] | None = None,
        service: str = "",
        operation: str = "",
    ) -> tuple[list[Interaction], dict[str, Any]]:
        """Sanitize every exchange (and the user's parameters) consistently, in two passes."""
        for x in exchanges:
            self._learn_data_tokens(x)
        for _ in range(2):
            self.stats.clear()
            self._known_re = None
            out = [self._exchange(x) for x in exchanges]
            clean_params = self._params(service, operation, params or {}) if operation else {}
        return out, clean_params

    def text(self, value: str) -> str:
        """Sanitize free text (an error message) with everything learnt so far."""
        return self._text(value)

    def fakes(self) -> list[str]:
        """Every pseudonym produced, sorted: stored in the cassette for `verify` and re-runs."""
        return self.pseudo.fakes()

    def check_leaks(self, data: bytes) -> None:
        """Search the written bytes for every replaced original, plain and encoded; a hit aborts.

        Plain and URL-encoded forms must stand alone (not inside a longer word: `fraud` inside
        `frauddetector` is not a leak); base64 forms are searched as substrings."""
        text = data.decode("utf-8", errors="replace")
        for original, fake in self.pseudo.replaced.items():
            if original == fake or not _identifying(original):
                continue
            for form, needle in _encodings(original):
                if form.startswith("base64"):
                    hit = needle in text
                else:
                    hit = needle in text and _standalone(needle).search(text) is not None
                if hit:
                    rule = self._rules.get(original, "token")
                    off = f" (rules switched off: {', '.join(sorted(self.disabled))})"
                    raise LeakError(
                        f"a value the {rule!r} rule replaced still appears elsewhere ({form}), "
                        f"so nothing was written{off if self.disabled else ''}"
                    )

    # -- exchanges ----------------------------------------------------------------------------

    def _on(self, rule: str) -> bool:
        return rule not in self.disabled

    def _info(self, service: str, operation: str) -> _OpInfo:
        """The operation's model, token members and the service plugin's hints (cached)."""
        cached = self._infos.get((service, operation))
        if cached is not None:
            return cached
        from pagetape.specs import botocore_session, registry, token_names

        try:
            model = botocore_session().get_service_model(service)
        except Exception:
            model = None
        op = (
            model.operation_model(operation)
            if model and operation in model.operation_names
            else None
        )
        tokens_in, tokens_out = token_names(service, operation)
        info = _OpInfo(op, tokens_in | tokens_out, registry().hints(service))
        self._infos[(service, operation)] = info
        return info

    def _learn_data_tokens(self, x: RawExchange) -> None:
        """Find output tokens that point into the data (`NextMarker || Contents[-1].Key`): the
        next request must carry that value faked as the data is, not as a token."""
        from pagetape.chain import operation, search

        found = operation(x.service, x.operation) if 200 <= x.status < 300 else None
        if found is None:
            return
        op, spec = found
        if all(t.isidentifier() for t in spec.output_token):
            return
        info = self._info(x.service, x.operation)
        try:
            parsed = codec.parse_response(op, x.status, dict(x.response_headers), x.response_body)
        except Exception:
            return
        for expression in spec.output_token:
            for alternative in expression.split("||"):
                path = alternative.strip()
                value = search(path, parsed)
                if not value:
                    continue
                name, shape = _path_member(op.output_shape, path)
                if isinstance(value, str) and name is not None and name not in info.tokens:
                    self._data_tokens[value] = (name, shape, info)
                break

    def _exchange(self, x: RawExchange) -> Interaction:
        info = self._info(x.service, x.operation)
        in_shape = info.op.input_shape if info.op else None
        out_shape = info.op.output_shape if info.op else None
        url = self._on("url")
        request = Request(
            method=x.method,
            path=self._path(x.path, info) if url else x.path,
            query=[(k, self._query_value(k, v, in_shape, info) if url else v) for k, v in x.query],
            headers=self._headers(x.request_headers, REQUEST_HEADERS, None, info),
            body=self._body(x.request_body, x.request_headers, in_shape, info, request=True),
        )
        ok = 200 <= x.status < 300
        response = Response(
            status=x.status,
            headers=self._headers(x.response_headers, RESPONSE_HEADERS, out_shape, info),
            body=self._body(x.response_body, x.response_headers, out_shape if ok else None, info),
        )
        return Interaction(operation=x.operation, request=request, response=response)

    def _headers(
        self,
        headers: Mapping[str, str],
        allowed: frozenset[str],
        shape: botocore.model.Shape | None,
        info: _OpInfo,
    ) -> dict[str, str]:
        if not self._on("headers"):
            return {k.lower(): v for k, v in headers.items()}
        bound: dict[str, tuple[str, botocore.model.Shape]] = {}
        if shape is not None and shape.type_name == "structure":
            for name, member in shape.members.items():
                if member.serialization.get("location") == "header":
                    bound[member.serialization.get("name", name).lower()] = (name, member)
        out: dict[str, str] = {}
        for key, value in headers.items():
            low = key.lower()
            if low in allowed:
                out[low] = value
            elif low in bound:
                name, member = bound[low]
                out[low] = self._string(value, self._classify(name, member, info))
            else:
                self.stats["headers"] += 1
        return out

    def _path(self, path: str, info: _OpInfo) -> str:
        labels: dict[int, str] = {}
        if info.op is not None:
            template = info.op.http.get("requestUri", "/").split("?")[0].split("/")
            for i, part in enumerate(template):
                if part.startswith("{") and part.endswith("}"):
                    labels[i] = part.strip("{}+")
        in_shape = info.op.input_shape if info.op else None
        out: list[str] = []
        for i, seg in enumerate(path.split("/")):
            if not seg:
                out.append(seg)
                continue
            value = unquote(seg)
            if i in labels:
                member = _member_for(in_shape, labels[i], "uri")
                kind = self._classify(labels[i], member, info) if member else "name"
                new = self._string(value, kind)
            else:
                new = self._text(value)
            out.append(quote(new, safe="~@!$&'()*+,;=:") if new != value else seg)
        return "/".join(out)

    def _query_value(
        self, key: str, value: str, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> str:
        member_name, member = _query_member(shape, key)
        return self._string(value, self._classify(member_name or key, member, info))

    def _form_value(
        self, key: str, value: str, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> str:
        """A query/ec2 form field: `Filter.1.Value.1` is classified by the member it reaches."""
        if key in ("Action", "Version"):
            return value
        member_name, member = _form_member(shape, key)
        return self._string(value, self._classify(member_name or key, member, info))

    def _body(
        self,
        raw: bytes,
        headers: Mapping[str, str],
        shape: botocore.model.Shape | None,
        info: _OpInfo,
        request: bool = False,
    ) -> Any:
        ctype = codec.content_type(headers)
        data = codec.decode(raw, ctype)
        if data is None or codec.is_marker(data):
            return data
        if not isinstance(data, str):
            return self._walk(data, shape, None, info)
        if request and "x-www-form-urlencoded" in ctype:
            pairs = parse_qsl(data, keep_blank_values=True)
            return urlencode([(k, self._form_value(k, v, shape, info)) for k, v in pairs])
        if data.lstrip().startswith("<"):
            protocol = codec.wire_protocol(info.op.service_model, ctype) if info.op else ""
            try:
                return codec.rewrite_xml(
                    data, shape, protocol, lambda n, s, v: self._leaf(n, s, v, info)
                )
            except (ValueError, SyntaxError):  # not XML after all (ParseError is a SyntaxError)
                pass
        return self._text(data)

    def _leaf(
        self, name: str | None, shape: botocore.model.Shape | None, value: str, info: _OpInfo
    ) -> str:
        """An XML leaf or attribute, classified by the member it binds to (S3's <Key>, EC2's
        <ownerId>); one the model does not name is classified by its tag, and a bare number
        there is only checked for account ids."""
        if shape is None and _SCALAR.fullmatch(value):
            return self._text(value)
        return self._string(value, self._classify(name, shape, info))

    def _params(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        info = self._info(service, operation)
        shape = info.op.input_shape if info.op else None
        jsonable = json.loads(json.dumps(params, default=_iso))
        result: dict[str, Any] = self._walk(jsonable, shape, None, info)
        return result

    # -- classification and values ------------------------------------------------------------

    def _classify(
        self, member_name: str | None, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> HintKind:
        if (
            member_name in info.tokens
            and (shape is None or shape.type_name == "string")
            and not getattr(shape, "enum", None)
        ):
            return "token"  # numeric, map and enum tokens are data, linked by consistency
        if member_name and member_name in info.hints:
            return info.hints[member_name]
        if shape is not None and (
            getattr(shape, "enum", None)
            or shape.type_name in ("timestamp", "boolean", "integer", "long", "float", "double")
        ):
            return "keep"
        if member_name and IDENT_MEMBER_RE.search(member_name):
            return "name"
        return "free_text"

    def _walk(
        self, value: Any, shape: botocore.model.Shape | None, name: str | None, info: _OpInfo
    ) -> Any:
        if codec.is_marker(value):  # CBOR bytes and timestamps
            return value
        if isinstance(value, dict):
            if shape is not None and shape.type_name == "map":
                value_shape = shape.value
                return {
                    self._text(k): self._walk(v, value_shape, name, info) for k, v in value.items()
                }
            members = shape.members if shape is not None and shape.type_name == "structure" else {}
            # Keys the model does not name (error bodies, newer fields, non-AWS traffic) may be
            # data themselves: they go through the free-text rules.
            return {
                (k if k in members else self._text(k)): self._walk(v, members.get(k), k, info)
                for k, v in value.items()
            }
        if isinstance(value, list):
            member = shape.member if shape is not None and shape.type_name == "list" else None
            return [self._walk(v, member, name, info) for v in value]
        if isinstance(value, str):
            return self._string(value, self._classify(name, shape, info))
        return value

    def _string(self, value: str, kind: HintKind) -> str:
        if kind == "keep" or not value:
            return value
        if kind == "token" and value in self._data_tokens:
            # The token a paginator takes from the data (S3's Contents[-1].Key): faked exactly
            # as that data is, so the chain stays linked.
            member_name, shape, owner = self._data_tokens[value]
            kind = self._classify(member_name, shape, owner)
        if kind == "token":
            return self._token(value) if self._on("token") else value
        if kind == "free_text":
            return self._text(value)
        whole = self._detect.fullmatch(value) if self._detect else None
        if whole and whole.lastgroup:
            return self._detected(whole.lastgroup, value)
        rule = "account_id" if kind == "account_id" else "name"
        if not self._on(rule):
            return self._text(value)
        if "/" in value or " " in value:
            # A path or a name with spaces: each part is a name of its own, so the parts stay
            # linked to the same parts inside ARNs ("/aws/lambda/fn" and "log-group:/aws/...").
            parts = re.split(r"([/ ]+)", value)

            def fake(part: str) -> str:
                return self._string(part, kind)

            return "".join(
                p if i % 2 or not p else _keep_extension(p, fake) for i, p in enumerate(parts)
            )
        return self._counted(rule, value, self._name(value, rule))

    def _counted(self, rule: str, before: str, after: str) -> str:
        """Stats count values a rule changed, so sanitizing a clean cassette counts nothing."""
        if after != before:
            self.stats[rule] += 1
        return after

    def _token(self, value: str) -> str:
        """Tokens are replaced whole; a token that is itself a name (DynamoDB's table-name
        tokens) is also learnt, so the name is replaced wherever else it appears."""
        self._rules.setdefault(value, "token")
        self._learn(value)
        return self._counted("token", value, self.pseudo.token(value))

    def _learn(self, value: str) -> None:
        if (
            len(value) >= MIN_KNOWN_LEN
            and value not in self._known
            and not self.pseudo.is_fake(value)
        ):
            self._known[value] = None
            self._known_re = None

    def _name(self, value: str, rule: str) -> str:
        """The one way a name becomes a fake: account ids inside it are faked as account ids,
        so the account in a bucket name matches the account in the ARNs."""
        self._rules.setdefault(value, rule)
        self._learn(value)
        splittable = len(value) > 12 and not UUID_RE.match(value)
        if self._on("account_id") and splittable and ACCOUNT_RUN.search(value):
            parts = ACCOUNT_RUN.split(value)
            faked = [
                self._name(part, "account_id") if i % 2 else self.pseudo.word(part)
                for i, part in enumerate(parts)
            ]
            return self.pseudo.assign(value, "".join(faked))
        return self.pseudo.word(value)

    def _detected(self, kind: str, value: str) -> str:
        self._rules.setdefault(value, kind)
        return self._counted(kind, value, self._rewrite(kind, value))

    def _rewrite(self, kind: str, value: str) -> str:
        if kind == "arn":
            return self._arn(value)
        if kind == "s3_uri":
            return self._s3(value)
        if kind == "email":
            local, _, domain = value.partition("@")
            labels = domain.split(".")
            fakes = [self._name(label, kind) for label in labels[:-1]]
            return f"{self._name(local, kind)}@" + ".".join([*fakes, labels[-1]])
        if kind == "access_key_id":
            return self.pseudo.access_key(value)
        if kind == "ip_address":
            return self.pseudo.ipv4(value)
        return self._name(value, kind)  # uuid, account_id, secret_key: format kept by the word rule

    def _arn(self, value: str) -> str:
        parts = value.split(":", 5)
        if len(parts) < 6:
            return self._name(value, "arn")
        prefix, partition, service, region, account, resource = parts
        self.pseudo.keep(service)
        if account and self._on("account_id"):
            account = self._name(account, "arn")
        if service == "s3" and self._on("s3_uri"):  # arn:aws:s3:::bucket/key: no resource type
            resource = self._s3_path(resource)
            return ":".join([prefix, partition, service, region, account, resource])
        segments = re.split(r"([/:])", resource)
        keep_first = len(segments) > 1
        rule = "iam_principal" if service == "iam" and segments[0] in IAM_PRINCIPALS else "arn"
        if self._on(rule):
            for i in range(0, len(segments), 2):
                if not (i == 0 and keep_first):
                    segments[i] = self._segment(segments[i], rule)
        return ":".join([prefix, partition, service, region, account, "".join(segments)])

    def _segment(self, value: str, rule: str) -> str:
        """One part of an ARN: an email or UUID inside it is faked as such, the rest as a name."""
        whole = self._detect.fullmatch(value) if self._detect else None
        if whole and whole.lastgroup and whole.lastgroup not in ("arn", "s3_uri"):
            return self._detected(whole.lastgroup, value)
        return self._name(value, rule)

    def _s3(self, value: str) -> str:
        return "s3://" + self._s3_path(value[len("s3://") :])

    def _s3_path(self, path: str) -> str:
        """bucket/key/parts: the bucket and every key segment with a letter are learnt as names
        (so they are replaced in free text too); file extensions and date-like parts keep their
        shape."""
        bucket, slash, key = path.partition("/")
        segments = (
            [_keep_extension(seg, self._key_segment) for seg in key.split("/")] if key else []
        )
        return f"{self._name(bucket, 's3_uri')}{slash}{'/'.join(segments)}"

    def _key_segment(self, segment: str) -> str:
        if any(ch.isalpha() for ch in segment):
            return self._name(segment, "s3_uri")
        return self.pseudo.word(segment)

    def _text(self, text: str) -> str:
        """Free text: replace every identifier seen anywhere, then every detected value. Known
        names go first so a bucket that holds an account id is replaced whole, as in its field."""
        known = self._known_pattern() if self._on("free_text") else None
        if known is not None:

            def known_sub(m: re.Match[str]) -> str:
                return self._counted("free_text", m.group(0), self._name(m.group(0), "free_text"))

            text = known.sub(known_sub, text)

        def replace(m: re.Match[str]) -> str:
            kind = m.lastgroup or "name"
            found = m.group(0)
            trail = ""
            if kind in ("arn", "s3_uri"):
                stripped = found.rstrip(_TRAIL)
                trail, found = found[len(stripped) :], stripped
            return self._detected(kind, found) + trail

        if self._detect is not None:
            text = self._detect.sub(replace, text)
        return text

    def _known_pattern(self) -> re.Pattern[str] | None:
        if self._known_re is None and self._known:
            names = sorted(self._known, key=len, reverse=True)
            alternation = "|".join(re.escape(n) for n in names)
            self._known_re = re.compile(rf"{_BEFORE}(?:{alternation})(?![A-Za-z0-9])")
        return self._known_re


def _standalone(needle: str) -> re.Pattern[str]:
    return re.compile(rf"{_BEFORE}{re.escape(needle)}(?![A-Za-z0-9])")


def _identifying(value: str) -> bool:
    """Worth searching for: short values and digit runs shorter than an account id (dates,
    counters) also occur in kept fields such as timestamps, and identify nothing."""
    if len(value) < 4:
        return False
    return any(ch.isalpha() for ch in value) or sum(ch.isdigit() for ch in value) >= 12


def _keep_extension(segment: str, fake: Any) -> str:
    stem, dot, ext = segment.rpartition(".")
    if dot and stem and 1 <= len(ext) <= 5 and ext.isalnum():
        return f"{fake(stem)}.{ext}"
    return str(fake(segment))


def _member_for(
    shape: botocore.model.Shape | None, wire_name: str, location: str
) -> botocore.model.Shape | None:
    if shape is None or shape.type_name != "structure":
        return None
    for name, member in shape.members.items():
        serialization = member.serialization
        if (
            serialization.get("location") == location
            and serialization.get("name", name) == wire_name
        ):
            return member
    return None


def _path_member(
    shape: botocore.model.Shape | None, path: str
) -> tuple[str | None, botocore.model.Shape | None]:
    """The member a simple JMESPath (`StreamDescription.Shards[-1].ShardId`) ends at."""
    name: str | None = None
    for part in path.split("."):
        field_name = part.split("[")[0]
        if shape is None or shape.type_name != "structure" or field_name not in shape.members:
            return (field_name or None), None
        name, shape = field_name, shape.members[field_name]
        if "[" in part and shape.type_name == "list":
            shape = shape.member
    return name, shape


def _form_member(
    shape: botocore.model.Shape | None, key: str
) -> tuple[str | None, botocore.model.Shape | None]:
    """The member a query/ec2 form key reaches: `Filter.1.Name`, `Tags.member.2.Value`."""
    name: str | None = None
    parts = key.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if shape is None:
            return name or key, None
        if shape.type_name == "structure":
            found = None
            for member_name, member in shape.members.items():
                ser = member.serialization
                wire = ser.get("name", member_name)
                if part in (member_name, wire, ser.get("queryName"), wire[:1].upper() + wire[1:]):
                    found = (member_name, member)
                    break
            if found is None:
                return part, None
            name, shape = found
        elif shape.type_name == "list":
            if part in ("member", "item") or part.isdigit():
                if part.isdigit():
                    shape = shape.member
                i += 1
                continue
            shape = shape.member  # flattened list: the index comes next
            continue
        elif shape.type_name == "map":
            if part == "entry" or part.isdigit():
                i += 1
                continue
            shape = shape.key if part == "key" else shape.value
            name = name if part != "key" else None
        else:
            return name, shape
        i += 1
    return name, shape


def _query_member(
    shape: botocore.model.Shape | None, key: str
) -> tuple[str | None, botocore.model.Shape | None]:
    if shape is None or shape.type_name != "structure":
        return None, None
    for name, member in shape.members.items():
        if member.serialization.get("name", name) == key:
            return name, member
    return None, None


def _iso(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    if iso is None:
        raise TypeError(f"cannot store {type(value).__name__} in a cassette")
    return str(iso())


def _encodings(value: str) -> list[tuple[str, str]]:
    raw = value.encode()
    b64 = base64.b64encode(raw).decode().rstrip("=")
    b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    # Only the stable prefix of base64 is searchable: the last group depends on what follows.
    cut = len(b64) - len(b64) % 4
    forms = [("plain", value), ("URL-encoded", quote(value, safe=""))]
    if cut >= 8:
        forms += [("base64", b64[:cut]), ("base64url", b64url[:cut])]
    return forms
