"""Phone numbers, payment card numbers and national ids: found in text, faked format-true, fakes proved.

Why a module of its own: these values identify people wherever they appear (a Cognito ``phone_number``,
an SNS endpoint, a DynamoDB item, a sentence in a description), so the detection engine asks this
module about every string. Phone numbers are read by ``phonenumbers`` (Google's libphonenumber
metadata, maintained per country) rather than by patterns of our own; cards, SSNs, National Insurance
numbers and IBANs have check rules simple and stable enough to state here.

What ``is_fake`` can prove from the value alone:

- phones in a FICTIONAL range (below, with sources): proved, the regulator never assigns them;
- phones of countries without a usable fictional range are faked inside libphonenumber's example
  block (the example number's digits but the last few) with a Luhn check over the national number:
  recognised, not proved. A real subscriber inside an example block passes only when the Luhn digit
  happens to fit (one in ten); the engine should treat these as placeholders, like AWS's own
  ``123456789012``;
- cards: processors' published test-number prefixes plus Luhn: recognised as test cards, which
  card networks do not issue to people;
- SSN area 666, NINO prefix QQ and IBAN check digits 00: proved, none is ever issued (so ``find``
  does not report them either).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
from phonenumbers import (
    Leniency,
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberMatcher,
    PhoneNumberType,
)

PHONE = "phone"
CARD = "card"
NATIONAL_ID = "national_id"
KINDS = (PHONE, CARD, NATIONAL_ID)


# --- data: fictional telephone ranges -------------------------------------------------------------
#
# Each range is a national significant number pattern: a digit is fixed, ``x`` is any digit, ``nnn``
# (NANP only) is any area code of the number's own region. Ranges libphonenumber rejects as invalid
# (UK 07700 900xxx, 01632 960xxx, 0115 496 xxxx; FR 06 39 98; AU/SE mobile lists too small to share)
# are still listed: ``is_fake`` recognises them, ``fake`` only draws from valid ones.

_SOURCES = {
    "nanpa": "NANPA/ATIS INC guidelines: NXX 555, lines 0100-0199 reserved for fictitious use",
    "ofcom": "Ofcom, 'TV and radio drama telephone numbers' (Big Number change, 2000)",
    "acma": "ACMA, 'Fictitious numbers for radio, books, film and TV' (2009)",
    "arcep": "ARCEP, numbers reserved for works of fiction (plan national de numérotation)",
    "bnetza": "Bundesnetzagentur, Mitteilung Nr. 148/2021, Amtsblatt 7/2021 p. 489 (Drama Numbers)",
    "pts": "PTS (Post- och telestyrelsen), 2020: 070-174 06 05..070-174 06 99 for fiction",
}


@dataclass(frozen=True)
class _Range:
    """One block of fictional numbers of one country calling code."""

    cc: int
    pattern: str
    type: int
    source: str


_F = PhoneNumberType.FIXED_LINE
_M = PhoneNumberType.MOBILE
_FM = PhoneNumberType.FIXED_LINE_OR_MOBILE

# ACMA reserves individual mobile numbers, not a block: 0491 570 006, 0491 570 156, ...
_ACMA_MOBILES = (
    "570006", "570156", "570157", "570158", "570159", "570110", "570313", "570737", "571266",
    "571491", "571804", "572549", "572665", "572983", "573770", "573087", "574118", "574632",
    "575254", "575789", "576398", "576801", "577426", "577644", "578957",
)  # fmt: skip

FICTIONAL: tuple[_Range, ...] = (
    _Range(1, "nnn55501xx", _FM, "nanpa"),  # any NANP area code, 555-0100..555-0199
    _Range(44, "1134960xxx", _F, "ofcom"),  # Leeds 0113 496 0000-0999
    _Range(44, "1144960xxx", _F, "ofcom"),  # Sheffield
    _Range(44, "1154960xxx", _F, "ofcom"),  # Nottingham (libphonenumber: invalid)
    _Range(44, "1164960xxx", _F, "ofcom"),  # Leicester
    _Range(44, "1174960xxx", _F, "ofcom"),  # Bristol
    _Range(44, "1184960xxx", _F, "ofcom"),  # Reading
    _Range(44, "1214960xxx", _F, "ofcom"),  # Birmingham
    _Range(44, "1314960xxx", _F, "ofcom"),  # Edinburgh
    _Range(44, "1414960xxx", _F, "ofcom"),  # Glasgow
    _Range(44, "1514960xxx", _F, "ofcom"),  # Liverpool
    _Range(44, "1614960xxx", _F, "ofcom"),  # Manchester
    _Range(44, "1914980xxx", _F, "ofcom"),  # Tyneside 0191 498 0000-0999
    _Range(44, "2079460xxx", _F, "ofcom"),  # London 020 7946 0000-0999
    _Range(44, "2896496xxx", _F, "ofcom"),  # Northern Ireland 028 9649 6000-6999
    _Range(44, "2920180xxx", _F, "ofcom"),  # Cardiff 029 2018 0000-0999
    _Range(44, "163296xxxx", _F, "ofcom"),  # no area, 01632 960000-960999 (libphonenumber: invalid)
    _Range(44, "7700900xxx", _M, "ofcom"),  # mobile 07700 900000-900999 (libphonenumber: invalid)
    _Range(44, "8081570xxx", PhoneNumberType.TOLL_FREE, "ofcom"),  # freephone 08081 570000-570999
    _Range(44, "9098790xxx", PhoneNumberType.PREMIUM_RATE, "ofcom"),  # premium 0909 8790000-8790999
    _Range(44, "3069990xxx", PhoneNumberType.UAN, "ofcom"),  # UK-wide 03069 990000-990999
    _Range(61, "25550xxxx", _F, "acma"),  # NSW/ACT (02) 5550 xxxx
    _Range(61, "27010xxxx", _F, "acma"),  # NSW/ACT (02) 7010 xxxx
    _Range(61, "35550xxxx", _F, "acma"),  # VIC/TAS (03) 5550 xxxx
    _Range(61, "37010xxxx", _F, "acma"),  # VIC/TAS (03) 7010 xxxx
    _Range(61, "75550xxxx", _F, "acma"),  # QLD (07) 5550 xxxx
    _Range(61, "77010xxxx", _F, "acma"),  # QLD (07) 7010 xxxx
    _Range(61, "85550xxxx", _F, "acma"),  # SA/WA/NT (08) 5550 xxxx
    _Range(61, "87010xxxx", _F, "acma"),  # SA/WA/NT (08) 7010 xxxx
    *(_Range(61, "491" + tail, _M, "acma") for tail in _ACMA_MOBILES),  # 0491 57x xxx, one each
    _Range(33, "19900xxxx", _F, "arcep"),  # 01 99 00 xx xx (Paris region)
    _Range(33, "26191xxxx", _F, "arcep"),  # 02 61 91 xx xx (north-west)
    _Range(33, "35301xxxx", _F, "arcep"),  # 03 53 01 xx xx (north-east)
    _Range(33, "46571xxxx", _F, "arcep"),  # 04 65 71 xx xx (south-east)
    _Range(33, "53649xxxx", _F, "arcep"),  # 05 36 49 xx xx (south-west)
    _Range(33, "63998xxxx", _M, "arcep"),  # 06 39 98 xx xx mobile (libphonenumber: invalid)
    _Range(49, "3023125xxx", _F, "bnetza"),  # Berlin (0)30 23125 000-999
    _Range(49, "6990009xxx", _F, "bnetza"),  # Frankfurt/Main (0)69 90009 000-999
    _Range(49, "4066969xxx", _F, "bnetza"),  # Hamburg (0)40 66969 000-999
    _Range(49, "2214710xxx", _F, "bnetza"),  # Köln (0)221 4710 000-999
    _Range(49, "8999998xxx", _F, "bnetza"),  # München (0)89 99998 000-999
    *(_Range(46, f"7017406{i:02d}", _M, "pts") for i in range(5, 100)),  # 070-174 06 05..99
)
# Ireland: a ComReg reservation (020 91...) is reported, but libphonenumber holds no valid number in
# it, so Irish numbers take the example-block fallback like every country not listed.

# A country's fictional numbers are drawn only when the pool holds at least this many: fewer would
# make distinct people collide so often that the caller's retries could not separate them.
MIN_POOL = 100


# --- data: payment cards --------------------------------------------------------------------------

# Issuer prefixes (IIN ranges) and lengths, as the networks publish them (Visa, Mastercard incl. the
# 2-series announced 2016, American Express, Discover Global Network incl. Diners/UnionPay
# acceptance, JCB). (brand, low prefix, high prefix, lengths); prefixes compare as equal-length text.
_BRANDS: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    ("visa", "4", "4", (13, 16, 19)),
    ("mastercard", "51", "55", (16,)),
    ("mastercard", "2221", "2720", (16,)),
    ("amex", "34", "34", (15,)),
    ("amex", "37", "37", (15,)),
    ("discover", "6011", "6011", (16, 17, 18, 19)),
    ("discover", "644", "649", (16, 17, 18, 19)),
    ("discover", "65", "65", (16, 17, 18, 19)),
    ("jcb", "3528", "3589", (16, 17, 18, 19)),
    ("diners", "300", "305", (14, 15, 16, 17, 18, 19)),
    ("diners", "3095", "3095", (14, 15, 16, 17, 18, 19)),
    ("diners", "36", "36", (14, 15, 16, 17, 18, 19)),
    ("diners", "38", "39", (16, 17, 18, 19)),
    ("unionpay", "62", "62", (16, 17, 18, 19)),
)

# Prefixes of published test card numbers (Stripe's testing page, and the long-standing 4111... /
# 5105... numbers of Braintree, Adyen and PayPal sandboxes). Fakes are a prefix, keyed digits and a
# Luhn check digit, so a fake is recognised by prefix and Luhn alone.
TEST_PREFIXES: dict[str, tuple[str, ...]] = {
    "visa": (
        "42424242",
        "40000566",
        "41111111",
    ),  # 4242 4242 4242 4242, 4000 0566 5566 5556, 4111 1111 1111 1111
    "mastercard": (
        "55555555",
        "22230031",
        "51051051",
    ),  # 5555 5555 5555 4444, 2223 0031 2200 3222, 5105 1051 0510 5100
    "amex": ("378282", "371449"),  # 3782 822463 10005, 3714 496353 98431
    "discover": ("60111111", "60110009"),  # 6011 1111 1111 1117, 6011 0009 9013 9424
    "jcb": ("35660020",),  # 3566 0020 2036 0505
    "diners": ("30569300", "362272"),  # 3056 9300 0902 0004, 3622 720627 1667
    "unionpay": ("62000000",),  # 6200 0000 0000 0005
}


# --- data: national ids ---------------------------------------------------------------------------

# US SSN (SSA, "Social Security Number Randomization", 2011): areas 000, 666 and 900-999 are never
# assigned, nor group 00 or serial 0000. Areas 9xx with these groups are IRS ITINs (also personal).
_ITIN_GROUPS = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])
_SSN_FAKE_AREA = "666"

# UK National Insurance numbers (HMRC National Insurance Manual NIM39110): first letter never D, F,
# I, Q, U, V; second never D, F, I, O, Q, U, V; these pairs are not allocated. QQ is HMRC's own
# documentation example (QQ 12 34 56 C) and can never be issued.
_NINO_BAD_FIRST = frozenset("DFIQUV")
_NINO_BAD_SECOND = frozenset("DFIOQUV")
_NINO_BAD_PAIRS = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_NINO_FAKE_PREFIX = "QQ"

# IBAN lengths per country (SWIFT IBAN Registry, ISO 13616). Check digits are 98 - (n mod 97), so
# always 02..98: a fake with check digits 00 keeps the country, length and alphabet and can never
# be a real account.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_FAKE_CHECK = "00"


# --- API ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One personal value in a text: its kind and where it is."""

    kind: str  # "phone", "card" or "national_id"
    start: int
    end: int
    value: str


