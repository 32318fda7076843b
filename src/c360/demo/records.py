"""Source records (what each source system sent about a customer) and attachment metadata.

Each system spells the customer its own way: core banking in upper-case Latin letters,
the CRM as typed at the desk, the web shop as the customer typed it, the mailing tool with
an e-mail and a first name. None of them carries the national id.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np

from c360.customers.normalize import fold_text
from c360.demo.catalogue import Catalogue, Texts
from c360.demo.contacts import Contacts
from c360.demo.holdings import Holdings
from c360.demo.people import People
from c360.demo.pools import romanise_ukrainian
from c360.demo.propensity_rules import PRODUCT_CODES, PRODUCT_INDEX
from c360.demo.streams import stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between

SOURCE_SYSTEMS = ("core_banking", "crm", "ecommerce", "mailing")
# Keys are a bijection of the customer id (the multiplier is coprime with the modulus),
# so they never repeat within a system yet do not reveal the id.
_KEY_FORMATS = {
    "core_banking": ("CB{:010d}", 48_271),
    "crm": ("CRM-{:09d}", 69_621),
    "ecommerce": ("EC{:09d}", 16_807),
    "mailing": ("ML-{:09d}", 39_373),
}
_KEY_MODULUS = 1_000_000_007
_ID_SCAN_SHARE = 0.15
_PROOF_OF_ADDRESS_SHARE = 0.05
_CONTRACT_SHARE = 0.4  # of loans and mortgages: contracts signed on paper, then scanned


def national_phone(e164: str, country: str) -> str:
    """A number as people write it at home: "601 234 567", "050 123 4567", "07400 123456"."""
    if country == "PL":
        d = e164[3:]
        return f"{d[:3]} {d[3:6]} {d[6:]}"
    if country == "UA":
        d = "0" + e164[4:]
        return f"{d[:3]} {d[3:6]} {d[6:]}"
    if country == "ES":
        d = e164[3:]
        return f"{d[:3]} {d[3:5]} {d[5:7]} {d[7:]}"
    d = "0" + e164[3:]
    return f"{d[:5]} {d[5:]}"


@cache  # names repeat: they come from pools
def _latin_upper(text: str) -> str:
    return fold_text(romanise_ukrainian(text)).upper()


def _payload(
    system: str,
    key: str,
    i: int,
    people: People,
    contacts: Contacts,
    display: list[str],
    purchases: int,
    marketing: bool,
) -> dict:
    given, family, org = people.given_name[i], people.family_name[i], people.organisation_name[i]
    country = people.country[i]
    phone = contacts.phone[i]
    if system == "core_banking":
        name = _latin_upper(org) if org else f"{_latin_upper(family)} {_latin_upper(given)}"
        record = {"customer_number": key, "name": name, "phone": national_phone(phone, country)}
        if org is None:
            record["date_of_birth"] = str(people.birth_dates[i])
        record |= {
            "address": {
                "line1": contacts.address_line1[i],
                "postcode": contacts.postal_code[i],
                "country": country,
            },
            "branch": people.home_branch[i],
            "segment": people.segment[i].upper(),
            "opened_on": str(people.customer_since[i]),
        }
        return record
    if system == "crm":
        names = {"account_name": org} if org else {"first_name": given, "last_name": family}
        return {
            "contact_id": key,
            **names,
            "email": contacts.email[i],
            "mobile": phone,
            "preferred_channel": people.preferred_channel[i],
        }
    if system == "ecommerce":
        return {
            "account_id": key,
            "display_name": display[i].lower(),
            "email": contacts.email[i],
            "orders": purchases,
            "newsletter": marketing,
        }
    return {
        "subscriber_id": key,
        "email": contacts.email[i],
        "first_name": given or org,
        "lists": ["offers", "newsletter"] if marketing else ["newsletter"],
    }


def generate_source_records(
    people: People,
    contacts: Contacts,
    holdings: Holdings,
    retail_holding: np.ndarray,
    marketing: np.ndarray,
    created_at: np.ndarray,
    timeline: Timeline,
    *,
    seed: int,
) -> TableData:
    """One to three records per customer, from the systems the customer really used."""
    rng = stream(seed, "source-records")
    purchases = np.bincount(holdings.customer[retail_holding], minlength=people.count)
    banking = np.bincount(holdings.customer, minlength=people.count) > purchases
    wants = np.stack(
        [
            banking,
            rng.random(people.count) < 0.4,
            (purchases > 0) & (rng.random(people.count) < 0.8),
            marketing & (rng.random(people.count) < 0.3),
        ],
        axis=1,
    )
    wants[:, 1] |= ~wants.any(axis=1)  # everyone is at least in the CRM
    wants[wants.sum(axis=1) > 3, 3] = False
    customer, system = np.nonzero(wants)
    received = random_instants_between(
        rng,
        created_at[customer] + np.timedelta64(60, "s"),
        np.minimum(created_at[customer] + np.timedelta64(60, "D"), timeline.as_of_instant),
    )
    display = people.display_names()
    keys, payloads = [], []
    for i, s in zip(customer.tolist(), system.tolist(), strict=True):
        name = SOURCE_SYSTEMS[s]
        pattern, multiplier = _KEY_FORMATS[name]
        key = pattern.format((i + 1) * multiplier % _KEY_MODULUS)
        keys.append(key)
        payloads.append(
            _payload(name, key, i, people, contacts, display, int(purchases[i]), bool(marketing[i]))
        )
    return TableData(
        "source_record",
        {
            "id": np.arange(1, len(customer) + 1),
            "customer_id": customer + 1,
            "source_system": [SOURCE_SYSTEMS[s] for s in system.tolist()],
            "source_key": keys,
            "payload": payloads,
            "received_at": received,
        },
    )


def generate_attachments(
    catalogue: Catalogue,
    texts: Texts,
    people: People,
    contacts: Contacts,
    holdings: Holdings,
    created_at: np.ndarray,
    *,
    seed: int,
) -> TableData:
    rng = stream(seed, "attachments")
    specs = {spec.kind: spec for spec in texts.attachments}
    persons = ~people.is_organisation
    scanned = np.flatnonzero(persons & (rng.random(people.count) < _ID_SCAN_SHARE))
    proved = np.flatnonzero(persons & (rng.random(people.count) < _PROOF_OF_ADDRESS_SHARE))
    loans = np.isin(holdings.product, [PRODUCT_INDEX["personal_loan"], PRODUCT_INDEX["car_loan"]])
    lending = loans | (holdings.product == PRODUCT_INDEX["mortgage"])
    contracts = np.flatnonzero(lending & (rng.random(len(holdings)) < _CONTRACT_SHARE))
    proof_at = np.where(
        np.isnat(contacts.moved_at[proved]), created_at[proved], contacts.moved_at[proved]
    )
    customer = np.concatenate([scanned, proved, holdings.customer[contracts]])
    at = np.concatenate(
        [created_at[scanned], proof_at, holdings.created_at[contracts] + np.timedelta64(10, "m")]
    )
    kinds = (
        ["id_scan"] * len(scanned)
        + ["proof_of_address"] * len(proved)
        + ["contract"] * len(contracts)
    )
    products = [""] * (len(scanned) + len(proved)) + [
        PRODUCT_CODES[p] for p in holdings.product[contracts].tolist()
    ]
    order = np.lexsort((np.arange(len(customer)), at, customer))
    ids = np.arange(1, len(order) + 1)
    names, media, sizes, keys, checksums = [], [], [], [], []
    low_high = [specs[kinds[i]].size_bytes for i in order.tolist()]
    draws = rng.random(len(order)).tolist()
    for attachment_id, i, (low, high), u in zip(
        ids.tolist(), order.tolist(), low_high, draws, strict=True
    ):
        spec = specs[kinds[i]]
        name = spec.file_name.format(product=products[i])
        size = int(low + u * (high - low))
        key = f"customers/{customer[i] + 1}/{attachment_id:09d}/{name}"
        names.append(name)
        media.append(spec.media_type)
        sizes.append(size)
        keys.append(key)
        checksums.append(hashlib.sha256(f"{key}|{size}".encode()).hexdigest())
    return TableData(
        "attachment",
        {
            "id": ids,
            "customer_id": customer[order] + 1,
            "file_name": names,
            "media_type": media,
            "size_bytes": np.array(sizes, dtype=np.int64),
            "checksum_sha256": checksums,
            "storage_key": keys,
            "created_at": at[order],
        },
    )
