"""pagetape.sanitize.personal: phone numbers, cards and national ids found, faked format-true, and proved fake.

Real phonenumbers throughout: the fakes must satisfy the same library the detector trusts.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import string
from collections.abc import Iterator
from datetime import datetime, timezone

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from pagetape.sanitize import personal
from pagetape.sanitize.personal import Found, classify, fake, find, is_fake

SECRET = b"test secret, never a real one"
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def keyed(value: str, attempt: int = 0) -> Iterator[int]:
    """The caller's stream: HMAC(secret, value) in counter mode, endless."""
    for block in itertools.count():
        msg = f"{attempt}:{block}:{value}".encode()
        yield from hmac.new(SECRET, msg, hashlib.sha256).digest()


def replaced(text: str, f: Found, new: str) -> str:
    return text[: f.start] + new + text[f.end :]


def assert_phone_roundtrip(number: str) -> None:
    """NUMBER is found in a sentence, faked to a valid other number of its country, found again, proved."""
    sentence = f"Please call {number} before noon."
    start = sentence.index(number)
    assert find(sentence) == [Found("phone", start, start + len(number), number)]
    assert classify(number) == "phone"

    out = fake("phone", number, keyed(number))
    assert out != number
    original = phonenumbers.parse(
        number.replace("00 ", "+", 1) if number.startswith("00 ") else number
    )
    faked = phonenumbers.parse(out.replace("00 ", "+", 1) if out.startswith("00 ") else out)
    assert phonenumbers.is_valid_number(faked), out
    assert faked.country_code == original.country_code
    assert phonenumbers.region_code_for_number(faked) == phonenumbers.region_code_for_number(
        original
    )
    assert is_fake("phone", out), out
    assert classify(out) == "phone"

    again = replaced(sentence, find(sentence)[0], out)
    assert find(again) == [Found("phone", start, start + len(out), out)]
    assert all(is_fake(f.kind, f.value) for f in find(again))
    assert fake("phone", number, keyed(number)) == out  # a pure function of value and stream


# --- phones: every region libphonenumber knows ----------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_example_found_faked_and_proved(region: str) -> None:
    for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        for fmt in (PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL):
            assert_phone_roundtrip(phonenumbers.format_number(example, fmt))