def find(text: str) -> list[Found]:
    """Every phone number, payment card number and national id in TEXT, left to right, non-overlapping."""
    if not _HINT.search(text):
        return []
    found = [*_cards(text), *_national_ids(text), *_phones(text)]
    found.sort(key=lambda f: (f.start, f.start - f.end, _PRIORITY[f.kind]))
    out: list[Found] = []
    for f in found:
        if not out or f.start >= out[-1].end:
            out.append(f)
    return out


def classify(value: str) -> str | None:
    """The kind when the WHOLE value (exactly, no stripping) is one of them, else None."""
    found = find(value)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(value):
        return found[0].kind
    return None


def fake(kind: str, value: str, stream: Iterator[int]) -> str:
    """A format-true fake of VALUE drawn from STREAM (keyed random bytes); the same stream gives the same fake."""
    if kind == PHONE:
        return _fake_phone(value, stream)
    if kind == CARD:
        return _fake_card(value, stream)
    if kind == NATIONAL_ID:
        return _fake_national_id(value, stream)
    raise ValueError(f"unknown kind {kind!r}")


def is_fake(kind: str, value: str) -> bool:
    """Provable from the value alone (no list): is VALUE one of the fakes `fake` produces?"""
    if kind == PHONE:
        return _phone_is_fake(value)
    if kind == CARD:
        return _card_is_fake(value)
    if kind == NATIONAL_ID:
        return _national_id_is_fake(value)
    return False


