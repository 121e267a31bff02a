"""Every place any of many needles occurs in a text, in time linear in the text.

pyahocorasick's `iter` follows the failure chain at every position of the text, so a needle of
n characters costs up to n steps per character of a text that repeats its prefix: a 20,000
character name in a 20,000 character field took 2.6 s, a 250,000 character one minutes (a
hostile fixture's own value is both the needle and the text). Needles longer than `LONG` are
found with `str.find` instead, occurrence after occurrence without overlap (an overlapping
search is quadratic again on a text that repeats the needle), so the automaton's chains stay
short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

LONG = 64
"""Longest needle the automaton holds (identifiers, names and addresses are shorter)."""


class Needles:
    """Add needles with a value each, `make()`, then `iter(text)`: (end index, value) for every
    occurrence, as pyahocorasick's `iter` gives them (end is the index of the last character)."""

    def __init__(self) -> None:
        import ahocorasick

        self._automaton: Any = ahocorasick.Automaton()
        self._short = 0
        self._long: dict[str, Any] = {}

    def __len__(self) -> int:
        return self._short + len(self._long)

    def add(self, needle: str, value: Any) -> None:
        if len(needle) > LONG:
            self._long.setdefault(needle, value)
        elif needle:
            self._short += self._automaton.add_word(needle, value)

    def make(self) -> None:
        if self._short:
            self._automaton.make_automaton()

    def iter(self, text: str) -> Iterator[tuple[int, Any]]:
        if self._short:
            yield from self._automaton.iter(text)
        for needle, value in self._long.items():
            at = text.find(needle)
            while at >= 0:
                yield at + len(needle) - 1, value
                at = text.find(needle, at + len(needle))