@st.composite
def real_numbers(draw: st.DrawFn) -> str:
    """A valid number of any region near its example number, written in one of the found forms."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE]))
    example = phonenumbers.example_number_for_type(region, kind)
    assume(example is not None)
    assert example is not None
    nsn = phonenumbers.national_significant_number(example)
    tail = draw(st.text("0123456789", min_size=2, max_size=2))
    number = phonenumbers.parse(f"+{example.country_code}{nsn[:-2]}{tail}")
    assume(phonenumbers.is_valid_number(number))
    assume(phonenumbers.region_code_for_number(number) == region)
    form = draw(st.sampled_from(["e164", "international", "idd"]))
    if form == "e164":
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return "00 " + international[1:] if form == "idd" else international


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(real_numbers())
def test_generated_numbers_of_many_countries(number: str) -> None:
    assert_phone_roundtrip(number)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("call +1 415 555 2671 now", "+1 415 555 2671"),
        ("tel:+48601234567", "+48601234567"),
        ("Kontakt: +48 601 234 567.", "+48 601 234 567"),
        ("ring 00 44 20 7946 0000 today", "00 44 20 7946 0000"),
        ("ring 0044 20 7946 0000 today", "0044 20 7946 0000"),
        ("office (415) 555-2671, ask for Ana", "(415) 555-2671"),
        ("office 415-555-2671", "415-555-2671"),
        ("toll free 1-800-555-2671", "1-800-555-2671"),
        ("tel:4155552671", "4155552671"),
        ("SMS:4155552671", "4155552671"),
        ("from abroad 011 48 601 234 567", "011 48 601 234 567"),
        ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ('{"phone_number": "+14155552671"}', "+14155552671"),
        ("/v1/users/+14155552671/messages", "+14155552671"),
    ],
)
def test_phone_forms_found(text: str, value: str) -> None:
    found = find(text)
    assert [(f.kind, f.value) for f in found] == [("phone", value)]
    assert text[found[0].start : found[0].end] == value


def test_extension_stays_outside_the_number() -> None:
    (f,) = find("+1 (415) 555-2671 ext. 123")
    assert f.value == "+1 (415) 555-2671"


def test_phone_formatting_is_kept() -> None:
    compact = fake("phone", "+48601234567", keyed("a"))
    assert compact.startswith("+48") and compact[1:].isdigit() and len(compact) == 12
    spaced = fake("phone", "+48 601 234 567", keyed("a"))
    assert [i for i, c in enumerate(spaced) if c == " "] == [3, 7, 11]
    nanp = fake("phone", "(415) 555-2671", keyed("a"))
    assert nanp[0] == "(" and nanp[4:6] == ") " and nanp[6:9] == "555" and nanp[9] == "-"
    assert 100 <= int(nanp[-4:]) <= 199


def test_fictional_ranges_are_used_where_they_exist() -> None:
    us = phonenumbers.parse(fake("phone", "+1 415 555 2671", keyed("us")))
    assert phonenumbers.national_significant_number(us)[3:8] == "55501"
    gb = phonenumbers.parse(fake("phone", "+44 7400 123456", keyed("gb")))
    nsn = phonenumbers.national_significant_number(gb)
    assert nsn[:7] in {e.pattern[:7] for e in personal.FICTIONAL if e.cc == 44}
    au = phonenumbers.parse(fake("phone", "+61 412 345 678", keyed("au")))
    assert phonenumbers.national_significant_number(au)[1:5] in {"5550", "7010"}
    de = phonenumbers.parse(fake("phone", "+49 30 901820", keyed("de")))
    assert phonenumbers.national_significant_number(de)[:-3] in {
        "3023125", "6990009", "4066969", "2214710", "8999998",
    }  # fmt: skip
    fr = phonenumbers.parse(fake("phone", "+33 1 42 68 53 00", keyed("fr")))
    assert phonenumbers.national_significant_number(fr)[:5] in {
        "19900", "26191", "35301", "46571", "53649",
    }  # fmt: skip


def test_fictional_numbers_are_fake_even_when_libphonenumber_rejects_them() -> None:
    for value in ("+44 7700 900123", "+44 1632 960001", "+61 491 570 156", "+33 6 39 98 12 34"):
        assert is_fake("phone", value)


def test_real_numbers_are_not_fake() -> None:
    for value in ("+48 601 234 567", "+1 415 555 2671", "+44 7400 987654", "+49 151 23456789"):
        assert not is_fake("phone", value)


def test_canada_stays_canadian() -> None:
    out = fake("phone", "+1 647 555 2671", keyed("ca"))
    assert phonenumbers.region_code_for_number(phonenumbers.parse(out)) == "CA"


# --- what is never a phone (nor anything else) -----------------------------------------------------

AWS_LOOKING = [
    "arn:aws:iam::123456789012:role/x",
    "arn:aws:sns:us-east-1:123456789012:alerts",
    "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0",
    "i-0123456789abcdef0",
    "sg-0123456789abcdef0",
    "1-5759e988-bd862e3fe1be46a994272793",
    "2024-01-31T12:30:45Z",
    "2024-01-31T12:30:45.123456+05:30",
    "Wed, 31 Jan 2024 12:30:45 GMT",
    "10.0.0.1",
    "10.0.0.1:8080",
    "192.168.100.200/24",
    "fe80::1ff:fe23:4567:890a",
    "1712345678901",
    "1712345678",
    "20240131123045",
    "1234-5678-9012",
    "logs/2024/01/31/app-20240131123045.gz",
    "v1.2.3+20240131123045",
    "build 1.0.0+4155552671",
    "ZXhhbXBsZQ+14155552671Zm9v",
    '"d41d8cd98f00b204e9800998ecf8427e"',
    "550e8400-e29b-41d4-a716-446655440000",
]


def assert_nothing_found(value: str) -> None:
    for text in (value, f"value {value} here", f'{{"k": "{value}", "n": {len(value)}}}'):
        assert find(text) == [], text


@pytest.mark.parametrize("value", AWS_LOOKING)
def test_aws_values_are_never_personal(value: str) -> None:
    assert_nothing_found(value)
    assert classify(value) is None


account_ids = st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}")
# Until 2090: a millisecond timestamp of 2096 on starts with 4 and can pass as a 13-digit Visa
# number (4080690000003 is Luhn-valid), which the card detector rightly does not rule out.
datetimes = st.datetimes(datetime(1971, 1, 1), datetime(2090, 1, 1))
hexes = (
    st.sampled_from([8, 17, 32, 40])
    .flatmap(lambda n: st.text("0123456789abcdef", min_size=n, max_size=n))
    .filter(lambda h: any(c.isalpha() for c in h))
)
not_personal = st.one_of(
    account_ids,
    account_ids.map(lambda a: f"{a[:4]}-{a[4:8]}-{a[8:]}"),
    account_ids.map(lambda a: f"arn:aws:iam::{a}:role/x"),
    account_ids.map(lambda a: f"arn:aws:lambda:us-east-1:{a}:function:f"),
    datetimes.map(lambda d: d.strftime("%Y%m%d%H%M%S")),
    datetimes.map(lambda d: d.isoformat() + "Z"),
    datetimes.map(lambda d: d.replace(tzinfo=timezone.utc).isoformat()),
    datetimes.map(lambda d: d.date().isoformat()),
    datetimes.map(lambda d: str(int(d.replace(tzinfo=timezone.utc).timestamp()))),
    datetimes.map(lambda d: str(int(d.replace(tzinfo=timezone.utc).timestamp() * 1000))),
    datetimes.map(lambda d: f"{d.replace(tzinfo=timezone.utc).timestamp():.3f}"),
    st.lists(st.integers(0, 10**6), min_size=2, max_size=4).map(lambda v: ".".join(map(str, v))),
    st.lists(st.integers(0, 999), min_size=3, max_size=3).map(
        lambda v: "v" + ".".join(map(str, v))
    ),
    st.ip_addresses(v=4).map(str),
    st.tuples(st.ip_addresses(v=4), st.integers(0, 65535)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.ip_addresses(v=6).map(str),
    st.integers(0, 65535).map(str),
    st.integers(0, 10**12).map(str),
    st.integers(0, 2**40).map(str),
    st.integers(0, 2**40).map(lambda n: f"{n} bytes"),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    hexes,
    hexes.map(lambda h: f"i-{h}"),
)


@settings(max_examples=400, deadline=None)
@given(not_personal)
def test_ids_timestamps_versions_addresses_counters_are_never_personal(value: str) -> None:
    assert_nothing_found(value)


def test_plain_text_never_reaches_the_phone_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("matcher ran")

    monkeypatch.setattr(personal, "PhoneNumberMatcher", refuse)
    for text in (
        "The quick brown fox jumps over the lazy dog.",
        "arn:aws:iam::123456789012:role/x created at 20240131123045 (1712345678901)",
        "instance i-0123456789abcdef0 at 10.0.0.1:8080 since 2024-01-31T12:30:45Z",
    ):
        assert find(text) == []


# --- cards ----------------------------------------------------------------------------------------

BRAND_STARTS = [
    ("visa", "4", (13, 16, 19)),
    ("mastercard", "51", (16,)),
    ("mastercard", "55", (16,)),
    ("mastercard", "2221", (16,)),
    ("mastercard", "2720", (16,)),
    ("amex", "34", (15,)),
    ("amex", "37", (15,)),
    ("discover", "6011", (16, 19)),
    ("discover", "65", (16,)),
    ("jcb", "3530", (16, 19)),
    ("diners", "36", (14,)),
    ("diners", "300", (14, 16)),
    ("unionpay", "62", (16, 19)),
]


def with_luhn(body: str) -> str:
    for d in string.digits:
        if personal._luhn_ok(body + d):
            return body + d
    raise AssertionError


def group(digits: str, sep: str) -> str:
    if len(digits) in (14, 15) and sep:
        return sep.join([digits[:4], digits[4:10], digits[10:]])
    if not sep:
        return digits
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str]:
    brand, start, lengths = draw(st.sampled_from(BRAND_STARTS))
    length = draw(st.sampled_from(lengths))
    body = start + draw(
        st.text(string.digits, min_size=length - len(start) - 1, max_size=length - len(start) - 1)
    )
    sep = draw(st.sampled_from(["", " ", "-"]))
    return brand, group(with_luhn(body), sep)


@settings(max_examples=200, deadline=None)
@given(cards())
def test_cards_found_and_faked_to_test_numbers_of_the_same_brand(card: tuple[str, str]) -> None:
    brand, number = card
    sentence = f"paid with {number}, thanks"
    (f,) = find(sentence)
    assert (f.kind, f.value) == ("card", number)
    out = fake("card", number, keyed(number))
    digits = out.replace(" ", "").replace("-", "")
    assert out != number
    assert personal._luhn_ok(digits)
    assert personal._brand(digits) == brand
    assert len(out) == len(number)
    assert [c for c in out if not c.isdigit()] == [c for c in number if not c.isdigit()]
    assert [i for i, c in enumerate(out) if not c.isdigit()] == [
        i for i, c in enumerate(number) if not c.isdigit()
    ]
    assert is_fake("card", out)
    (g,) = find(replaced(sentence, f, out))
    assert g.value == out and is_fake(g.kind, g.value)


@settings(max_examples=100, deadline=None)
@given(cards())
def test_non_luhn_runs_are_not_cards(card: tuple[str, str]) -> None:
    _, number = card
    last = str((int(number[-1]) + 1) % 10)
    assert find(f"ref {number[:-1]}{last} end") == []


def test_published_test_cards_are_fake() -> None:
    for number in (
        "4242 4242 4242 4242",
        "5555555555554444",
        "378282246310005",
        "2223003122003222",
    ):
        assert classify(number) == "card"
        assert is_fake("card", number)
    assert not is_fake("card", "4556 7375 8689 9855")  # Luhn-valid, not a test prefix


def test_floats_and_ids_with_card_digits_are_not_cards() -> None:
    for text in (
        "0.4242424242424242",
        "4242424242424242.5",
        "i-4242424242424242",
        "x4242424242424242",
    ):
        assert find(text) == [], text


# --- national ids ---------------------------------------------------------------------------------

ssns = st.tuples(
    st.integers(1, 899).filter(lambda a: a != 666), st.integers(1, 99), st.integers(1, 9999)
).map(lambda t: f"{t[0]:03d}-{t[1]:02d}-{t[2]:04d}")


@settings(max_examples=100, deadline=None)
@given(ssns)
def test_ssn_found_and_faked_into_area_666(ssn: str) -> None:
    (f,) = find(f"SSN {ssn} on file")
    assert (f.kind, f.value) == ("national_id", ssn)
    out = fake("national_id", ssn, keyed(ssn))
    assert out.startswith("666-") and len(out) == 11 and out[6] == "-"
    assert is_fake("national_id", out)
    assert find(f"SSN {out} on file") == []  # never issued, so not reported


def test_ssn_never_issued_areas_and_itins() -> None:
    for value in ("000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"):
        assert find(value) == [], value
    assert classify("912-70-1234") == "national_id"  # an ITIN is personal too
    assert find("123456789") == []  # without dashes, nine digits are just a number


nino_first = "ABCEGHJKLMNOPRSTWXYZ"
nino_second = "ABCEGHJKLMNPRSTWXYZ"
ninos = st.tuples(
    st.sampled_from(nino_first),
    st.sampled_from(nino_second),
    st.text(string.digits, min_size=6, max_size=6),
    st.sampled_from("ABCD"),
    st.booleans(),
).filter(lambda t: t[0] + t[1] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


@settings(max_examples=100, deadline=None)
@given(ninos)
def test_nino_found_and_faked_with_prefix_qq(parts: tuple[str, str, str, str, bool]) -> None:
    a, b, digits, suffix, spaced = parts
    nino = (
        f"{a}{b} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
        if spaced
        else f"{a}{b}{digits}{suffix}"
    )
    assert classify(nino) == "national_id"
    out = fake("national_id", nino, keyed(nino))
    assert out.startswith("QQ") and len(out) == len(nino)
    assert [i for i, c in enumerate(out) if c == " "] == [i for i, c in enumerate(nino) if c == " "]
    assert is_fake("national_id", out)
    assert find(out) == []


def iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(personal.IBAN_LENGTHS)).flatmap(
        lambda c: st.tuples(
            st.just(c),
            st.text(
                string.digits + string.ascii_uppercase,
                min_size=personal.IBAN_LENGTHS[c] - 4,
                max_size=personal.IBAN_LENGTHS[c] - 4,
            ),
        )
    ),
    st.booleans(),
)
def test_iban_found_and_faked_with_check_digits_00(parts: tuple[str, str], paper: bool) -> None:
    compact = iban(*parts)
    value = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4)) if paper else compact
    assert classify(value) == "national_id"
    out = fake("national_id", value, keyed(value))
    assert out[:2] == value[:2] and out[2:4] == "00" and len(out) == len(value)
    assert [c.isdigit() for c in out[4:]] == [c.isdigit() for c in value[4:]]
    assert is_fake("national_id", out)
    assert find(out) == []


def test_registry_example_iban() -> None:
    assert classify("GB82 WEST 1234 5698 7654 32") == "national_id"
    assert classify("GB83 WEST 1234 5698 7654 32") is None  # checksum fails


# --- the API as the engine uses it ----------------------------------------------------------------


def test_classify_is_exact() -> None:
    assert classify("+14155552671") == "phone"
    assert classify(" +14155552671") is None
    assert classify("+14155552671 ") is None
    assert classify("call +14155552671") is None
    assert classify("4242424242424242") == "card"
    assert classify("123-45-6789") == "national_id"
    assert classify("hello") is None


def test_find_is_left_to_right_and_non_overlapping() -> None:
    text = "A +48 601 234 567, card 4242 4242 4242 4242, SSN 123-45-6789, NI AB 12 34 56 C."
    found = find(text)
    assert [f.kind for f in found] == ["phone", "card", "national_id", "national_id"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(text[f.start : f.end] == f.value for f in found)


def test_fakes_depend_on_the_stream_and_rarely_collide() -> None:
    value = "+48 601 234 567"
    assert fake("phone", value, keyed(value, 0)) != fake("phone", value, keyed(value, 1))
    values = [f"+1 415 555 {n:04d}" for n in range(2000, 2060)]
    fakes = {fake("phone", v, keyed(v)) for v in values}
    assert len(fakes) >= 55  # the caller asks again on the few collisions


def test_unknown_kind_and_wrong_values() -> None:
    with pytest.raises(ValueError):
        fake("email", "a@b.c", keyed("x"))
    with pytest.raises(ValueError):
        fake("phone", "hello", keyed("x"))
    with pytest.raises(ValueError):
        fake("card", "1234", keyed("x"))
    with pytest.raises(ValueError):
        fake("national_id", "1234", keyed("x"))
    assert not is_fake("email", "a@b.c")
    assert not is_fake("phone", "hello")