# --- shared helpers -------------------------------------------------------------------------------

_PRIORITY = {CARD: 0, NATIONAL_ID: 1, PHONE: 2}

# Cheap gate before any detector: a '+', seven digits with at most two separators between each, or
# the letters-and-digits start of a National Insurance number or an IBAN. Nothing else can match.
_HINT = re.compile(r"\+|\d(?:[ ().\-/]{0,2}\d){6}|[A-Z]{2} ?\d{2} ?[A-Z0-9]{2} ?[A-Z0-9]{2}")


def _below(stream: Iterator[int], n: int) -> int:
    """A uniform integer in [0, n) from the byte stream (rejection sampling, no modulo bias)."""
    if n <= 1:
        return 0
    size = (n.bit_length() + 7) // 8 + 1
    limit = (256**size // n) * n
    while True:
        v = int.from_bytes(bytes(next(stream) & 0xFF for _ in range(size)), "big")
        if v < limit:
            return v % n


def _digits(stream: Iterator[int], count: int) -> str:
    return f"{_below(stream, 10**count):0{count}d}" if count else ""


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_digit(body: str) -> str:
    """The check digit that makes BODY + digit pass Luhn."""
    for d in "0123456789":
        if _luhn_ok(body + d):
            return d
    raise AssertionError("unreachable")  # pragma: no cover


def _respell(template: str, new: str, keep: str = "") -> str:
    """TEMPLATE with its alphanumerics (outside KEEP) replaced in order by NEW: separators stay put."""
    chars = list(template)
    it = iter(new)
    for i, c in enumerate(chars):
        if c.isalnum() and c not in keep:
            chars[i] = next(it)
    return "".join(chars)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


# --- phones ---------------------------------------------------------------------------------------

# Only then is the (slow, pure Python) matcher run: a '+', an international prefix followed by a
# separator, a NANP-shaped number, or a tel:/sms:/callto: URI.
_PHONE_HINT = re.compile(
    r"\+[\s(]*\d|(?<!\d)0(?:0|11)[ .\-]?[1-9]|\(\d{3}\)|\d{3}-\d{3}-\d{4}|(?i:tel|sms|callto):"
)
_IDD00_HINT = re.compile(r"(?<!\d)00[ .\-]?[1-9]")
# National numbers are taken only in shapes that say "telephone" (NANP only: elsewhere a national
# number without its country code is ambiguous between countries and too like an ordinary count).
_NANP_SHAPE = re.compile(r"(?:1[ \-]?)?(?:\(\d{3}\) ?|\d{3}-)\d{3}-\d{4}")
_URI_SCHEMES = ("tel:", "sms:", "callto:")
# An international prefix must stand apart ("00 44 20...", "0044 20...", "011 44..."): a bare run
# such as a 12-digit account id 004512345678 is never read as a number dialled from abroad.
_IDD_SHAPE = {"00": re.compile(r"00(?:[ .\-]|[1-9]\d{0,2} )"), "011": re.compile(r"011[ .\-]")}


@dataclass(frozen=True)
class _Phone:
    number: PhoneNumber
    form: str  # "plus", "idd" or "national"


def _parse_phone(value: str) -> _Phone | None:
    """VALUE read as one phone number in the forms `find` reports; validity is not checked here."""
    if not value or any(c.isalpha() for c in value):
        return None
    try:
        if value.startswith("+"):
            return _Phone(phonenumbers.parse(value, None), "plus")
        if value.startswith(("00", "011")):
            region = "US" if value.startswith("011") else "GB"
            number = phonenumbers.parse(value, region, keep_raw_input=True)
            if number.country_code_source != phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD:
                return None
            return _Phone(number, "idd")
        number = phonenumbers.parse(value, "US")
    except NumberParseException:
        return None
    return _Phone(number, "national") if number.country_code == 1 else None


def _phones(text: str) -> list[Found]:
    if not _PHONE_HINT.search(text):
        return []
    out: dict[tuple[int, int], Found] = {}
    passes = [("US", False)] + ([("GB", True)] if _IDD00_HINT.search(text) else [])
    for region, idd_only in passes:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            f = _accept(text, match.start, match.raw_string, match.number, idd_only)
            if f is not None:
                out[(f.start, f.end)] = f
    return list(out.values())


def _accept(text: str, start: int, raw: str, number: PhoneNumber, idd_only: bool) -> Found | None:
    """The matcher's candidate as a Found, when its form and surroundings make it surely a phone."""
    if number.extension:  # the extension stays: it is not the number, and alone identifies nobody
        keep = len(_ascii_digits(raw)) - len(number.extension)
        seen = 0
        for i, c in enumerate(raw):
            seen += c.isdecimal()
            if seen == keep:
                raw = raw[: i + 1]
                break
    end = start + len(raw)
    before = text[start - 1] if start else ""
    after = text[end : end + 2]
    # Glued to a word, a version or another number it is part of something else ("v1.0+1415...",
    # base64); an international number may follow a path separator ("/users/+14155552671").
    glued = "_+" if raw.startswith("+") else "_+/\\.-"
    if before and (before.isalnum() or before in glued):
        return None
    if after[:1].isalnum() or after[:1] == "_":
        return None
    if after[:1] in "-./" and after[1:2].isdecimal():
        return None
    if raw.startswith("+"):
        form_ok = not idd_only
    elif raw.startswith("00"):
        form_ok = bool(_IDD_SHAPE["00"].match(raw)) and idd_only
    elif raw.startswith("011"):
        form_ok = bool(_IDD_SHAPE["011"].match(raw)) and not idd_only
    else:
        uri = text[max(0, start - 7) : start].lower().endswith(_URI_SCHEMES)
        form_ok = (
            not idd_only and number.country_code == 1 and (bool(_NANP_SHAPE.fullmatch(raw)) or uri)
        )
    if not form_ok or _parse_phone(raw) is None:
        return None
    return Found(PHONE, start, end, raw)


def _nsn(number: PhoneNumber) -> str:
    return phonenumbers.national_significant_number(number)


def _region(number: PhoneNumber) -> str | None:
    return phonenumbers.region_code_for_number(number)


def _same_type(a: int, b: int) -> bool:
    either = {_F, _M, _FM}
    return a == b or (a in either and b in either and _FM in (a, b))


@functools.cache
def _pattern_re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("nnn", "[2-9]dd").replace("x", "d").replace("d", r"\d"))


