"""Masked forms of personal data, for callers without the ``customer:pii`` scope.

Masked, not hidden: a masked value keeps enough shape to be recognised by someone who
already knows it (the first letter, the domain, the last digits) and no more::

    jan.kowalski@example.com   ->  j***@example.com
    +48601234123               ->  +48 *** *** 123
    Kowalski                   ->  K***

A date of birth has no masked form that is still a date: it becomes null.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["mask_address_line", "mask_email", "mask_name", "mask_phone", "mask_postal_code"]

_STARS = "***"


def mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return _STARS
    return f"{local[:1]}{_STARS}@{domain}"


def mask_phone(e164: str) -> str:
    """The country code and the last three digits: ``+48 *** *** 123``."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    try:
        country = str(phonenumbers.parse(e164, None).country_code)
    except phonenumbers.NumberParseException:
        country = ""
    if len(digits) - len(country) < 6:
        return f"+{country} {_STARS}" if country else _STARS
    return f"+{country} {_STARS} {_STARS} {digits[-3:]}" if country else f"{_STARS} {digits[-3:]}"


def mask_name(name: str | None) -> str | None:
    """Each word reduced to its first letter: ``Jan Maria Kowalski`` -> ``J*** M*** K***``."""
    if name is None:
        return None
    return " ".join(f"{word[:1]}{_STARS}" for word in name.split()) or None


def mask_address_line(line: str | None) -> str | None:
    return None if line is None else _STARS


def mask_postal_code(code: str | None) -> str | None:
    return None if code is None else f"{code[:2]}{_STARS}"
