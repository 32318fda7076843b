"""National and tax ids carry valid check digits and encode what they should."""

from __future__ import annotations

import datetime as dt

import numpy as np

from c360.demo import national_ids as ids


def _pesel_valid(value: str) -> bool:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3, 1)
    return sum(int(d) * w for d, w in zip(value, weights, strict=True)) % 10 == 0


def test_pesel_encodes_birth_date_sex_and_a_valid_check_digit() -> None:
    for birth, female in (
        (dt.date(1985, 3, 2), False),
        (dt.date(2003, 12, 31), True),
        (dt.date(1936, 7, 9), True),
    ):
        for serial in (0, 4711, 98_765_432):
            value = ids.pesel(birth, female=female, serial=serial)
            assert len(value) == 11 and _pesel_valid(value)
            month = int(value[2:4])
            assert (int(value[:2]), month % 20, int(value[4:6])) == (
                birth.year % 100,
                birth.month,
                birth.day,
            )
            assert (month >= 20) == (birth.year >= 2000)
            assert int(value[9]) % 2 == (0 if female else 1)


def test_rnokpp_counts_days_since_1899_and_checks_out() -> None:
    value = ids.rnokpp(dt.date(1990, 1, 1), female=True, serial=123)
    assert value[:5] == f"{(dt.date(1990, 1, 1) - dt.date(1899, 12, 31)).days:05d}"
    weights = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    assert (
        int(value[9]) == sum(int(d) * w for d, w in zip(value[:9], weights, strict=True)) % 11 % 10
    )
    assert int(value[8]) % 2 == 0


def test_dni_letter_and_nino_shape() -> None:
    assert ids.dni(12345678) == "12345678Z"
    for draw in range(0, 10**9, 7_777_777):
        value = ids.nino(draw)
        assert value[0] not in "DFIQUV" and value[1] not in "DFIQUVO"
        assert value[:2] not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
        assert value[2:8].isdigit() and value[8] in "ABCD"


def test_company_ids_check_out() -> None:
    nip = ids.nip(123456789)
    assert sum(
        int(d) * w for d, w in zip(nip[:9], (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)
    ) % 11 == int(nip[9])
    assert ids.cif(1234567).startswith("B") and len(ids.cif(1234567)) == 9
    assert len(ids.edrpou(32855961)) == 8


def test_generated_ids_never_repeat() -> None:
    rng = np.random.default_rng(1)
    count = 3000
    countries = np.array(["PL", "UA", "ES", "GB"] * (count // 4), dtype=object)
    births = np.full(
        count, np.datetime64("1990-05-05"), dtype="datetime64[D]"
    )  # everyone born the same day
    values = ids.national_ids(rng, countries, births, np.zeros(count, bool), np.zeros(count, bool))
    assert len(set(values)) == count