def _valid_in(e164: str, region: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.is_valid_number(number) and _region(number) == region


@functools.cache
def _area_codes(entry: _Range, region: str) -> tuple[str, ...]:
    """The NANP area codes of REGION whose numbers in ENTRY libphonenumber accepts."""
    tail = entry.pattern[3:]
    return tuple(
        str(npa)
        for npa in range(200, 1000)
        if all(_valid_in(f"+1{npa}{tail.replace('x', d)}", region) for d in "09")
    )


@functools.cache
def _capacity(entry: _Range, region: str) -> int:
    """How many valid numbers of REGION the range can give (0: none, or not that region's)."""
    free = int("1" + "0" * entry.pattern.count("x"))
    if entry.pattern.startswith("nnn"):
        return len(_area_codes(entry, region)) * free
    samples = {entry.pattern.replace("x", d) for d in "059"}
    return free if all(_valid_in(f"+{entry.cc}{s}", region) for s in samples) else 0


def _pool(number: PhoneNumber, region: str) -> list[tuple[_Range, int]]:
    """The fictional ranges a fake of NUMBER draws from: its own type first, then geographic, then any."""
    kind = phonenumbers.number_type(number)
    usable = [
        (e, c) for e in FICTIONAL if e.cc == number.country_code if (c := _capacity(e, region))
    ]
    for pool in (
        [(e, c) for e, c in usable if _same_type(e.type, kind)],
        [(e, c) for e, c in usable if e.type in (_F, _FM)],
        usable,
    ):
        if sum(c for _, c in pool) >= MIN_POOL:
            return pool
    return []


def _number_at(pool: list[tuple[_Range, int]], pick: int, region: str) -> str:
    """The PICKth number (E.164) of POOL, counting through its ranges in order."""
    for entry, cap in pool:
        if pick >= cap:
            pick -= cap
            continue
        free = entry.pattern.count("x")
        block = int("1" + "0" * free)
        nsn = entry.pattern
        if nsn.startswith("nnn"):
            nsn = _area_codes(entry, region)[pick // block] + nsn[3:]
        if free:
            nsn = _respell(nsn, f"{pick % block:0{free}d}", keep="0123456789")
        return f"+{entry.cc}{nsn}"
    raise IndexError(pick)


def _fictional(number: PhoneNumber, stream: Iterator[int]) -> PhoneNumber | None:
    """A valid number of NUMBER's own region in its fictional ranges, or None when they are too few."""
    region = _region(number)
    pool = _pool(number, region) if region is not None else []
    if region is None or not pool:
        return None
    total = sum(c for _, c in pool)
    for _ in range(64):
        e164 = _number_at(pool, _below(stream, total), region)
        candidate = phonenumbers.parse(e164, None)
        if _valid_in(e164, region) and _nsn(candidate) != _nsn(number):
            return candidate
    return None


def _varied(length: int) -> int:
    """How many trailing digits of an example number a fake may change (the last is a Luhn digit)."""
    return 4 if length >= 8 else 3 if length >= 6 else 2


@functools.cache
def _examples(region: str, cc: int) -> tuple[tuple[int, str], ...]:
    """libphonenumber's example national numbers of REGION, per number type."""
    out: list[tuple[int, str]] = []
    if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        ex = phonenumbers.example_number_for_non_geo_entity(cc)
        return ((PhoneNumberType.UNKNOWN, _nsn(ex)),) if ex is not None else ()
    for t in (_F, _M, *sorted(set(range(11)) - {_F, _M})):
        ex = phonenumbers.example_number_for_type(region, t)
        if ex is not None:
            out.append((t, _nsn(ex)))
    return tuple(out)


def _example_block(number: PhoneNumber, stream: Iterator[int]) -> PhoneNumber | None:
    """A valid number next to libphonenumber's example of NUMBER's region and type, Luhn-marked."""
    region = _region(number)
    if region is None:
        return None
    kind = phonenumbers.number_type(number)
    examples = _examples(region, number.country_code)
    ordered = [nsn for t, nsn in examples if _same_type(t, kind)] + [nsn for _, nsn in examples]
    for example in dict.fromkeys(ordered):
        base = _varied(len(example))
        for vary in range(base, 0, -1):
            for _ in range(40 if vary > 1 else 1):
                body = example[:-vary] + _digits(stream, vary - 1)
                nsn = body + _luhn_digit(body)
                e164 = f"+{number.country_code}{nsn}"
                if nsn != _nsn(number) and _valid_in(e164, region):
                    return phonenumbers.parse(e164, None)
    return None


def _in_example_block(number: PhoneNumber) -> bool:
    region = _region(number)
    if region is None:
        return False
    nsn = _nsn(number)
    for _, example in _examples(region, number.country_code):
        keep = len(example) - _varied(len(example))
        if len(example) == len(nsn) and nsn[:keep] == example[:keep] and _luhn_ok(nsn):
            return True
    return False


def _render(value: str, original: _Phone, number: PhoneNumber) -> str:
    """NUMBER written as VALUE was: same separators when the digit counts agree, else that form's standard."""
    nsn, old = _nsn(number), _nsn(original.number)
    digits = _ascii_digits(value)
    if digits.endswith(old) and len(nsn) == len(old):
        out = list(value)
        new = iter(digits[: len(digits) - len(old)] + nsn)
        for i, c in enumerate(out):
            if c.isdecimal():
                out[i] = next(new)
        return "".join(out)
    compact = not any(not (c.isdecimal() or c == "+") for c in value)
    cc = str(number.country_code)
    if original.form == "plus":
        return (
            f"+{cc}{nsn}"
            if compact
            else phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        )
    if original.form == "idd":
        idd = digits[: len(digits) - len(old) - len(cc)] if digits.endswith(old) else "00"
        return idd + " " + phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)[1:]
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return _ascii_digits(national) if compact else national


def _fake_phone(value: str, stream: Iterator[int]) -> str:
    original = _parse_phone(value)
    if original is None:
        raise ValueError(f"not a phone number: {value!r}")
    whole = classify(value) == PHONE
    for _ in range(16):
        number = _fictional(original.number, stream) or _example_block(original.number, stream)
        if number is None:
            raise ValueError(f"no fake for the region of {value!r}")
        out = _render(value, original, number)
        again = _parse_phone(out)
        if (
            out != value
            and again is not None
            and _nsn(again.number) == _nsn(number)
            and again.number.country_code == number.country_code
            and (not whole or classify(out) == PHONE)
        ):
            return out
    raise ValueError(f"no fake for {value!r}")  # pragma: no cover - every region tested


def _phone_is_fake(value: str) -> bool:
    parsed = _parse_phone(value)
    if parsed is None:
        return False
    number = parsed.number
    nsn = _nsn(number)
    for entry in FICTIONAL:
        if entry.cc == number.country_code and _pattern_re(entry.pattern).fullmatch(nsn):
            return True
    return phonenumbers.is_valid_number(number) and _in_example_block(number)


# --- cards ----------------------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w.])(?<!\d[ -])(?<!\w-)"
    r"(?:\d{4}(?P<s>[ -])\d{4}(?P=s)\d{4}(?P=s)(?:\d{4}(?P=s)\d{1,3}|\d{1,4})"
    r"|\d{4}(?P<a>[ -])\d{6}(?P=a)\d{4,5}"
    r"|\d{13,19})"
    r"(?![\w]|[.,]\d|[ -]\d)",
    re.ASCII,
)


