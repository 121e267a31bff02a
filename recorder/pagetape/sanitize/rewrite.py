"""Value rewriting: one real value becomes one fake, by kind, consistently across a cassette.

The exchange walker (`pagetape.sanitize.walker`) decides what kind a value is from the model; this
module turns it into its fake: names keep their shape, detected values (account ids, emails,
addresses, keys, host names, URLs, ARNs) are rebuilt part by part, public AWS vocabulary stays,
and free text has every learnt identifying name and every detected value replaced.
"""

from __future__ import annotations

import mimetypes
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

from pagetape.aws import arn as arn_mod
from pagetape.aws import catalogue
from pagetape.sanitize import addresses, detect, prose, rules, structured, vocabulary
from pagetape.sanitize.pseudonym import HEX_ID_RE, UUID_RE, Pseudonymizer

ACCOUNT_RUN = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_ESCAPE_BEFORE = re.compile(r"%[0-9A-Fa-f]{2}$")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_WORD = re.compile(r"\S+")
# provider.name-vN:M of a public model id (its layout: vocabulary.is_model_id).
_MODEL_NAME = re.compile(
    r"(?:[a-z-]+\.)?[a-z0-9]+\.([a-z0-9][a-z0-9.-]*?)(?:-v\d+)?(?::\d+(?::[a-z0-9]+)?)?"
)
_SEPARATORS = re.compile(r"([/=@,;|&?#\"{}\[\]]+)")
_COLONS = re.compile(r"(:+)")
_VOCABULARY_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# key: value, key=value, "key": "value" in free text (a log line, JSON quoted into a message).
_SETTING = re.compile(
    r"""(?<![\w.-])["']?(?P<key>[A-Za-z_][\w.-]{1,63})["']?\s*[:=]\s*["']?(?P<value>[^\s"',;}\]]+)"""
)


def identifying(value: str) -> bool:
    """Worth tracking (learnt for schema text, searched by the leak proof): detected values and
    every name but a single public word (`pagetape.sanitize.prose`, the same vocabulary for every
    cassette) or a number. `list`, `keys` or `batch` recurring as structure are no leak;
    `ACME`, `acme-prod-logs`, `no-such-job` or `db01` are."""
    if len(value) < 3:
        return False
    if not any(ch.isalpha() for ch in value):
        return sum(ch.isdigit() for ch in value) >= 12  # dates and counters identify nobody
    if detect.fullmatch(value) is not None:
        return True
    low = value.lower()
    return low not in prose.words() and low not in vocabulary.GENERIC_WORDS


