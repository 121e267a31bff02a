"""The marks pagetape's fakes carry, so anyone can prove a value is a fake without trusting a
list the cassette itself holds: an account id's public check digits, the PAGETAPE mark of keys
and signatures, the `pagetape-secret-` prefix and the reserved `.example` domain of emails."""

from __future__ import annotations

import hashlib

FAKE_MARK = "PAGETAPE"
SECRET_FAKE_PREFIX = "pagetape-secret-"
FAKE_EMAIL_TLD = "example"
_CHECK_SALT = b"pagetape-account-check:"


def account_check(first8: str) -> str:
    """The four check digits of a fake account id: public, so anyone can prove a fake."""
    digest = hashlib.sha256(_CHECK_SALT + first8.encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


def is_fake_account(value: str) -> bool:
    digits = value.replace("-", "")
    return len(digits) == 12 and digits.isdigit() and account_check(digits[:8]) == digits[8:]


def is_fake_email(value: str) -> bool:
    domain = value.replace("%40", "@").rpartition("@")[2].lower()
    return domain == FAKE_EMAIL_TLD or domain.endswith("." + FAKE_EMAIL_TLD)
