"""Contact points: an e-mail derived from the name, a valid mobile number, postal addresses.

Every customer has a primary e-mail, mobile phone and postal address; some have a work
e-mail, and some moved, which leaves the old address with ``valid_to`` set. Search keys
come from ``c360.customers.normalize``, as every writer's must.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from c360.customers.normalize import email_search_key, fold_text, phone_search_key
from c360.demo.addresses import addresses, one_line, random_cities
from c360.demo.catalogue import Catalogue, CountrySpec
from c360.demo.people import People
from c360.demo.pools import romanise_ukrainian, sample
from c360.demo.streams import stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between

_MOVED_SHARE = 0.18
_WORK_EMAIL_SHARE = 0.08
_VERIFIED_SHARE = {"email": 0.70, "phone": 0.60, "postal": 0.35}
_ORGANISATION_MAILBOX = {"PL": "biuro", "UA": "office", "ES": "info", "GB": "office"}


@dataclass(frozen=True)
class Contacts:
    """Each customer's current primary contacts, for the source systems' copies of them."""

    email: list[str]
    phone: list[str]  # E.164
    address_line1: list[str]
    postal_code: list[str]
    moved_at: np.ndarray  # datetime64[us], NaT for customers who never moved


@cache  # names repeat: they come from pools
def ascii_word(text: str) -> str:
    """A name as it may appear in an e-mail address: romanised, accent-free, letters and digits."""
    folded = fold_text(romanise_ukrainian(text))
    return "".join(char for char in folded if char.isascii() and char.isalnum())


def _email_locals(rng: np.random.Generator, people: People) -> list[str]:
    ascii_of: dict[str, str] = {}

    def plain(name: str | None) -> str:
        if name is None:
            return ""
        if name not in ascii_of:
            ascii_of[name] = ascii_word(name.split(" ")[0]) or "user"
        return ascii_of[name]

    years = (people.birth_dates.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    patterns = rng.integers(0, 6, people.count).tolist()
    out = []
    for given, family, org, country, year, pattern in zip(
        people.given_name.tolist(),
        people.family_name.tolist(),
        people.organisation_name.tolist(),
        people.country.tolist(),
        years.tolist(),
        patterns,
        strict=True,
    ):
        if org is not None:
            out.append(_ORGANISATION_MAILBOX[country])
            continue
        g, f = plain(given), plain(family)
        out.append(
            (f"{g}.{f}", f"{g}{f}", f"{g[0]}.{f}", f"{f}.{g}", f"{g}.{f}{year:02d}", f"{g}_{f}")[
                pattern
            ]
        )
    return out


def _organisation_domain(name: str) -> str:
    words = [ascii_word(word) for word in name.replace("«", " ").replace("»", " ").split()]
    return "-".join(word for word in words[:2] if word) or "company"


def _emails(rng: np.random.Generator, catalogue: Catalogue, people: People) -> list[str]:
    domains = {c.code: c.email_domains for c in catalogue.countries}
    picks = rng.integers(0, 4, people.count).tolist()
    seen: set[str] = set()
    emails = []
    for local, org, country, pick in zip(
        _email_locals(rng, people),
        people.organisation_name.tolist(),
        people.country.tolist(),
        picks,
        strict=True,
    ):
        domain = f"{_organisation_domain(org)}.example.com" if org else domains[country][pick]
        address, number = f"{local}@{domain}", 1
        while address in seen:
            number += 1
            address = f"{local}{number}@{domain}"
        seen.add(address)
        emails.append(address)
    return emails


def mobile_numbers(
    rng: np.random.Generator, country: CountrySpec, count: int, taken: set[str]
) -> list[str]:
    """Distinct E.164 mobile numbers from the country's mobile ranges."""
    numbers: list[str] = []
    while len(numbers) < count:
        prefixes = sample(
            rng, np.array(country.mobile_prefixes, dtype=object), count - len(numbers)
        )
        widths = country.national_number_length - np.array([len(p) for p in prefixes.tolist()])
        tails = rng.integers(0, 10**widths)
        for prefix, width, tail in zip(
            prefixes.tolist(), widths.tolist(), tails.tolist(), strict=True
        ):
            number = f"+{country.dialling_code}{prefix}{tail:0{width}d}"
            if number not in taken:
                taken.add(number)
                numbers.append(number)
    return numbers


@dataclass
class _Block:
    """Contact points of one kind for some customers, column by column."""

    customer: np.ndarray
    kind: str
    label: list[str]
    value: list[str]
    search_key: list[str]
    primary: bool
    valid_from: np.ndarray
    valid_to: np.ndarray | None = None
    address: dict[str, list] | None = None


_ADDRESS_COLUMNS = {
    "address_line1": "line1",
    "address_line2": "line2",
    "city": "city",
    "postal_code": "postal",
    "region": "region",
    "country_code": "country",
}