class Rewriter:
    """Rewrites values by kind; remembers every original it replaced and the rule that did."""

    def __init__(
        self,
        secret: bytes,
        disabled: Iterable[str] = (),
        first_token: int = 1,
        known_fakes: Iterable[str] = (),
    ) -> None:
        self.switches = rules.Switches.of(disabled)
        self.disabled = self.switches.off
        trusted = [fake for fake in known_fakes if detect.claims_fake(fake)]
        self.pseudo = Pseudonymizer(secret, first_token, trusted)
        self.stats: Counter[str] = Counter()
        self.rule_of: dict[str, str] = {}  # original -> the rule that replaced it first
        self.learning = True  # first pass: learn names; schema text gets them on the second pass
        self._known: dict[str, None] = {}
        self._public: set[str] = set()  # kept as AWS's own somewhere: kept everywhere
        self._schema: set[str] = set()  # kept as a key the code reads: kept everywhere
        self._strict = False  # inside a data-plane payload: no word is public
        self._automaton: Any = None
        self._automaton_size = -1

    def on(self, rule: str) -> bool:
        return self.switches.on(rule)

    # -- by kind -------------------------------------------------------------------------------

    def string(self, value: str, kind: str) -> str:
        """A value the model classified: keep, token, secret, free_text, name or account_id."""
        if kind == "keep" or not value:
            if value and kind == "keep":
                self.vocabulary(value)  # an enum value is AWS's own wherever it recurs
            return value
        if kind == "token":
            return self.token(value) if self.on("token") else value
        if self.is_public(value):
            return value
        if kind == "secret":
            return self.secret(value)
        if kind == "free_text":
            return self.text(value)
        if addresses.harmless(value):
            return value  # 203.0.113.25, 0.0.0.0/0: an address that identifies nobody stays one
        document = structured.json_document(self, value)
        if document is not None:
            return document
        whole = detect.fullmatch(value, self.disabled)
        if whole is not None:
            return self.detected(whole, value, kind)
        if self.disabled and detect.fullmatch(value) in self.disabled:
            return value  # a class of values kept on purpose (--keep-rule) is kept everywhere
        rule = "account_id" if kind == "account_id" else "name"
        if not self.on(rule):
            return self.text(value)
        path, rest = catalogue.split_id_path(value)
        if path:  # /hostedzone/Z1D6..., /aws/lambda/fn: AWS's path stays, the rest is faked
            self.vocabulary(path)  # and so do its words inside ARNs (log-group:/aws/lambda/fn)
            return path + self.string(rest, kind)
        if "/" in value or " " in value:
            # A path or a name with spaces: each part is a name of its own, so the parts stay
            # linked to the same parts inside ARNs ("/aws/lambda/fn" and "log-group:/aws/..."),
            # and an id before a colon keeps its format (QuickSight's federated/iam/AROA...:s).
            parts = re.split(r"([/ ]+)", value)

            def fake(part: str) -> str:
                # At colons only around an id of a known format (federated/iam/AROA...:s):
                # elsewhere a colon is part of the name (a cut ARN: <service>:<region>:<acct>:
                # ..., whose account the name rule fakes inside it).
                pieces = re.split(r"(:+)", part)
                ids = (detect.fullmatch(p) for p in pieces[::2] if p)
                if len(pieces) > 1 and any(k not in (None, "account_id") for k in ids):
                    return "".join(
                        p if i % 2 or not p else self.string(p, kind) for i, p in enumerate(pieces)
                    )
                return self.string(part, kind)

            return "".join(
                p if i % 2 or not p else self._part(p, fake) for i, p in enumerate(parts)
            )
        return self.counted(rule, value, _keep_extension(value, lambda v: self.name(v, rule)))

    def data(self, value: str) -> str:
        """A value of a data-plane payload (a DynamoDB item): customer data throughout. Detected
        values keep their format, numbers and AWS's own values stay, every word is faked, even
        a dictionary word."""
        if not value or self.pseudo.is_fake(value) or self.is_public(value):
            return value
        self._strict = True
        try:
            return self._text(value, deny=True)
        finally:
            self._strict = False

    def vocabulary(self, value: str) -> None:
        """VALUE is AWS's own vocabulary (an enum value, an ARN's resource type): kept wherever
        it recurs, and so are its words (the `Linux` of `Linux/UNIX` in an AMI description, the
        `saml` of `saml-provider` in a sign-in URL), so no sentence fakes what a field keeps."""
        self.public(value)  # and its path parts (/job-function/)
        # and its colon parts: the enum value ec2:spot-fleet-request:TargetCapacity makes the
        # resource type public, so Application Auto Scaling's ResourceId keeps it too.
        self._public.update(p for p in re.split(r"[:/]", value) if p)
        self._public.update(w for w in _VOCABULARY_WORD.findall(value) if len(w) > 2)

    def owned(self, value: str) -> str:
        """A value of an AWS-owned resource (a managed policy's name, id, document): kept, and
        its words are AWS's vocabulary wherever they recur, so no other field fakes them."""
        if value:
            self.vocabulary(value)
        return value

    def keep(self, value: str) -> str:
        """VALUE sits on a path the user keeps (`--keep`): real here, and so everywhere."""
        self._public.add(value)
        return value

    def public(self, value: str) -> str:
        """VALUE is AWS's own where it was found (a managed policy's path): keep it, and its
        path parts, wherever else they appear."""
        self._public.add(value)
        self._public.update(p for p in value.split("/") if p)
        return value

    def public_names(self, names: Iterable[str]) -> None:
        """NAMES are a service model's own (member and shape names): kept wherever they recur."""
        self._public.update(names)

    def is_public(self, value: str) -> bool:
        """AWS's own value, or part of one kept elsewhere: a public model id
        (`anthropic.claude-3-haiku-20240307-v1:0`) makes its model name public too, so the
        name in a model's own answer is not faked while the id beside it is kept."""
        if value in self._public or value in self._schema:
            return True
        if value in catalogue.id_prefix_words():
            return True  # eni, vpce: the prefix every such id keeps
        if not vocabulary.is_public_value(value):
            return False
        m = _MODEL_NAME.fullmatch(value)
        if m is not None and self.learning:
            self._public.add(m.group(1))
        return True

    def token(self, value: str, min_length: int = 0) -> str:
        """Tokens are replaced whole (padded to the model's minimum length); a token that is
        itself a name (DynamoDB's table-name tokens) is also learnt, so the name is replaced
        wherever else it appears."""
        self.rule_of.setdefault(value, "token")
        self._learn(value)
        return self.counted("token", value, self.pseudo.token(value, min_length))

    def secret(self, value: str) -> str:
        """A value under a secret-looking key; a credential of a known form keeps its form."""
        if not value or not self.on("secret_value") or self.pseudo.is_fake(value):
            return value
        whole = detect.fullmatch(value, self.disabled)
        if whole in rules.CREDENTIALS:
            return self.detected(whole, value)
        self.rule_of.setdefault(value, "secret_value")
        return self.counted("secret_value", value, self.pseudo.secret(value))

    def birth_date(self, value: str) -> str:
        """A value under a date-of-birth key: a date identifies its person, so it is faked as
        another date of the same format (a number or a word of its shape otherwise)."""
        if not value or not self.on("birth_date") or self.pseudo.is_fake(value):
            return value
        self.rule_of.setdefault(value, "birth_date")
        return self.counted("birth_date", value, self.pseudo.date(value))

    def name(self, value: str, rule: str) -> str:
        """The one way a name becomes a fake: account ids inside it are faked as account ids,
        so the account in a bucket name matches the account in the ARNs."""
        if self.is_public(value) or _public_part(value):
            return value
        known = self.pseudo.fake_of(value)
        if known is not None:
            return known
        address = structured.address_label(self, value)  # ip-172-31-10-93: a host, no domain
        if address is not None:
            return address
        prefix = catalogue.name_prefix(value)
        if prefix is not None:  # AWSReservedSSO_<set>_<hex>: each part faked in its own shape
            parts = value[len(prefix) :].split("_")
            return self.pseudo.assign(value, prefix + "_".join(map(self.pseudo.word, parts)))
        self.rule_of.setdefault(value, rule)
        self._learn(value)
        # A hex id (an ELB's 16 hex digits) is opaque: a run of 12 digits in it is no account.
        splittable = len(value) > 12 and not UUID_RE.match(value) and not HEX_ID_RE.match(value)
        if self.on("account_id") and splittable and ACCOUNT_RUN.search(value):
            parts = ACCOUNT_RUN.split(value)
            faked = [
                self.pseudo.account(part) if i % 2 else self.pseudo.word(part)
                for i, part in enumerate(parts)
            ]
            return self.pseudo.assign(value, "".join(faked))
        return self.pseudo.word(value)

    def detected(self, kind: str, value: str, context: str = "free_text") -> str:
        """A value a detector found: rebuilt in its own format. CONTEXT is the kind of the
        field it fills: a URL in an identifier field (QueueUrl) has names for path segments."""
        if self.pseudo.is_fake(value):
            return value
        self.rule_of.setdefault(value, kind)
        rule = rules.get(kind)
        fake = rule.fake(self, value, context) if rule.fake else self.name(value, kind)
        if fake != value:
            fake = self.pseudo.assign(value, fake)
        return self.counted(kind, value, fake)

    def document(self, doc: Any) -> Any:
        """A JSON document without a model (an IAM policy, JWT claims)."""
        return structured.walk_document(self, doc)

    def counted(self, rule: str, before: str, after: str) -> str:
        """Stats count values a rule changed, so sanitizing a clean cassette counts nothing."""
        if after != before:
            self.stats[rule] += 1
        return after

    # -- composite values: what a rule's fake asks for (`rules.Fakes`) -------------------------

    def email(self, value: str) -> str:
        return structured.email(self, value)

    def host(self, value: str) -> str:
        return structured.host(self, value)

    def url(self, value: str, context: str) -> str:
        return structured.url(self, value, context)

    def jwt(self, value: str) -> str:
        return structured.jwt(self, value)

    def private_key(self, value: str) -> str:
        return structured.private_key(self, value)

    def s3_uri(self, value: str) -> str:
        return "s3://" + self._s3_path(value[len("s3://") :])

    def arn(self, value: str) -> str:
        """An ARN part by part: partition, service, region and resource type kept; the account
        faked unless it is AWS's (or a documentation placeholder); the resource's names faked,
        but not what the catalogue's layout of the service says is AWS's (root, app/net of a
        load balancer, alias/aws/..., parameter/aws/service/...)."""
        parts = arn_mod.parse(value)
        if parts is None:
            return self.name(value, "arn")
        prefix, partition, service, region, account, resource = parts
        self.pseudo.keep(service)
        aws_own = catalogue.is_aws_account(account) or catalogue.is_placeholder(account)
        if account and self.on("account_id") and not aws_own:
            account = self.pseudo.account(account) if account.isdigit() else account
        if catalogue.public_arn_resource(service, resource):
            return ":".join([prefix, partition, service, region, account, resource])
        if service == "s3" and self.on("s3_uri"):  # arn:aws:s3:::bucket/key: no resource type
            resource = self._s3_path(resource)
            return ":".join([prefix, partition, service, region, account, resource])
        for piece in resource.split(":"):  # log-group:/aws/lambda/fn: AWS's path, as alone
            path, _ = catalogue.split_id_path(piece)
            if path:
                self.vocabulary(path)
        segments = re.split(r"([/:])", resource)
        layout = catalogue.arn_layout(service)
        keep_first = len(segments) > 1 and not (layout is not None and layout.untyped)
        if keep_first:
            self.vocabulary(segments[0])  # the resource type: role, saml-provider, log-group
        words = layout.words if layout is not None else frozenset()
        principal = segments[0] in catalogue.principal_types() and service in ("iam", "sts")
        rule = "iam_principal" if principal else "arn"
        if self.on(rule):
            for i in range(0, len(segments), 2):
                if not (i == 0 and keep_first) and segments[i] not in words:
                    segments[i] = self._segment(segments[i], rule)
        return ":".join([prefix, partition, service, region, account, "".join(segments)])

    def _segment(self, value: str, rule: str) -> str:
        """One part of an ARN: an email, UUID or id of a catalogue format inside it is faked as
        such, the rest as a name."""
        whole = detect.fullmatch(value, self.disabled)
        if whole is not None and whole not in ("arn", "s3_uri", "embedded_url", "hostname"):
            return self.detected(whole, value)
        if vocabulary.is_public_value(value) or _public_part(value):
            return value
        return self.name(value, rule)

    def _s3_path(self, path: str) -> str:
        """bucket/key/parts: the bucket and every key segment with a letter are faked as names;
        file extensions and date-like parts keep their shape."""
        bucket, slash, key = path.partition("/")
        segments = [self._part(seg, self._key_segment) for seg in key.split("/")] if key else []
        return f"{self.name(bucket, 's3_uri')}{slash}{'/'.join(segments)}"

    def _part(self, part: str, fake: Any) -> str:
        """One part of a path or key: a detected value (an email, a host name) whole, else a
        name whose file extension keeps its shape."""
        whole = detect.fullmatch(part, self.disabled)
        if whole is not None:
            return self.detected(whole, part)
        return _keep_extension(part, fake)

    def _key_segment(self, segment: str) -> str:
        if any(ch.isalpha() for ch in segment):
            return self.name(segment, "s3_uri")
        return self.pseudo.word(segment)

    # -- free text -----------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """Free text, default-deny: a JSON document inside is sanitized as one, every detected
        value is rebuilt in its format, and of the rest only public words stay (numbers, dates,
        botocore's documentation vocabulary, AWS's own values); any other word is faked whole,
        as the same name is faked everywhere else."""
        return self._text(text, deny=self.on("free_text"))

    def schema(self, text: str) -> str:
        """A name the code reads (a map or tag key, a filter name, an attribute name): kept, but
        what a detector finds in it and every identifying name learnt elsewhere is replaced.
        A name kept as schema is kept wherever else it appears (a JSON schema's `required`
        list, a DynamoDB key schema beside the items' attribute names)."""
        clean = self._text(text, deny=False)
        if clean == text and structured.plain_key(text):
            self._schema.add(text)
        return clean

    def key(self, key: str) -> str:
        """A key of a document or unmodelled structure: a plain word is schema, kept as is."""
        if structured.plain_key(key):
            self._schema.add(key)
            return key
        return self.schema(key)

    def _text(self, text: str, deny: bool) -> str:
        if not text:
            return text
        document = structured.json_document(self, text)
        if document is not None:
            return document
        if _ESCAPE.search(text):
            # URL-encoded text (a query string, an encoded path): sanitized decoded, then
            # encoded again, leaving literal what was literal.
            decoded = unquote(text)
            if decoded != text:
                clean = self._text(decoded, deny)
                if clean == decoded:
                    return text
                safe = "".join(sorted({ch for ch in text if not ch.isalnum() and ch != "%"}))
                return quote(clean, safe=safe)
        if not deny and self.on("free_text") and not self.learning:
            text = self._replace_known(text)
        if not deny and self.on("free_text"):
            text = structured.base64_runs(self, text)
        out: list[str] = []
        last = 0
        for hit in detect.scan(text, self.disabled):
            gap = text[last : hit.start]
            out.append(self._words(gap) if deny else gap)
            out.append(self.detected(hit.kind, hit.value))
            last = hit.end
        tail = text[last:]
        out.append(self._words(tail) if deny else tail)
        return "".join(out)

    def _words(self, text: str) -> str:
        """Default-deny over the words of TEXT (what lies between detected values). A setting
        written in prose or in JSON quoted into it (`"dob": "1984-07-23"`, `password: x`) is
        judged by its key, as the same pair in a document is."""
        if not text.strip():
            return text
        if ":" in text or "=" in text:
            out: list[str] = []
            last = 0
            for m in _SETTING.finditer(text):
                key, value = m.group("key"), m.group("value")
                if detect.is_personal_key(key):
                    fake = self.birth_date(value)
                elif detect.is_credential_key(key):
                    fake = self.secret(value)
                else:
                    continue
                # The setting's name is schema (kept but for what a detector or a learnt name
                # finds in it), what lies between is punctuation.
                out += [
                    self._plain_words(text[last : m.start("key")]),
                    self.schema(key),
                    text[m.end("key") : m.start("value")],
                    fake,
                ]
                last = m.end("value")
            if out:
                return "".join(out) + self._plain_words(text[last:])
        return self._plain_words(text)

    def _plain_words(self, text: str) -> str:
        return "".join(
            piece if numbers else _WORD.sub(lambda m: self._word(m.group(0)), piece)
            for piece, numbers in prose.number_groups(text)
        )

    def _word(self, token: str) -> str:
        """One white-space-free word of free text: public parts stay, unless the same value
        was faked as a name somewhere (one real value, one fake); the rest is faked whole."""
        lead, core, trail = prose.split_edges(token)
        if not core or self.pseudo.is_fake(core):
            return token
        if self.is_public(core):
            return token
        address = structured.address_label(self, core)  # ip-10-0-0-1 looks like public words
        if address is not None:
            return lead + self.counted("ip_address", core, address) + trail
        document = structured.base64_document(core)  # a CSV report or user data, encoded
        if document is not None:
            clean = self._text(document, deny=True)
            return lead + structured.base64_encoded(clean, core) + trail
        known = self.pseudo.fake_of(core)
        stem, dot, ext = core.rpartition(".")
        if known is None and dot and ext.lower() in _file_extensions():
            stem_fake = self.pseudo.fake_of(stem)  # report-q1.csv: faked as report-q1 is
            known = None if stem_fake is None else f"{stem_fake}.{ext}"
        if known is None and (
            prose.is_number(core) if self._strict else prose.is_public_word(core)
        ):
            if self.learning:
                return token
            # Documented words joined can still hold a name learnt elsewhere: Lambda's Handler
            # lambda_function.process_resources names the function process_resources. One real
            # value, one fake, wherever it sits.
            return lead + self._replace_known(core) + trail
        if known is not None:
            return lead + self.counted("free_text", core, known) + trail
        key, eq, value = core.partition("=")
        if eq and value and detect.is_credential_key(key):
            # password=..., -Djavax.net.ssl.trustStorePassword=...: the setting's name is
            # schema, its value a secret, whatever words it is made of.
            return lead + self.schema(key) + eq + self.secret(value) + trail
        # Split at punctuation (JSON quoted into text, paths, key=value) and only then at
        # colons, so `sqs:SendMessage` is judged as an IAM action before as two words.
        for separators in (_SEPARATORS, _COLONS):
            parts = separators.split(core)
            if len(parts) > 1:
                words = "".join(p if i % 2 else self._word(p) for i, p in enumerate(parts))
                return lead + words + trail
        self.rule_of.setdefault(core, "free_text")
        return lead + self.counted("free_text", core, self.name(core, "free_text")) + trail

    def _learn(self, value: str) -> None:
        if value not in self._known and identifying(value) and not self.pseudo.is_fake(value):
            self._known[value] = None

    def _replace_known(self, text: str) -> str:
        automaton = self._known_automaton()
        if automaton is None:
            return text
        out: list[str] = []
        last = 0
        for end, original in automaton.iter_long(text):
            start = end - len(original) + 1
            if start < last or not standalone(text, start, end + 1):
                continue
            out.append(text[last:start])
            fake = self.name(original, "free_text")
            out.append(self.counted(self.rule_of.get(original, "free_text"), original, fake))
            last = end + 1
        out.append(text[last:])
        return "".join(out)

    def _known_automaton(self) -> Any:
        """Aho-Corasick over every learnt name (pyahocorasick): one pass over the text whatever
        the number of names; rebuilt only when names were learnt since the last build."""
        if not self._known:
            return None
        if self._automaton_size != len(self._known):
            import ahocorasick

            automaton = ahocorasick.Automaton()
            for name in self._known:
                automaton.add_word(name, name)
            automaton.make_automaton()
            self._automaton, self._automaton_size = automaton, len(self._known)
        return self._automaton


def standalone(text: str, start: int, end: int) -> bool:
    """A match that is a whole word: not inside a longer word (`fraud` in `frauddetector`);
    right after a percent-escape (%2Fname) counts as a word start."""
    before_ok = start == 0 or not _ALNUM.match(text[start - 1])
    if not before_ok and _ESCAPE_BEFORE.search(text[max(0, start - 3) : start]):
        before_ok = True
    return before_ok and (end >= len(text) or not _ALNUM.match(text[end]))


def _public_part(value: str) -> bool:
    """A part of a name that identifies nobody: a date, a version, a short number. Words are
    not: a name is faked whole even when it is made of dictionary words."""
    return prose.is_number(value)


def _keep_extension(segment: str, fake: Any) -> str:
    """`report-q1.csv` keeps `.csv`; `ana.moreira` is no file: faked whole."""
    stem, dot, ext = segment.rpartition(".")
    if dot and stem and ext.lower() in _file_extensions():
        return f"{fake(stem)}.{ext}"
    return str(fake(segment))


@cache
def _file_extensions() -> frozenset[str]:
    """File extensions: Python's built-in MIME table (not the machine's, for determinism), its
    compressions, and the data formats of S3 data lakes it lacks."""
    table = mimetypes.MimeTypes(filenames=())
    known = {*table.types_map[True], *table.types_map[False], *table.encodings_map}
    lake = {"parquet", "avro", "orc", "jsonl", "ndjson", "yaml", "yml", "log", "gz", "zst", "tsv"}
    return frozenset({e.lstrip(".").lower() for e in known} | lake)
