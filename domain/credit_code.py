"""Unified social credit code (统一社会信用代码) validation, GB 32100-2015."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th character: 31 minus the weighted sum modulo 31 (GB 32100-2015 §4.5)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalised(code: str) -> str:
    """A code as typed, as it is checked and stored: without surrounding spaces, in capitals."""
    return code.strip().upper()


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid credit code, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return f"contains characters outside GB 32100-2015's alphabet: {''.join(bad)}"
    if check_character(code[:17]) != code[17]:
        return "check character does not match (GB 32100-2015)"
    return None


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (demo data and tests)."""
    return first17 + check_character(first17)
