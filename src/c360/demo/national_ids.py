"""National and tax ids in each country's real format, with their check digits.

The generator hashes them (``national_id_hash``) and keeps the last four characters;
the clear values never leave memory.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_FORBIDDEN = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_RNOKPP_EPOCH = dt.date(1899, 12, 31)


def _digits(text: str) -> list[int]:
    return [int(char) for char in text]


def pesel(birth_date: dt.date, *, female: bool, serial: int) -> str:
    """Poland's PESEL: birth date (century in the month), serial, sex digit, check digit."""
    century_offset = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[birth_date.year // 100]
    sex_digit = (serial // 1000 % 5) * 2 + (0 if female else 1)
    body = (
        f"{birth_date.year % 100:02d}{birth_date.month + century_offset:02d}"
        f"{birth_date.day:02d}{serial % 1000:03d}{sex_digit}"
    )
    check = (10 - sum(d * w for d, w in zip(_digits(body), _PESEL_WEIGHTS, strict=True)) % 10) % 10
    return f"{body}{check}"


def rnokpp(birth_date: dt.date, *, female: bool, serial: int) -> str:
    """Ukraine's taxpayer number (РНОКПП): days since 1899-12-31, serial with sex, check digit."""
    days = (birth_date - _RNOKPP_EPOCH).days
    sex_digit = (serial // 1000 % 5) * 2 + (0 if female else 1)
    body = f"{days:05d}{serial % 1000:03d}{sex_digit}"
    weighted = sum(d * w for d, w in zip(_digits(body), _RNOKPP_WEIGHTS, strict=True))
    return f"{body}{weighted % 11 % 10}"


def dni(number: int) -> str:
    """Spain's DNI: eight digits and the check letter."""
    number %= 100_000_000
    return f"{number:08d}{_DNI_LETTERS[number % 23]}"


def nino(draw: int) -> str:
    """A UK National Insurance number: two allowed prefix letters, six digits, suffix A-D."""
    first = _NINO_FIRST[draw % len(_NINO_FIRST)]
    second = _NINO_SECOND[(draw // 20) % len(_NINO_SECOND)]
    if first + second in _NINO_FORBIDDEN:
        second = "A"
    digits = (draw // 400) % 1_000_000
    return f"{first}{second}{digits:06d}{'ABCD'[(draw // 7) % 4]}"


def nip(draw: int) -> str:
    """Poland's tax id (NIP) for a company: ten digits, the last a mod-11 check."""
    while True:
        body = f"{draw % 1_000_000_000:09d}"
        check = sum(d * w for d, w in zip(_digits(body), _NIP_WEIGHTS, strict=True)) % 11
        if check != 10 and body[:3] != "000":
            return f"{body}{check}"
        draw += 7_919


def edrpou(draw: int) -> str:
    """Ukraine's company code (ЄДРПОУ): seven digits and a mod-11 check digit."""
    body = f"{draw % 10_000_000:07d}"
    value = int(body)
    weights = (
        (1, 2, 3, 4, 5, 6, 7) if value < 3_000_000 or value > 6_000_000 else (7, 1, 2, 3, 4, 5, 6)
    )
    check = sum(d * w for d, w in zip(_digits(body), weights, strict=True)) % 11
    if check == 10:
        check = sum(d * (w + 2) for d, w in zip(_digits(body), weights, strict=True)) % 11 % 10
    return f"{body}{check}"


def cif(draw: int) -> str:
    """Spain's company tax id (CIF) of a limited company: letter B, seven digits, check digit."""
    body = f"{draw % 10_000_000:07d}"
    digits = _digits(body)
    even = sum(digits[1::2])
    odd = sum(sum(divmod(d * 2, 10)) for d in digits[0::2])
    return f"B{body}{(10 - (even + odd) % 10) % 10}"


def companies_house_number(draw: int) -> str:
    return f"{(draw % 9_000_000) + 1_000_000:08d}"


def person_id(country: str, birth_date: dt.date, *, female: bool, draw: int) -> str:
    if country == "PL":
        return pesel(birth_date, female=female, serial=draw)
    if country == "UA":
        return rnokpp(birth_date, female=female, serial=draw)
    if country == "ES":
        return dni(draw)
    if country == "GB":
        return nino(draw)
    raise ValueError(f"no national id format for {country}")


def organisation_id(country: str, *, draw: int) -> str:
    makers = {"PL": nip, "UA": edrpou, "ES": cif, "GB": companies_house_number}
    return makers[country](draw)


def national_ids(
    rng: np.random.Generator,
    countries: np.ndarray,
    birth_dates: np.ndarray,
    female: np.ndarray,
    is_organisation: np.ndarray,
) -> list[str]:
    """One clear id per customer, no two alike; ``birth_dates`` is ignored for organisations."""
    draws = rng.integers(0, 2**40, size=len(countries)).tolist()
    births = birth_dates.tolist()
    seen: set[str] = set()
    ids: list[str] = []
    for country, birth, is_female, organisation, draw in zip(
        countries.tolist(), births, female.tolist(), is_organisation.tolist(), draws, strict=True
    ):
        while True:
            if organisation:
                value = organisation_id(country, draw=draw)
            else:
                value = person_id(country, birth, female=is_female, draw=draw)
            if value not in seen:
                break
            draw += 1_000_003  # another serial, same person
        seen.add(value)
        ids.append(value)
    return ids
