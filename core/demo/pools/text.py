"""Helpers for writing the pools and for turning their words into addresses and numbers."""

from __future__ import annotations

import re
import unicodedata


def words(pool: str) -> tuple[str, ...]:
    """A pool written as "a|b|c" (names may contain spaces)."""
    return tuple(word.strip() for word in pool.split("|"))


_ASCII = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                        "đ": "d", "ı": "i", "œ": "oe", "þ": "th", "ð": "d"})


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Łucja Dąbrowska-Öberg" -> "lucjadabrowskaoberg"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return re.sub(r"[^a-z0-9]+", "", decomposed.encode("ascii", "ignore").decode().lower())


def fill_digits(pattern: str, digits: str) -> str:
    """Replace each "#" of a phone or postal pattern with the next digit of `digits`."""
    supply = iter(digits)
    return "".join(next(supply) if char == "#" else char for char in pattern)
