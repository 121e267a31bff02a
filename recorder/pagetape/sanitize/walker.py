"""Sanitization of captured exchanges before anything touches disk: the exchange walker.

Strings are classified by where they sit in the botocore model (token, enum, identifier,
secret, free text), then rewritten by `pagetape.sanitize.rewrite` under the named rules of
`pagetape.sanitize.rules`. The walk runs twice: the first pass learns every identifying name, so free
text anywhere in the cassette (even on an earlier page) has the names of later pages replaced
too. Values this sanitizer (or an earlier run with the same cassette) produced are left alone,
so sanitizing is idempotent. What it replaced is proven gone by `pagetape.sanitize.proof`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode

import msgspec

from pagetape.aws import catalogue, shapes
from pagetape.aws.specs import (
    HintKind,
    botocore_session,
    operation_model,
    registry,
    token_names,
)
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.sanitize import detect, proof, vocabulary
from pagetape.sanitize.keep import KeepPaths
from pagetape.sanitize.pseudonym import TOKEN_RE
from pagetape.sanitize.rewrite import Rewriter
from pagetape.wire import chain, codec, eventstream, match

if TYPE_CHECKING:
    import botocore.model

# Request headers worth keeping: they route the call and are part of the replay key.
REQUEST_HEADERS = frozenset({"content-type", "x-amz-target"})
# Response headers botocore's parsers read for every protocol.
RESPONSE_HEADERS = frozenset({"content-type", "x-amzn-errortype", "x-amzn-query-error"})
IDENT_MEMBER_RE = re.compile(
    r"(Name|name|Id|ID|id|Arn|ARN|arn|By|Path|path|Uri|URI|uri|Url|URL|url|Bucket|bucket|"
    r"Email|email|Owner|owner|Principal|principal|Account|account|Role|role|Key|Prefix|"
    r"DnsName|Address|Host|host|Endpoint|endpoint)s?$"
)
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?|true|false")
SIGV2_FIELDS = frozenset(
    {"AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp",
     "SecurityToken"}
)  # fmt: skip
_SIGNATURE = re.compile(r"(Signature=)([0-9a-fA-F]+)")
# The members of a key/value pair (tags, dimensions, CloudFormation and RDS parameters, ECS
# environment): the value's treatment follows what the key says (DbPassword: a secret).
_PAIRS = catalogue.pairs()
_PAIR_KEYS, _PAIR_VALUES = _PAIRS.keys, _PAIRS.values
# Where an error body (no model shape) names the error: the code is AWS's own vocabulary.
ERROR_CODE_MEMBERS = catalogue.error_code_members()
_ERROR_CODE = re.compile(r"(?:[\w.]+#)?[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)*(?::[\w/.:-]*)?")


# The service of an exchange that is not an AWS call (a vcrpy cassette's other traffic).
NOT_AWS = "not-aws"


@dataclass
class _OpInfo:
    op: botocore.model.OperationModel | None
    tokens: frozenset[str] = field(default_factory=frozenset)
    hints: Mapping[str, HintKind] = field(default_factory=dict)
    token_min: int = 0  # fake tokens must satisfy the input token's minimum length
    encoded: frozenset[str] = frozenset()  # members that come URL-encoded (S3 keys)


class Sanitizer:
    """Walks exchanges with the model; the values themselves are rewritten by a Rewriter."""

    def __init__(
        self,
        secret: bytes,
        disabled: Iterable[str] = (),
        first_token: int = 1,
        known_fakes: Iterable[str] = (),
        keep_paths: Iterable[str] = (),
    ) -> None:
        self.values = Rewriter(secret, disabled, first_token, known_fakes)
        self.keep = KeepPaths.of(keep_paths)
        self._at: list[str] = []  # the member path of the value being walked (for keep paths)
        self._owned = False  # walking an AWS-owned resource (a managed policy)
        self.disabled = self.values.disabled
        self._infos: dict[tuple[str, str], _OpInfo] = {}
        # Token values a paginator reads out of the data, with the member they come from.
        self._data_tokens: dict[str, tuple[str, botocore.model.Shape | None, _OpInfo]] = {}
        self._token_min = 0  # the longest minimum length of the current operation's tokens

    # -- public -------------------------------------------------------------------------------

    @property
    def stats(self) -> Counter[str]:
        return self.values.stats

    def sanitize(
        self,
        exchanges: list[Interaction],
        params: Mapping[str, Any] | None = None,
        service: str = "",
        operation: str = "",
    ) -> tuple[list[Interaction], dict[str, Any]]:
        """Sanitize every exchange (and the user's parameters) consistently, in two passes."""
        for x in exchanges:
            self._learn_data_tokens(x)
        for learning in (True, False):
            self.values.learning = learning
            self.values.stats.clear()
            if not learning:
                self.values.pseudo.forget_composites()
            out = [self._exchange(x) for x in exchanges]
            clean_params = self._params(service, operation, params or {}) if operation else {}
        return out, clean_params

    def text(self, value: str) -> str:
        """Sanitize free text (an error message) with everything learnt so far."""
        return self.values.text(value)

    def fakes(self) -> list[str]:
        """Every pseudonym produced, sorted: stored in the cassette for `verify` and re-runs."""
        return self.values.pseudo.fakes()

    def check_leaks(self, data: bytes) -> None:
        """Prove no identifying original survives in the encoded cassette DATA (any encoding);
        a hit raises LeakError naming the interaction, field path and rule."""
        proof.check(data, self.values)

    def _on(self, rule: str) -> bool:
        return self.values.on(rule)

    def _string(self, value: str, kind: HintKind | str) -> str:
        if kind == "birth_date":
            return self.values.birth_date(value)
        if kind == "token" and not value:
            return value  # an empty token ends a chain (Resource Groups Tagging's "")
        if kind == "token" and value not in self._data_tokens:
            return self.values.token(value, self._token_min) if self._on("token") else value
        if kind == "token" and value in self._data_tokens:
            # The token a paginator takes from the data (S3's Contents[-1].Key): faked exactly
            # as that data is, so the chain stays linked.
            member_name, shape, owner = self._data_tokens[value]
            kind = self._classify(member_name, shape, owner)
        return self.values.string(value, kind)

    def _text(self, value: str) -> str:
        return self.values.text(value)

    # -- exchanges ----------------------------------------------------------------------------

    def _info(self, service: str, operation: str) -> _OpInfo:
        """The operation's model, token members and the service plugin's hints (cached)."""
        cached = self._infos.get((service, operation))
        if cached is not None:
            return cached

        op = operation_model(service, operation)
        tokens_in, tokens_out = token_names(service, operation)
        minimum = 0
        if op is not None and op.input_shape is not None:
            for name in tokens_in:
                member = op.input_shape.members.get(name)
                if member is not None:
                    minimum = max(minimum, int(member.metadata.get("min", 0)))
        # Members whose value is AWS's own by what they mean (the catalogue) are kept.
        hints: dict[str, HintKind] = {m: "keep" for m in catalogue.aws_members(service)}
        hints.update(registry().hints(service))
        encoded = catalogue.encoded_members(service, operation)
        info = _OpInfo(op, tokens_in | tokens_out, hints, minimum, encoded)
        if op is not None:
            # The model's own member names (DBInstance, TopicArn) are structure wherever they
            # recur: an XML element, a query key, an attribute name, a word of an error message.
            self.values.public_names(_member_names(op.service_model.service_name))
        self._infos[(service, operation)] = info
        return info

    def _learn_data_tokens(self, x: Interaction) -> None:
        """Find output tokens that point into the data (`NextMarker || Contents[-1].Key`): the
        next request must carry that value faked as the data is, not as a token."""
        found = chain.operation(x.service, x.operation) if 200 <= x.response.status < 300 else None
        if found is None:
            return
        op, spec = found
        if all(t.isidentifier() for t in spec.output_token):
            return
        info = self._info(x.service or "", x.operation)
        try:
            parsed = codec.parse_response(
                op, x.response.status, dict(x.response.headers), x.response.body
            )
        except Exception:
            return
        for expression in spec.output_token:
            for alternative in expression.split("||"):
                path = alternative.strip()
                value = chain.search(path, parsed)
                if not value:
                    continue
                name, shape = chain.member_at(op.output_shape, path)
                if isinstance(value, str) and name is not None and name not in info.tokens:
                    self._data_tokens[value] = (name, shape, info)
                    if name in info.encoded:  # the next request carries it decoded
                        self._data_tokens[unquote_plus(value)] = (name, shape, info)
                break

    def _exchange(self, x: Interaction) -> Interaction:
        info = self._info(x.service or "", x.operation)
        self._token_min = info.token_min
        in_shape = info.op.input_shape if info.op else None
        out_shape = info.op.output_shape if info.op else None
        url = self._on("url")
        request = Request(
            method=x.request.method,
            path=self._path(x.request.path, info) if url else x.request.path,
            query=[
                (k, self._query_value(k, v, in_shape, info) if url else v)
                for k, v in x.request.query
            ],
            headers=self._headers(x.request.headers, REQUEST_HEADERS, None, info),
            body=self._body(x.request.body, x.request.headers, in_shape, info, request=True),
        )
        request.sanitized = match.marks(
            match.view(x.request),
            match.view(msgspec.structs.replace(request, headers=x.request.headers)),
            lambda v: isinstance(v, str) and TOKEN_RE.match(v) is not None,
        )
        ok = 200 <= x.response.status < 300
        response = Response(
            status=x.response.status,
            headers=self._headers(x.response.headers, RESPONSE_HEADERS, out_shape, info),
            body=self._body(x.response.body, x.response.headers, out_shape if ok else None, info),
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
            return {k.lower(): self._kept_header(k.lower(), v) for k, v in headers.items()}
        bound = shapes.by_wire(shape, "header")
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

    def _kept_header(self, key: str, value: str) -> str:
        """With the headers rule off, headers stay but credentials in them do not."""
        if key == "authorization":
            return _SIGNATURE.sub(
                lambda m: m.group(1) + self.values.secret(m.group(2)), self._text(value)
            )
        if detect.is_secret_key(key) or key in ("cookie", "set-cookie"):
            return self.values.secret(value)
        return value if key in REQUEST_HEADERS | RESPONSE_HEADERS else self.values.schema(value)

    def _path(self, path: str, info: _OpInfo) -> str:
        """URI labels (a greedy `{Key+}` spanning several segments included) are sanitized
        whole, by their member; literal segments of the template stay as they are."""
        template = info.op.http.get("requestUri", "/").partition("?")[0] if info.op else ""
        labels = codec.uri_labels(template, path) if template else {}
        in_shape = info.op.input_shape if info.op else None
        if labels:

            def label(m: re.Match[str]) -> str:
                name, greedy = m.group(1), bool(m.group(2))
                value = labels[name]
                member = shapes.located(in_shape, name, "uri")
                new = self._string(value, self._classify(name, member, info) if member else "name")
                return quote(new, safe="/~" if greedy else "~@!$&'()*+,;=:")

            rebuilt = re.sub(r"\{([A-Za-z0-9_]+)(\+)?\}", label, template.rstrip("/"))
            return rebuilt + ("/" if path.endswith("/") and not rebuilt.endswith("/") else "")
        out: list[str] = []
        for seg in path.split("/"):
            value = unquote(seg)
            new = self._text(value) if seg else seg
            out.append(quote(new, safe="~@!$&'()*+,;=:") if new != value else seg)
        return "/".join(out)

    def _query_value(
        self, key: str, value: str, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> str:
        member_name, member = shapes.query_member(shape, key)
        if member is None:
            # Not a member: a literal of the URI template (list-type=2, x-id) stays; anything
            # else (an endpoint URL's own query, presigned parameters) is a name or a secret.
            literal = info.op.http.get("requestUri", "").partition("?")[2] if info.op else ""
            if key in dict(parse_qsl(literal, keep_blank_values=True)) or key == "x-id":
                return value
            return self._string(value, "secret" if detect.is_secret_key(key) else "name")
        return self._string(value, self._classify(member_name, member, info))

    def _form_value(
        self, key: str, value: str, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> str:
        """A query/ec2 form field: `Filter.1.Value.1` is classified by the member it reaches."""
        if key in ("Action", "Version"):
            return value
        member_name, member = shapes.form_member(shape, key)
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
        if not request and shape is not None and info.op and info.op.has_event_stream_output:
            ctype = eventstream.CONTENT_TYPE  # by the model: S3 Select may label it otherwise
        data = codec.decode(raw, ctype)
        if eventstream.is_body(data):

            def walk(value: Any, member: botocore.model.Shape | None, name: str | None) -> Any:
                return self._walk(value, member, name, info)

            def xml(text: str, member: botocore.model.Shape | None) -> str:
                return self._xml(text, member, ctype, info)

            return eventstream.sanitize(data, info.op, walk, xml, self.values)
        if data is None or codec.is_marker(data):
            return data
        if not isinstance(data, str):
            if _blob_payload(shape):  # InvokeModel's body: the model's own JSON, no shape
                return self.values.document(data)
            return self._walk(data, shape, None, info)
        if request and "x-www-form-urlencoded" in ctype:
            pairs = parse_qsl(data, keep_blank_values=True)
            # SigV2 (SimpleDB) signs in the body: credentials, dropped like signing headers.
            kept = [(k, v) for k, v in pairs if k not in SIGV2_FIELDS or not self._on("headers")]
            self.stats["headers"] += len(pairs) - len(kept)
            fields = dict(kept)
            return urlencode(
                [
                    (k, self.values.schema(v))
                    if _form_pair_key(k, v, fields, shape)
                    else (k, self._form_value(k, v, shape, info))
                    for k, v in kept
                ]
            )
        if data.lstrip().startswith("<"):
            return self._xml(data, shape, ctype, info)
        return self._text(data)

    def _xml(self, data: str, shape: botocore.model.Shape | None, ctype: str, info: _OpInfo) -> str:
        """An XML body or event payload, each leaf by the member it binds to; text that is not
        XML after all goes to the text rules."""
        protocol = codec.wire_protocol(info.op.service_model, ctype) if info.op else ""
        try:
            return codec.rewrite_xml(
                data,
                shape,
                protocol,
                lambda leaf, v: self._leaf(leaf, v, info),
                vocabulary.xml_context,
            )
        except (ValueError, SyntaxError):  # not XML after all (ParseError is a SyntaxError)
            return self._text(data)

    def _leaf(self, leaf: codec.XmlLeaf, value: str, info: _OpInfo) -> str:
        """An XML leaf or attribute, classified by the member it binds to (S3's <Key>, EC2's
        <ownerId>); one the model does not name is classified by its tag, and a bare number
        there is only checked for account ids. A pair's key and value are read together, as
        the JSON walker reads them."""
        name, shape, siblings = leaf.name, leaf.shape, leaf.siblings
        if leaf.owned:
            return self.values.owned(value)
        if name and shape is not None:
            self.values.key(name)  # a member name is schema wherever it recurs, as in JSON
        if shape is None and _SCALAR.fullmatch(value):
            return self.values.schema(value)
        if siblings and _pair_key(name, value, siblings, leaf.container):
            return self.values.schema(value)
        if siblings and name in _PAIR_VALUES:
            pair_kind = self._pair_kind(siblings, info)
            kept = bool(self.keep) and pair_kind != "secret" and self.keep.matches(leaf.path)
            if pair_kind and kept:
                return self.values.keep(value)
            if pair_kind:
                return self._string(value, pair_kind)
        return self._value(value, name, shape, info, leaf.public, leaf.path)

    def _model_id(
        self, value: str, kind: str, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> catalogue.IdFormat | None:
        """The catalogue format of an id the model names (a RootId, a ParentId): faked in its
        format even where text alone could not tell it from a word (`r-abcd`)."""
        if kind != "name" or shape is None or info.op is None or not self._on("resource_id"):
            return None
        service = info.op.service_model.service_name
        fmt = catalogue.model_format(service, shape.name, shape.metadata.get("pattern"), value)
        return fmt if fmt is not None and self._on(fmt.rule) else None

    def _params(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        info = self._info(service, operation)
        shape = info.op.input_shape if info.op else None
        jsonable = json.loads(json.dumps(params, default=_iso))
        result: dict[str, Any] = self._walk(jsonable, shape, None, info)
        return result

    # -- classification and values ------------------------------------------------------------

    def _classify(
        self, member_name: str | None, shape: botocore.model.Shape | None, info: _OpInfo
    ) -> str:
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
        if member_name and detect.is_secret_key(member_name):
            return "secret"
        if member_name and IDENT_MEMBER_RE.search(member_name):
            return "name"
        return "free_text"

    def _walk(
        self,
        value: Any,
        shape: botocore.model.Shape | None,
        name: str | None,
        info: _OpInfo,
        public: bool = False,
    ) -> Any:
        """A decoded body beside its shape. PUBLIC: inside a metric of an AWS/ namespace, whose
        metric and dimension names are AWS's own (CPUUtilization, InstanceId)."""
        if codec.is_marker(value):  # CBOR bytes and timestamps
            return value
        if shape is not None and info.op is not None and _data_plane(info.op, shape):
            return self._data(value, shape)
        if isinstance(value, dict):
            return self._walk_dict(value, shape, name, info, public)
        if isinstance(value, list):
            member = shape.member if shape is not None and shape.type_name == "list" else None
            return [self._at_walk("[]", v, member, name, info, public) for v in value]
        if isinstance(value, str):
            return self._value(value, name, shape, info, public, self._at)
        return value

    def _value(
        self,
        value: str,
        name: str | None,
        shape: botocore.model.Shape | None,
        info: _OpInfo,
        public: bool,
        at: Sequence[str],
    ) -> str:
        """One string of a body, JSON or XML, by the member it binds to and its path AT."""
        if self._owned:
            return self.values.owned(value)
        if name in info.encoded and unquote_plus(value) != value:
            # URL-encoded by S3 (EncodingType=url, which botocore sends): sanitized as the
            # caller reads it, decoded, then encoded again with what was literal left literal.
            decoded = unquote_plus(value)
            clean = self._value(decoded, name, shape, _without_encoded(info), public, at)
            safe = "".join(sorted({ch for ch in value if not ch.isalnum() and ch not in "%+"}))
            return quote(clean, safe=safe)
        if shape is None and name in ERROR_CODE_MEMBERS and _ERROR_CODE.fullmatch(value):
            return self.values.public(value)  # AWS's own error code (an error body)
        kind = self._classify(name, shape, info)
        if public and kind == "name" and name in vocabulary.PUBLIC_NAME_MEMBERS:
            return self.values.public(value)
        if kind != "token" and shape is None and name and detect.is_secret_key(name):
            kind = "secret"
        if kind != "token" and name and detect.is_personal_key(name):
            kind = "birth_date"
        if kind == "free_text" and _listed_name(value, shape, at):
            kind = "name"  # a plain list of strings is a list of names (EKS clusters)
        if kind in ("name", "free_text") and _model_value(info, name, value):
            kind = "keep"
        if self.keep and kind not in ("secret", "token") and self.keep.matches(at):
            return self.values.keep(value)
        fmt = self._model_id(value, kind, shape, info)
        if fmt is not None:
            return self.values.detected(fmt.rule, value)
        return self._string(value, kind)

    def _at_walk(
        self,
        segment: str,
        value: Any,
        shape: botocore.model.Shape | None,
        name: str | None,
        info: _OpInfo,
        public: bool,
    ) -> Any:
        self._at.append(segment)
        try:
            return self._walk(value, shape, name, info, public)
        finally:
            self._at.pop()

    def _data(self, value: Any, shape: botocore.model.Shape | None) -> Any:
        """A data-plane value (a DynamoDB attribute value): every string is the customer's,
        faked whatever its words; map keys (attribute names) are schema; booleans and nulls
        stay."""
        if isinstance(value, str):
            if self.keep and self.keep.matches(self._at):
                return self.values.keep(value)
            if value in (getattr(shape, "enum", None) or ()):
                return self.values.string(value, "keep")  # ContactType PERSON: the model's own
            return self.values.data(value)
        if isinstance(value, list):
            member = shape.member if shape is not None and shape.type_name == "list" else None
            return [self._at_data("[]", v, member) for v in value]
        if not isinstance(value, dict):
            return value
        if shape is not None and shape.type_name == "map":
            return {
                self.values.key(k): self._birth_date(v)
                if detect.is_personal_key(k)
                else self._at_data(k, v, shape.value)
                for k, v in value.items()
            }
        members = shapes.by_wire(shape, names=True)
        return {
            k: self._at_data(k, v, members[k][1] if k in members else None)
            for k, v in value.items()
        }

    def _birth_date(self, value: Any) -> Any:
        """The value of a date-of-birth attribute or key, at any depth ({"S": "1984-07-23"})."""
        if isinstance(value, str):
            return self.values.birth_date(value)
        if isinstance(value, list):
            return [self._birth_date(v) for v in value]
        if isinstance(value, dict):
            return {k: self._birth_date(v) for k, v in value.items()}
        return value

    def _at_data(self, segment: str, value: Any, shape: botocore.model.Shape | None) -> Any:
        self._at.append(segment)
        try:
            return self._data(value, shape)
        finally:
            self._at.pop()

    def _pair_kind(self, value: Mapping[str, Any], info: _OpInfo) -> str | None:
        """How to treat the Value of a key/value structure (tags, dimensions, SSM parameters),
        by what its key says; None when VALUE is no such pair. A dimension ({Name, Value})
        always holds data (an instance id, a host); a tag's value is a name when its key says
        so (Name, Owner, Email) and free text otherwise (Environment=production)."""
        if not any(isinstance(value.get(k), str) for k in _PAIR_VALUES):
            return None
        if value.get("Type") == "SecureString":
            return "secret"
        key = next((value[k] for k in _PAIR_KEYS if isinstance(value.get(k), str)), None)
        if key is None:
            return None
        if detect.is_credential_key(key):
            return "secret"
        if detect.is_personal_key(key):
            return "birth_date"  # a Cognito user's birthdate attribute
        dimension = any(isinstance(value.get(k), str) for k in ("Name", "name"))
        return "name" if dimension or IDENT_MEMBER_RE.search(key) else None

    def _walk_dict(
        self,
        value: dict[str, Any],
        shape: botocore.model.Shape | None,
        name: str | None,
        info: _OpInfo,
        public: bool,
    ) -> dict[str, Any]:
        if shape is not None and shape.type_name == "map":
            # Map keys are data (environment variable names, tag keys); a secret-looking key
            # makes its value a secret (DB_PASSWORD).
            out: dict[str, Any] = {}
            for k, v in value.items():
                if isinstance(v, str) and detect.is_credential_key(k):
                    out[self.values.key(k)] = self.values.secret(v)
                elif detect.is_personal_key(k):
                    out[self.values.key(k)] = self._birth_date(v)
                else:
                    out[self.values.key(k)] = self._at_walk(k, v, shape.value, name, info, public)
            return out
        members = shapes.by_wire(shape, names=True)
        public = public or vocabulary.public_context(value.items())
        if not self._owned and vocabulary.aws_owned(value.items()):
            self._owned = True  # a managed policy: all AWS's own, its documents included
            try:
                return self._walk_dict(value, shape, name, info, public)
            finally:
                self._owned = False
        pair_kind = self._pair_kind(value, info)
        result: dict[str, Any] = {}
        for k, v in value.items():
            if pair_kind and k in _PAIR_VALUES and isinstance(v, str):
                # A tag or dimension: {"Key": "db-password", "Value": ...} is a secret,
                # {"Name": "InstanceId", "Value": "i-0abc..."} a name.
                kept = pair_kind != "secret" and self.keep.matches([*self._at, k])
                result[k] = self.values.keep(v) if kept else self._string(v, pair_kind)
            elif _pair_key(k, v, value, shape):
                # The key of a tag, dimension or filter (Name, Environment, tag:Owner, vpc-id)
                # is vocabulary: only what a detector finds in it is replaced.
                result[k] = self.values.schema(v)
            elif k in members:
                member_name, member = members[k]
                self.values.key(k)  # a member name is schema wherever it recurs (result_key)
                result[k] = self._at_walk(k, v, member, member_name, info, public)
            else:
                # Keys the model does not name (error bodies, newer fields, documents) may be
                # data themselves: plain words stay, anything else goes through free text.
                key = self.values.key(k)
                result[key] = self._at_walk(k, v, None, k, info, public)
        return result


def _without_encoded(info: _OpInfo) -> _OpInfo:
    return _OpInfo(info.op, info.tokens, info.hints, info.token_min)


def _model_value(info: _OpInfo, member_name: str | None, value: str) -> bool:
    """The model says what VALUE is though its member is typed plain String: a value of one of
    the service's enums (Cost Optimization Hub's actionType Rightsize is its ActionType enum),
    or a version number in a member named for one (SSM's AgentVersion 2.3.117.0 is no address)."""
    if vocabulary.is_version(member_name, value):
        return True
    return info.op is not None and value in _enum_values(info.op.service_model.service_name)


_MEMBER_NAME = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")
_CAPITALS = re.compile(r"[A-Z]")


@cache
def _member_names(service: str) -> frozenset[str]:
    """SERVICE's member and shape names of two capitals or more (DBInstance, TopicArn): a one-word
    name (Name, Owner) tells nothing of the model, and may as well be a customer's word."""
    model = botocore_session().get_service_model(service)
    names: set[str] = set()
    for shape_name in model.shape_names:
        shape = model.shape_for(shape_name)
        names.add(shape_name)
        for member_name, member in getattr(shape, "members", {}).items():
            names.update((member_name, member.serialization.get("name", member_name)))
    return frozenset(
        n for n in names if _MEMBER_NAME.fullmatch(n) and len(_CAPITALS.findall(n)) >= 2
    )


@cache
def _enum_values(service: str) -> frozenset[str]:

    model = botocore_session().get_service_model(service)
    shapes = (model.shape_for(name) for name in model.shape_names)
    return frozenset(v for shape in shapes for v in getattr(shape, "enum", None) or ())


def _listed_name(value: str, shape: botocore.model.Shape | None, at: Sequence[str]) -> bool:
    """An element of a list of strings without white space: a name (EKS `clusters`, DynamoDB
    `TableNames`); one with spaces is a sentence or a command line, and one with a wildcard a
    pattern (an ELB rule's `/api/*`): free text."""
    in_list = bool(at) and at[-1] == "[]"
    string = shape is not None and shape.type_name == "string"
    return in_list and string and "*" not in value and not any(ch.isspace() for ch in value)


def _data_plane(op: botocore.model.OperationModel, shape: botocore.model.Shape) -> bool:
    """Data-plane payloads (the catalogue's shapes): customer data throughout, whatever its
    words; the names inside (attribute names) are schema."""
    return (op.service_model.service_name, shape.name) in catalogue.data_plane_shapes()


def _blob_payload(shape: botocore.model.Shape | None) -> bool:
    """A body that is one blob member (`payload` of a structure): data the model does not
    describe, such as a Bedrock model's request or answer."""
    payload = shape.serialization.get("payload") if shape is not None else None
    member = shape.members.get(payload) if shape is not None and payload else None
    return member is not None and member.type_name == "blob"


def _pair_key(
    name: str | None, value: Any, pair: Mapping[str, Any], shape: botocore.model.Shape | None
) -> bool:
    """NAME is the key of a tag, dimension, filter or environment variable: schema the code
    reads. A path is not (an SSM parameter's `/acme/prod/db-url` beside its Value): it names
    the resource, as its ARN does, and is faked as the ARN's resource is. Nor is the `name` of
    a larger structure that happens to hold a `value` (an API Gateway key: its name is the
    customer's): a plain Key or Name is a pair's key only in a structure of a few members."""
    if name not in _PAIR_KEYS or not isinstance(value, str) or value.startswith("/"):
        return False
    members = len(shape.members) if shape is not None and shape.type_name == "structure" else 0
    return _keyed(pair) and (members <= _PAIRS.max_members or name in _PAIRS.named_keys)


def _form_pair_key(
    key: str, value: str, fields: Mapping[str, str], shape: botocore.model.Shape | None
) -> bool:
    """KEY of a query/ec2 form is the key of a filter, tag or dimension (`Filter.1.Name` beside
    `Filter.1.Value.1`): its siblings are read as the structure they flatten, so a form is
    judged as the same request in JSON is (`_pair_key`)."""
    prefix, _, last = key.rpartition(".")
    if not prefix or last.isdigit():
        return False
    container = shapes.form_member(shape, prefix)[1]
    if container is None or container.type_name != "structure":
        return False
    siblings: dict[str, Any] = {}
    for other, text in fields.items():
        if other.startswith(prefix + "."):
            segment = other[len(prefix) + 1 :].split(".")[0]
            name = shapes.form_member(container, segment)[0] or segment
            siblings.setdefault(name, text)
    name = shapes.form_member(container, last)[0] or last
    return _pair_key(name, value, siblings, container)


def _keyed(value: Mapping[str, Any]) -> bool:
    """A tag, dimension or filter: a Key or Name beside a Value or Values; an ECS secret, the
    name of an environment variable beside the ARN it is read from (valueFrom)."""
    return any(k in value for k in _PAIR_KEYS) and any(
        k in value for k in (*_PAIR_VALUES, *_PAIRS.references)
    )


def _iso(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    if iso is None:
        raise TypeError(f"cannot store {type(value).__name__} in a cassette")
    return str(iso())
