"""Pure functions that turn what people type into what c360 stores and matches.

Writers (demo data, mutations, source imports) and readers (search, filters) must use
the same functions, or searches quietly stop finding what was written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
    }
)
_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")
_ID_SEPARATORS = re.compile(r"[\s\-./]+")


def fold_text(text: str) -> str:
    """Lower-case, accent-free, single-spaced: "  Łucja  Pérez-Núñez " -> "lucja perez-nunez"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", without_marks.casefold()).strip()


def email_search_key(email: str) -> str:
    return email.strip().casefold()


def phone_search_key(e164: str) -> str:
    """The digits of an E.164 number, reversed: a suffix search becomes an indexable prefix."""
    return _NON_DIGITS.sub("", e164)[::-1]


def phone_query_key(typed: str) -> str | None:
    """The reversed significant digits of a phone number typed in any format, or None.

    International prefixes ("+", "00") and the trunk "0" of national formats are
    dropped, so "+48 601 234 567", "0048601234567" and "601-234-567" all end up as
    a prefix of the stored key of +48601234567.
    """
    digits = _NON_DIGITS.sub("", typed).lstrip("0")
    return digits[::-1] if len(digits) >= 6 else None


def normalize_national_id(national_id: str) -> str:
    return _ID_SEPARATORS.sub("", national_id).upper()


def national_id_hash(national_id: str, *, secret_key: str) -> str:
    """A keyed hash (HMAC-SHA256) of a national or tax id: findable, not reversible without
    the key."""
    normalized = normalize_national_id(national_id)
    return hmac.new(secret_key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def last4(value: str) -> str:
    return normalize_national_id(value)[-4:]


def postal_one_line(country: str, line1: str, line2: str | None, postal: str, city: str) -> str:
    """A postal address on one line, in the order the country writes it."""
    street = f"{line2}, {line1}" if line2 else line1
    if country == "UA":
        return f"{street}, {city}, {postal}"
    if country == "GB":
        return f"{street}, {city} {postal}"
    return f"{street}, {postal} {city}"
