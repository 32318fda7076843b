"""Postal addresses in each country's own form: street, number, postal code, city, region.

Streets come from the locale's Faker pool; cities, regions and the first digits of their
postal codes from the catalogue, so that a Kraków address carries a 30-xxx or 31-xxx code.
"""

from __future__ import annotations

import numpy as np

from c360.customers.normalize import postal_one_line
from c360.demo.catalogue import Catalogue, CountrySpec
from c360.demo.pools import locale_pool, sample
from c360.demo.streams import choose

_GB_POSTCODE_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


def _postal_codes(rng: np.random.Generator, country: str, prefixes: np.ndarray) -> list[str]:
    digits = rng.integers(0, 1000, len(prefixes)).tolist()
    if country == "PL":
        return [f"{p}-{d:03d}" for p, d in zip(prefixes.tolist(), digits, strict=True)]
    if country == "GB":
        letters = _GB_POSTCODE_LETTERS[
            rng.integers(0, len(_GB_POSTCODE_LETTERS), (len(prefixes), 2))
        ]
        return [
            f"{p} {d % 10}{a}{b}"
            for p, d, (a, b) in zip(prefixes.tolist(), digits, letters.tolist(), strict=True)
        ]
    return [f"{p}{d:03d}" for p, d in zip(prefixes.tolist(), digits, strict=True)]


def _address_lines(
    rng: np.random.Generator, country: CountrySpec, count: int
) -> tuple[list[str], list[str | None]]:
    streets = sample(rng, locale_pool(country.locale).streets, count).tolist()
    numbers = rng.integers(1, 160, count).tolist()
    flats = np.where(rng.random(count) < 0.6, rng.integers(1, 120, count), 0).tolist()
    if country.code == "PL":
        return [
            f"ul. {s} {n}" + (f"/{f}" if f else "")
            for s, n, f in zip(streets, numbers, flats, strict=True)
        ], [None] * count
    if country.code == "UA":
        return [
            f"вул. {s}, {n}" + (f", кв. {f}" if f else "")
            for s, n, f in zip(streets, numbers, flats, strict=True)
        ], [None] * count
    if country.code == "ES":
        floors = rng.integers(1, 9, count).tolist()
        doors = sample(rng, np.array(list("ABCD"), dtype=object), count).tolist()
        return [
            f"{s}, {n}" + (f", {fl}º {d}" if f else "")
            for s, n, f, fl, d in zip(streets, numbers, flats, floors, doors, strict=True)
        ], [None] * count
    return [f"{n} {s}" for s, n in zip(streets, numbers, strict=True)], [
        f"Flat {f}" if f and f < 30 else None for f in flats
    ]


def addresses(
    rng: np.random.Generator, catalogue: Catalogue, countries: np.ndarray, cities: np.ndarray
) -> dict[str, list]:
    """Street, postal code, city and region for each (country code, city index) pair."""
    count = len(countries)
    out: dict[str, list] = {
        key: [None] * count for key in ("line1", "line2", "city", "region", "postal")
    }
    out["country"] = countries.tolist()
    for country in catalogue.countries:
        rows = np.flatnonzero(countries == country.code).tolist()
        specs = [country.cities[c] for c in cities[rows].tolist()]
        picks = rng.random(len(rows)).tolist()
        prefixes = np.array(
            [
                c.postal_prefixes[int(u * len(c.postal_prefixes))]
                for c, u in zip(specs, picks, strict=True)
            ],
            dtype=object,
        )
        first, second = _address_lines(rng, country, len(rows))
        codes = _postal_codes(rng, country.code, prefixes)
        for position, row in enumerate(rows):
            out["line1"][row], out["line2"][row] = first[position], second[position]
            out["city"][row], out["region"][row] = specs[position].name, specs[position].region
            out["postal"][row] = codes[position]
    return out


def random_cities(
    rng: np.random.Generator, catalogue: Catalogue, countries: np.ndarray
) -> np.ndarray:
    cities = np.zeros(len(countries), dtype=np.int64)
    for country in catalogue.countries:
        rows = np.flatnonzero(countries == country.code)
        cities[rows] = choose(rng, [c.weight for c in country.cities], len(rows))
    return cities


def one_line(country: str, line1: str, line2: str | None, postal: str, city: str) -> str:
    # The mutations write new addresses with the same function, so both read alike.
    return postal_one_line(country, line1, line2, postal, city)
