"""Pools of names, streets and company names per locale, drawn from Faker once.

Faker takes tens of microseconds a call; a hundred thousand customers would spend most
of the load inside it. The generator samples these pools with its own seeded numpy
streams instead. Pools keep Faker's duplicates, so common names stay common.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from faker import Faker

_POOL_SIZE = 800
# The pools do not depend on the demo seed: they are the vocabulary, the seed picks from it.
_FAKER_SEED = 360

_UKRAINIAN_COMPANY_FORMS = ("ТОВ «{}»", "ПП «{}»", "ТОВ «{} і партнери»", "ФОП {}")


@dataclass(frozen=True)
class LocalePool:
    first_names_male: np.ndarray
    first_names_female: np.ndarray
    family_names_male: np.ndarray
    family_names_female: np.ndarray
    streets: np.ndarray
    companies: np.ndarray


def _draw(make: object, count: int = _POOL_SIZE) -> np.ndarray:
    return np.array([make() for _ in range(count)], dtype=object)  # type: ignore[operator]


@cache
def locale_pool(locale: str) -> LocalePool:
    fake = Faker(locale)
    fake.seed_instance(_FAKER_SEED)
    family_male = getattr(fake, "last_name_male", fake.last_name)
    family_female = getattr(fake, "last_name_female", fake.last_name)
    if locale == "uk_UA":
        # Faker's Ukrainian companies are half English ("... Ltd"); build local ones.
        forms = _UKRAINIAN_COMPANY_FORMS
        companies = np.array(
            [forms[i % len(forms)].format(fake.last_name()) for i in range(_POOL_SIZE // 2)],
            dtype=object,
        )
    else:
        companies = _draw(fake.company, _POOL_SIZE // 2)
    return LocalePool(
        first_names_male=_draw(fake.first_name_male),
        first_names_female=_draw(fake.first_name_female),
        family_names_male=_draw(family_male),
        family_names_female=_draw(family_female),
        streets=_draw(fake.street_name),
        companies=companies,
    )


def sample(rng: np.random.Generator, pool: np.ndarray, count: int) -> np.ndarray:
    return pool[rng.integers(0, len(pool), size=count)]


_UKRAINIAN_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
# At the start of a word these letters are written differently (Kyiv 2010 rules).
_UKRAINIAN_WORD_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def romanise_ukrainian(text: str) -> str:
    """Ukrainian Cyrillic in the official Latin spelling (as on passports); other text unchanged."""
    out: list[str] = []
    at_word_start = True
    for char in text:
        lower = char.lower()
        latin = (_UKRAINIAN_WORD_START if at_word_start else {}).get(lower)
        if latin is None:
            latin = _UKRAINIAN_LATIN.get(lower, char if lower == char else lower)
        if char != lower and latin:
            latin = latin[0].upper() + latin[1:]
        out.append(latin)
        at_word_start = not char.isalpha() and char not in "'’ʼ"
    return "".join(out)
