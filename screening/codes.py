"""The short code printed on the invitation handout beside the QR code, for a patient who
types rather than scans: eight characters grouped in two (``KQ7M-4TXP``), from an alphabet
without the characters people confuse when they read or type them (I, L, 1, O, 0).

Pure Python, no Django: making a code, writing it for print, and reading what a patient typed.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0 or 1
LENGTH = 8  # 31**8, about 8.5e11 codes; tries are limited per address and the link's DOB check
GROUP = 4
EXAMPLE = "KQ7M-4TXP"
# What people put between the groups, or around the code, when they type it.
_SEPARATORS = str.maketrans("", "", " \t\r\n-‐‑‒–—_.")
_CONFUSABLE = frozenset("IL1O0")


class CodeFormatError(ValueError):
    """What was typed cannot be a code; the message says how to fix it."""


def generate() -> str:
    """A new random code, as stored and hashed (no separator)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def printed(code: str) -> str:
    """The code as printed: ``KQ7M-4TXP``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """The code a patient typed, without case, spaces or dashes; raises CodeFormatError with a
    message for the patient when it cannot be a code.

    The alphabet has no I, L, 1, O or 0, so none of them is guessed at: a typed one is a
    misread character, and the patient is told which characters never appear.
    """
    code = (typed or "").translate(_SEPARATORS).upper()
    if not code:
        raise CodeFormatError("Enter the code from your letter.")
    if any(char in _CONFUSABLE for char in code):
        raise CodeFormatError(
            "The code never contains the letters I, L or O, or the numbers 1 or 0. Please check "
            "each character against your letter."
        )
    if any(char not in ALPHABET for char in code):
        raise CodeFormatError(
            "The code has only capital letters and the numbers 2 to 9. Please check it against "
            "your letter."
        )
    if len(code) != LENGTH:
        raise CodeFormatError(
            f"The code has {LENGTH} letters and numbers, like {EXAMPLE}; you typed {len(code)}. "
            "Please check it against your letter."
        )
    return code


def code_hash(code: str) -> str:
    """What is stored: the SHA-256 of the normalised code, never the code."""
    return hashlib.sha256(f"code:{code}".encode()).hexdigest()