def _brand(digits: str) -> str | None:
    for brand, low, high, lengths in _BRANDS:
        if len(digits) in lengths and low <= digits[: len(low)] <= high:
            return brand
    return None


def _cards(text: str) -> list[Found]:
    out = []
    for m in _CARD.finditer(text):
        digits = _ascii_digits(m.group())
        if _brand(digits) and _luhn_ok(digits):
            out.append(Found(CARD, m.start(), m.end(), m.group()))
    return out


def _card_digits(value: str) -> str | None:
    """The digits of VALUE when it is written as `find` reports a card."""
    m = _CARD.fullmatch(value)
    return _ascii_digits(value) if m else None


def _fake_card(value: str, stream: Iterator[int]) -> str:
    digits = _card_digits(value)
    brand = _brand(digits) if digits else None
    if digits is None or brand is None:
        raise ValueError(f"not a card number: {value!r}")
    prefixes = [
        p
        for p in TEST_PREFIXES[brand]
        if len(p) <= len(digits) - 2 and _brand(p + "0" * (len(digits) - len(p))) == brand
    ]
    while True:
        prefix = prefixes[_below(stream, len(prefixes))]
        body = prefix + _digits(stream, len(digits) - len(prefix) - 1)
        out = _respell(value, body + _luhn_digit(body))
        if out != value:
            return out


