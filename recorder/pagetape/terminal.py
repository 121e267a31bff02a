"""Text from a cassette made safe for a terminal: a hostile cassette must not be able to move
the cursor, recolour, retitle or hide text (ANSI escapes, carriage returns, bidi overrides) or
forge extra output lines through what pagetape prints."""

from __future__ import annotations

import re

# C0 and C1 controls (tab excepted), DEL, zero-width and bidi formatting, line separators.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """TEXT on one line with every unsafe character shown as a visible escape (\\x1b, \\u202e)."""
    return _UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like `printable`, line by line: the newlines of TEXT itself are kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """N and NOUN agreeing in number: `1 page`, `2 pages`, `0 findings`."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def article(word: str) -> str:
    """WORD after the indefinite article it takes: `an integer`, `a string`."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
