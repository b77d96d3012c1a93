"""Short verification codes: 9 random Crockford base32 symbols and a check symbol.

Verification by code is public, so codes are drawn from 45 random bits (and the API is rate
limited per address); the check symbol turns most typos into "no such code" without a lookup.
Codes are shown as XXXXX-XXXXX and read back case-insensitively, ignoring hyphens and spaces,
with Crockford's reading of O as 0 and I, L as 1.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RANDOM_SYMBOLS = 9


def new_code() -> str:
    """A fresh code in its display form, e.g. `7Q2KX-M9D4T`."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_SYMBOLS))
    code = body + _check_symbol(body)
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text: str) -> str | None:
    """The display form of a code typed by a person, or None when it cannot be one."""
    compact = text.upper().replace("-", "").replace(" ", "").translate(_READ_AS)
    if len(compact) != _RANDOM_SYMBOLS + 1 or any(c not in ALPHABET for c in compact):
        return None
    if _check_symbol(compact[:-1]) != compact[-1]:
        return None
    return f"{compact[:5]}-{compact[5:]}"


def _check_symbol(body: str) -> str:
    # Position-weighted sum: catches any single wrong symbol and most swaps of neighbours.
    total = sum((position + 1) * ALPHABET.index(c) for position, c in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]