def _card_is_fake(value: str) -> bool:
    digits = _card_digits(value)
    if digits is None or not _luhn_ok(digits):
        return False
    brand = _brand(digits)
    return brand is not None and any(
        digits.startswith(p) and len(p) <= len(digits) - 2 for p in TEST_PREFIXES[brand]
    )


# --- national ids ---------------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w]|-\d)", re.ASCII)
_NINO = re.compile(
    r"(?<![A-Za-z0-9])([A-Z])([A-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])", re.ASCII
)
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}"
    r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)"
    r"(?![A-Za-z0-9])",
    re.ASCII,
)


def _ssn_real(area: str, group: str, serial: str) -> bool:
    if group == "00" or serial == "0000" or area in ("000", _SSN_FAKE_AREA):
        return False
    return area < "900" or int(group) in _ITIN_GROUPS


def _nino_real(first: str, second: str) -> bool:
    return (
        first not in _NINO_BAD_FIRST
        and second not in _NINO_BAD_SECOND
        and first + second not in _NINO_BAD_PAIRS
    )


def _iban_real(value: str) -> bool:
    compact = value.replace(" ", "")
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not "02" <= compact[2:4] <= "98":
        return False  # check digits are computed as 02..98: 00, 01 and 99 pass mod 97 but are never issued
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _national_ids(text: str) -> list[Found]:
    out = [
        Found(NATIONAL_ID, m.start(), m.end(), m.group())
        for m in _SSN.finditer(text)
        if _ssn_real(*m.groups())
    ]
    out += [
        Found(NATIONAL_ID, m.start(), m.end(), m.group())
        for m in _NINO.finditer(text)
        if _nino_real(*m.groups())
    ]
    out += [
        Found(NATIONAL_ID, m.start(), m.end(), m.group())
        for m in _IBAN.finditer(text)
        if _iban_real(m.group())
    ]
    return out


