"""Mainland mobile numbers as people type them ("138 0000 0000", "138-0000-0000",
"+86 138…"), read one way everywhere: sign-in, contracts, imports."""
from __future__ import annotations

from typing import Any

SEPARATORS = frozenset(" -()+")


def mobile_digits(value: Any) -> str:
    """The number with spaces, dashes, brackets and a +86/86 country prefix taken away."""
    digits = "".join(ch for ch in str(value or "") if not (ch.isspace() or ch in SEPARATORS))
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def valid_mobile(value: Any) -> str | None:
    """11 digits starting with 1 ("" when nothing was given), or None when malformed."""
    digits = mobile_digits(value)
    if not digits:
        return ""
    return digits if len(digits) == 11 and digits.isascii() and digits.isdigit() and digits.startswith("1") else None
