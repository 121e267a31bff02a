"""Keyed, consistent, collision-free, format-preserving pseudonyms.

Every fake is derived from HMAC(secret, value), so the same real value gets the same fake in every
field, ARN, query string and cassette recorded with the same secret, and nobody without the
secret can confirm a guess. Fakes keep the character classes, length and separators of the
original so they still satisfy the model's patterns; identifiers of the catalogue's formats
(`pagetape.aws.catalogue`) keep their prefix, separators, segment lengths and alphabet, and
non-public addresses stay in their range. A value that is already one of our fakes maps to
itself, which makes sanitizing idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import string
from collections.abc import Callable, Iterable, Iterator

from pagetape.aws import catalogue
from pagetape.sanitize import addresses, personal
from pagetape.sanitize.marks import account_check

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
HEX_ID_RE = re.compile(r"^(?=.*[0-9])(?=.*[a-f])[0-9a-f]{8,}$")
TOKEN_RE = re.compile(r"^pagetape-token-(\d{4,})(?:-0+)?$")
FAKE_KEY_MARK = "PAGETAPE"
SECRET_PREFIX = "pagetape-secret-"
MAX_ATTEMPTS = 64
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_Maker = Callable[[Iterator[int]], str]


class Pseudonymizer:
    """Maps real values to fakes; remembers every pair so the leak check knows what to look for."""

    def __init__(
        self, secret: bytes, first_token: int = 1, known_fakes: Iterable[str] = ()
    ) -> None:
        self._secret = secret
        self._first_token = first_token
        self._fakes: dict[str, str] = {}
        self._owners: dict[str, str] = {fake: fake for fake in known_fakes}
        self._tokens: dict[str, str] = {}
        # Words AWS itself defines (aws-service-role, root); they identify nothing, help a reader.
        self._kept: set[str] = set(catalogue.well_known_words())
        self._flips: dict[str, int] = {}
        self._composites: set[str] = set()

    def keep(self, word: str) -> None:
        """Never fake WORD: it is structure, such as the service name inside ARNs."""
        self._kept.add(word)

    def is_fake(self, value: str) -> bool:
        """True for a value this pseudonymizer produced (or was told about)."""
        return value in self._owners or TOKEN_RE.match(value) is not None

    @property
    def replaced(self) -> dict[str, str]:
        """Every real value replaced so far, mapped to its fake."""
        fakes = {k: v for k, v in self._fakes.items() if k not in self._kept and k != v}
        return {**fakes, **self._tokens}

    def fakes(self) -> list[str]:
        """Every fake produced or known, sorted (tokens excluded: their form says what they are)."""
        return sorted(self._owners)

    def _stream(self, value: str, attempt: int) -> Iterator[int]:
        """Keyed bytes for faking VALUE. Each 32-byte block hashes the value, so past the first
        `_WHOLE_BLOCKS` (all a value of up to 256 characters uses) a block hashes the value's
        digest instead: a 300,000 character name took 10 s, quadratic, and longer ones hang."""
        counter = 0
        key = value
        while True:
            if counter == _WHOLE_BLOCKS:
                key = hashlib.sha256(value.encode()).hexdigest()
            msg = f"{attempt}:{counter}:{key}".encode()
            yield from hmac.new(self._secret, msg, hashlib.sha256).digest()
            counter += 1

    def fake_of(self, value: str) -> str | None:
        """The fake VALUE already has, if any."""
        return self._fakes.get(value)

    def assign(self, value: str, fake: str) -> str:
        """Record a fake built from faked parts (a name with an account id inside)."""
        if value in self._owners or value in self._kept:
            return value
        old = self._fakes.get(value)
        if old is not None and old != fake and self._owners.get(old) == value:
            del self._owners[old]  # rebuilt from parts learnt since (the second pass)
        self._fakes[value] = fake
        self._owners.setdefault(fake, value)
        self._composites.add(value)
        return fake

    def forget_composites(self) -> None:
        """Drop fakes built from parts (URLs, emails, ARNs in text): the next pass, which knows
        more names, builds them again; stale ones must not stay in the list of fakes."""
        for value in self._composites:
            fake = self._fakes.pop(value, None)
            if fake is not None and self._owners.get(fake) == value:
                del self._owners[fake]
        self._composites.clear()

    def _unique(self, value: str, make: _Maker) -> str:
        known = self._fakes.get(value)
        if known is not None:
            return known
        if value in self._owners or value in self._kept:
            return value
        # A value with no letters or digits has no fake; one of 1-2 characters may run out of
        # distinct fakes, so after MAX_ATTEMPTS the last candidate is taken as it is.
        if not any(ch.isalnum() for ch in value):
            return value
        for attempt in range(MAX_ATTEMPTS):
            fake = make(self._stream(value, attempt))
            owner = self._owners.get(fake)
            if fake != value and owner is None:
                break
        self._fakes[value] = fake
        self._owners[fake] = value
        return fake

    def word(self, value: str) -> str:
        """A fake with the same length and character class at every position (a-z, A-Z, 0-9;
        punctuation kept), so names and ids keep their patterns; UUIDs and hex ids stay hex."""
        if not value:
            return value
        if UUID_RE.match(value) or HEX_ID_RE.match(value):
            return self._unique(value, lambda s: _by_class(value, s, hex_only=True))
        return self._unique(value, lambda s: _by_class(value, s, hex_only=False))

    def access_key(self, value: str) -> str:
        """An obviously fake access key id: same prefix and length, PAGETAPE in the middle."""
        prefix, rest = value[:4], value[4:]
        tail_len = max(0, len(rest) - len(FAKE_KEY_MARK))
        return self._unique(
            value,
            lambda s: prefix + FAKE_KEY_MARK[: len(rest)] + _pick(s, _UPPER_DIGITS, tail_len),
        )

    def ipv4(self, value: str) -> str:
        """Private addresses stay private and keep their subnet (prefix-preserving: two hosts of
        one /24 stay in one faked /24, a CIDR block stays a block); public ones move to
        198.18.0.0/15, the range reserved for benchmarks. The prefix length is kept."""
        text, slash, length = value.partition("/")
        ip = addresses.ipv4(text)
        if ip is None:
            raise ValueError(f"{text!r} is no IPv4 address")
        address = str(ip)  # 10.0.0.01 is 10.0.0.1: one address, one fake
        block = next((n for n in catalogue.private_networks() if ip in n), None)
        if block is not None:
            fake = ipaddress.IPv4Address(self._prefix_preserving(int(ip), 32, block.prefixlen))
        else:

            def make(s: Iterator[int]) -> str:
                a, b, c = next(s), next(s), next(s)
                return f"198.{18 + (a & 1)}.{b}.{c}"

            fake = ipaddress.IPv4Address(self._unique(address, make))
        if slash:
            net = ipaddress.IPv4Network(f"{fake}/{length}", strict=False)
            host_bits_zero = int(ip) & ((1 << (32 - int(length))) - 1) == 0
            fake = net.network_address if host_bits_zero else fake
        result = f"{fake}{slash}{length}"
        if result != value:
            self._fakes.setdefault(value, result)
            self._owners.setdefault(result, value)
        return result

    def _prefix_preserving(self, address: int, width: int, keep: int) -> int:
        """Crypto-PAn style: bit i is flipped by a keyed function of the bits before it, so two
        addresses sharing a prefix share a faked prefix; the first KEEP bits stay."""
        bits = format(address, f"0{width}b")
        out = list(bits[:keep])
        tag = "ip4" if width == 32 else "ip6"
        for i in range(keep, width):
            prefix = bits[:i]
            key = f"{tag}:{prefix}"
            flip = self._flips.get(key)
            if flip is None:
                digest = hmac.new(self._secret, key.encode(), hashlib.sha256).digest()
                flip = self._flips[key] = digest[0] & 1
            out.append(str(int(bits[i]) ^ flip))
        return int("".join(out), 2)

    def ipv6(self, value: str) -> str:
        """Public addresses move to 2001:db8::/32, the documentation range; unique-local and
        link-local ones stay in their range, prefix-preserving. The prefix length is kept."""
        address, slash, length = value.partition("/")
        ip = ipaddress.IPv6Address(address)
        block = next((n for n in catalogue.private_networks() if ip in n), None)
        if block is not None:
            fake = ipaddress.IPv6Address(self._prefix_preserving(int(ip), 128, block.prefixlen))
            if slash:
                fake = ipaddress.IPv6Network(f"{fake}/{length}", strict=False).network_address
            result = f"{fake}{slash}{length}"
            if result != value:
                self._fakes.setdefault(value, result)
                self._owners.setdefault(result, value)
            return result

        def make(s: Iterator[int]) -> str:
            tail = int.from_bytes(bytes(next(s) for _ in range(12)), "big")
            return str(ipaddress.IPv6Address((0x20010DB8 << 96) | tail))

        fake = ipaddress.IPv6Address(self._unique(address, make))
        if slash:
            fake = ipaddress.IPv6Network(f"{fake}/{length}", strict=False).network_address
        return f"{fake}{slash}{length}"

    def account(self, value: str) -> str:
        """Twelve digits whose last four are public check digits of the first eight, so anyone
        can tell a pagetape account id from a real one; dashes stay where they were."""
        digits = value.replace("-", "")

        def make(s: Iterator[int]) -> str:
            first = _pick(s, string.digits, 8)
            fake = first + account_check(first)
            it = iter(fake)
            return "".join(ch if ch == "-" else next(it) for ch in value)

        if value != digits:
            plain = self.account(digits)
            it = iter(plain)
            return self.assign(value, "".join(ch if ch == "-" else next(it) for ch in value))
        return self._unique(value, make)

    def resource_id(self, value: str) -> str:
        """An id of a catalogue format (i-0abc..., eni-attach-..., o-..., ou-<root>-<ou>,
        us-west-2_..., a MAC address): region, prefix and separators kept, each segment faked
        with the format's alphabet and length; the prefix says what it is. A segment that is
        another id (an OU's root part) is faked as that id is."""
        fmt = catalogue.format_of(value)
        if fmt is None:
            return self.word(value)
        region, prefix, segments = catalogue.split_id(fmt, value)
        chars = catalogue.alphabet(fmt.alphabet)
        shared = ""
        if fmt.shares is not None:
            parent = catalogue.format_named(fmt.shares)
            parent_fake = self.resource_id(parent.prefixes[0] + segments[0])
            shared = parent_fake[len(parent.prefixes[0]) :]

        def make(stream: Iterator[int]) -> str:
            fakes = [
                "".join(_same_case(ch, chars[next(stream) % len(chars)]) for ch in seg)
                for seg in segments
            ]
            if shared:
                fakes[0] = shared
            fake = region + prefix + fmt.separator.join(fakes)
            if fmt.rule == "mac_address":  # the multicast and locally-administered bits stay
                bits = int(value[:2], 16) & 3
                fake = _same_case(value[:2], f"{(int(fake[:2], 16) & 0xFC) | bits:02x}") + fake[2:]
            return fake if catalogue.well_formed(fmt, fake) else value

        return self._unique(value, make)

    def date(self, value: str) -> str:
        """A date of birth: another valid date (1940-2005) written the same way (2024-01-31,
        31/01/2024, 31.01.2024, 20240131); anything else becomes a word of its shape."""
        m = _DATE.fullmatch(value)
        if m is None:
            return self.word(value)
        order = "ymd" if m.group("y1") else "dmy" if m.group("y2") else "compact"

        def make(s: Iterator[int]) -> str:
            year = 1940 + next(s) % 66
            month = 1 + next(s) % 12
            day = 1 + next(s) % 28
            if order == "compact":
                return f"{year:04d}{month:02d}{day:02d}"
            sep = m.group("s1") or m.group("s2")
            if order == "ymd":
                return f"{year:04d}{sep}{month:02d}{sep}{day:02d}"
            return f"{day:02d}{sep}{month:02d}{sep}{year:04d}"

        return self._unique(value, make)

    def personal(self, kind: str, value: str) -> str:
        """A phone, card or national-id number: its format-true fake (`pagetape.sanitize.personal`)."""
        return self._unique(value, lambda s: personal.fake(kind, value, s))

    def secret(self, value: str) -> str:
        """A value under a secret-looking key: replaced by an obvious, consistent placeholder.
        Its hex starts with a letter: twelve digits would read as an account id."""
        return self._unique(
            value,
            lambda s: SECRET_PREFIX + _pick(s, "abcdef", 1) + _pick(s, "0123456789abcdef", 11),
        )

    def marked(self, value: str) -> str:
        """A credential of a known shape: its prefix (ghp_, xoxb-, sk_live_) and length kept,
        PAGETAPE after the prefix, the rest keyed; `verify` recognizes the mark."""
        m = re.match(r"^(?:[A-Za-z0-9]{1,8}[_.-])*", value)
        prefix = m.group(0) if m and len(m.group(0)) <= 12 else ""
        rest = value[len(prefix) :]
        body = (
            FAKE_KEY_MARK + rest[len(FAKE_KEY_MARK) :]
            if len(rest) > len(FAKE_KEY_MARK)
            else FAKE_KEY_MARK
        )
        return self._unique(
            value,
            lambda s: (
                prefix + FAKE_KEY_MARK + _by_class(body[len(FAKE_KEY_MARK) :], s, hex_only=False)
            ),
        )

    def token(self, value: str, min_length: int = 0) -> str:
        """Pagination tokens are replaced whole, numbered in order of first appearance, so the
        chain stays linked and re-recording the same data gives the same tokens. A model that
        wants longer tokens gets the number padded with -000..."""
        if TOKEN_RE.match(value):
            return value
        known = self._tokens.get(value)
        if known is None:
            known = f"pagetape-token-{len(self._tokens) + self._first_token:04d}"
            if len(known) < min_length:
                known += "-" + "0" * (min_length - len(known) - 1)
            self._tokens[value] = known
        return known


def _same_case(original: str, fake: str) -> str:
    """Keep upper case where the original had it (02:42:AC:... stays upper-case hex)."""
    return fake.upper() if original.isupper() else fake


_DATE = re.compile(
    r"(?P<y1>\d{4})(?P<s1>[-/.])\d{2}(?P=s1)\d{2}|\d{2}(?P<s2>[-/.])\d{2}(?P=s2)(?P<y2>\d{4})"
    r"|(?:19|20)\d{6}"
)


_WHOLE_BLOCKS = 8


def _pick(stream: Iterator[int], alphabet: str, n: int) -> str:
    return "".join(alphabet[next(stream) % len(alphabet)] for _ in range(n))


def _by_class(value: str, stream: Iterator[int], *, hex_only: bool) -> str:
    out = []
    for ch in value:
        if hex_only and ch in "0123456789abcdef":
            out.append("0123456789abcdef"[next(stream) % 16])
        elif hex_only and ch in "ABCDEF":
            out.append("0123456789ABCDEF"[next(stream) % 16])
        elif ch.isascii() and ch.islower():
            out.append(string.ascii_lowercase[next(stream) % 26])
        elif ch.isascii() and ch.isupper():
            out.append(string.ascii_uppercase[next(stream) % 26])
        elif ch.isascii() and ch.isdigit():
            out.append(string.digits[next(stream) % 10])
        elif ch.isalnum():  # Kraków, 東京: a letter of any script is data too
            alphabet = string.ascii_uppercase if ch.isupper() else string.ascii_lowercase
            out.append(alphabet[next(stream) % 26])
        else:
            out.append(ch)
    return "".join(out)