def _letters(stream: Iterator[int], count: int) -> str:
    return "".join(chr(65 + _below(stream, 26)) for _ in range(count))


def _fake_national_id(value: str, stream: Iterator[int]) -> str:
    if _SSN.fullmatch(value):
        group = f"{1 + _below(stream, 99):02d}"
        serial = f"{1 + _below(stream, 9999):04d}"
        return f"{_SSN_FAKE_AREA}-{group}-{serial}"
    if _NINO.fullmatch(value):
        body = _NINO_FAKE_PREFIX + _digits(stream, 6) + "ABCD"[_below(stream, 4)]
        return _respell(value, body)
    if _IBAN.fullmatch(value):
        compact = value.replace(" ", "")
        bban = "".join(
            _letters(stream, 1) if c.isalpha() else _digits(stream, 1) for c in compact[4:]
        )
        return _respell(value, compact[:2] + _IBAN_FAKE_CHECK + bban)
    raise ValueError(f"not a national id: {value!r}")


def _national_id_is_fake(value: str) -> bool:
    m = _SSN.fullmatch(value)
    if m:
        area, group, serial = m.groups()
        return area == _SSN_FAKE_AREA and group != "00" and serial != "0000"
    m = _NINO.fullmatch(value)
    if m:
        return m.group(1) + m.group(2) == _NINO_FAKE_PREFIX
    if _IBAN.fullmatch(value):
        compact = value.replace(" ", "")
        return IBAN_LENGTHS.get(compact[:2]) == len(compact) and compact[2:4] == _IBAN_FAKE_CHECK
    return False