def _postal_block(
    customers: np.ndarray,
    labels: list[str],
    address: dict[str, list],
    primary: bool,
    valid_from: np.ndarray,
    valid_to: np.ndarray | None,
) -> _Block:
    lines = [
        one_line(*parts)
        for parts in zip(
            address["country"],
            address["line1"],
            address["line2"],
            address["postal"],
            address["city"],
            strict=True,
        )
    ]
    folded = {city: fold_text(city) for city in set(address["city"])}
    return _Block(
        customers,
        "postal",
        labels,
        lines,
        [folded[city] for city in address["city"]],
        primary,
        valid_from,
        valid_to,
        address,
    )


def _phones(rng: np.random.Generator, catalogue: Catalogue, people: People) -> list[str]:
    taken: set[str] = set()
    phones = [""] * people.count
    for country in catalogue.countries:
        rows = np.flatnonzero(people.country == country.code).tolist()
        for row, number in zip(rows, mobile_numbers(rng, country, len(rows), taken), strict=True):
            phones[row] = number
    return phones


def _table(blocks: list[_Block], rng: np.random.Generator, timeline: Timeline) -> TableData:
    customer = np.concatenate([b.customer for b in blocks])
    order = np.lexsort(
        (np.repeat(np.arange(len(blocks)), [len(b.customer) for b in blocks]), customer)
    )
    nat = np.datetime64("NaT", "us")

    def joined(values: list[list]) -> list:
        flat = [value for block_values in values for value in block_values]
        return [flat[i] for i in order.tolist()]

    kinds = joined([[b.kind] * len(b.customer) for b in blocks])
    valid_from = np.concatenate([b.valid_from for b in blocks])[order]
    verified = rng.random(len(order)) < np.array([_VERIFIED_SHARE[k] for k in kinds])
    delay = (rng.random(len(order)) * 3 * 86_400).astype("timedelta64[s]")
    verified_at = np.minimum(valid_from + delay, timeline.as_of_instant - np.timedelta64(1, "s"))
    columns = {
        "id": np.arange(1, len(order) + 1),
        "customer_id": customer[order] + 1,
        "kind": kinds,
        "label": joined([b.label for b in blocks]),
        "value": joined([b.value for b in blocks]),
        "search_key": joined([b.search_key for b in blocks]),
        "is_primary": np.concatenate([np.full(len(b.customer), b.primary) for b in blocks])[order],
        "verified_at": np.where(verified, verified_at, nat),
        "valid_from": valid_from,
        "valid_to": np.concatenate(
            [
                b.valid_to if b.valid_to is not None else np.full(len(b.customer), nat)
                for b in blocks
            ]
        )[order],
        "created_at": valid_from,
    }
    for column, key in _ADDRESS_COLUMNS.items():
        columns[column] = joined(
            [b.address[key] if b.address else [None] * len(b.customer) for b in blocks]
        )
    return TableData("contact_point", columns)


def generate_contacts(
    catalogue: Catalogue, people: People, created_at: np.ndarray, timeline: Timeline, *, seed: int
) -> tuple[TableData, Contacts]:
    rng = stream(seed, "contacts")
    everyone = np.arange(people.count)
    as_of = timeline.as_of_instant
    organisation = people.organisation_name.tolist()
    emails = _emails(rng, catalogue, people)
    phones = _phones(rng, catalogue, people)

    settled = as_of - created_at > np.timedelta64(120, "D")
    moved = np.flatnonzero(
        ~people.is_organisation & settled & (rng.random(people.count) < _MOVED_SHARE)
    )
    moved_at = np.full(people.count, np.datetime64("NaT"), dtype="datetime64[us]")
    moved_at[moved] = random_instants_between(
        rng,
        created_at[moved] + np.timedelta64(90, "D"),
        np.full(len(moved), as_of - np.timedelta64(7, "D")),
    )
    current = addresses(rng, catalogue, people.country, people.city)
    previous = addresses(
        rng, catalogue, people.country[moved], random_cities(rng, catalogue, people.country[moved])
    )
    work = np.flatnonzero(~people.is_organisation & (rng.random(people.count) < _WORK_EMAIL_SHARE))
    work_emails = [f"{emails[i].split('@')[0]}@corp.example.com" for i in work.tolist()]

    blocks = [
        _Block(
            everyone,
            "email",
            ["office" if o else "personal" for o in organisation],
            emails,
            [email_search_key(e) for e in emails],
            True,
            created_at,
        ),
        _Block(
            everyone,
            "phone",
            ["mobile"] * people.count,
            phones,
            [phone_search_key(p) for p in phones],
            True,
            created_at,
        ),
        _postal_block(
            moved, ["home"] * len(moved), previous, False, created_at[moved], moved_at[moved]
        ),
        _postal_block(
            everyone,
            ["registered" if o else "home" for o in organisation],
            current,
            True,
            np.where(np.isnat(moved_at), created_at, moved_at),
            None,
        ),
        _Block(
            work,
            "email",
            ["work"] * len(work),
            work_emails,
            [email_search_key(e) for e in work_emails],
            False,
            created_at[work],
        ),
    ]
    contacts = Contacts(emails, phones, current["line1"], current["postal"], moved_at)
    return _table(blocks, rng, timeline), contacts
