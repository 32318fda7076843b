"""Interactions (product enquiries, service contacts) and the support tickets some become.

Enquiries come from the simulation (topic ``enquiry:<product code>``, in the month the
simulation drew them: the propensity oracle reads them back). Service contacts are about
a held product (linked to the holding, and to the warranty for warranty questions) or
general. A share of inbound contacts opens a ticket; tickets resolve within days, except
the recent ones still open or pending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue, Texts, TopicSpec
from c360.demo.holdings import Holdings
from c360.demo.people import CHANNELS, People
from c360.demo.pools import locale_pool, sample
from c360.demo.propensity import ENQUIRY_TOPIC_PREFIX
from c360.demo.propensity_rules import PRODUCT_CODES
from c360.demo.simulate import Simulation
from c360.demo.streams import choose, stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between, random_times
from c360.demo.warranty import Purchases

_CONTACT_SHARE = {"retail_goods": 0.06}  # per holding; other categories below
_DEFAULT_CONTACT_SHARE = 0.08
_GENERAL_CONTACTS_PER_CUSTOMER = 0.15
_TICKET_SHARE = 0.4  # of inbound contacts on topics that can become tickets
_OPEN_TICKET_SHARE = 0.04  # customers with a ticket opened in the last three weeks
_PREFERRED_CHANNEL_SHARE = 0.65
_STAFFED = frozenset({"branch", "phone", "chat"})
_PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = (0.2, 0.6, 0.15, 0.05)
_HOUR = np.timedelta64(3600, "s")


@dataclass
class _Contacts:
    """Interactions of one kind, column by column."""

    customer: np.ndarray
    occurred_at: np.ndarray
    topic: list[TopicSpec | str]
    summary: list[str]
    holding: np.ndarray  # -1: none
    policy: np.ndarray  # -1: none


def _channels(rng: np.random.Generator, people: People, customers: np.ndarray) -> np.ndarray:
    preferred = people.preferred_channel[customers]
    other = np.array(CHANNELS, dtype=object)[rng.integers(0, len(CHANNELS), len(customers))]
    return np.where(rng.random(len(customers)) < _PREFERRED_CHANNEL_SHARE, preferred, other)


def _agents(
    rng: np.random.Generator,
    catalogue: Catalogue,
    people: People,
    customers: np.ndarray,
    channels: np.ndarray,
) -> list[str | None]:
    """A colleague from the customer's country answers staffed channels."""
    agents = np.full(len(customers), None, dtype=object)
    for country in catalogue.countries:
        pool = locale_pool(country.locale)
        rows = np.flatnonzero(
            (people.country[customers] == country.code) & np.isin(channels, list(_STAFFED))
        )
        female = rng.random(len(rows)) < 0.5
        firsts = np.where(
            female,
            sample(rng, pool.first_names_female, len(rows)),
            sample(rng, pool.first_names_male, len(rows)),
        )
        families = np.where(
            female,
            sample(rng, pool.family_names_female, len(rows)),
            sample(rng, pool.family_names_male, len(rows)),
        )
        agents[rows] = [f"{a} {b}" for a, b in zip(firsts.tolist(), families.tolist(), strict=True)]
    return agents.tolist()


def _enquiries(
    rng: np.random.Generator,
    catalogue: Catalogue,
    texts: Texts,
    sim: Simulation,
    created_at: np.ndarray,
    timeline: Timeline,
) -> _Contacts:
    customer, product = sim.enquiries.customer, sim.enquiries.product
    days = timeline.random_days(rng, sim.enquiries.month)
    # Not before the customer record existed, which is the same day at the latest.
    occurred = np.maximum(random_times(rng, days), created_at[customer] + np.timedelta64(60, "s"))
    names = [catalogue.product(code).name.lower() for code in PRODUCT_CODES]
    templates = texts.enquiry_summaries
    picks = rng.integers(0, len(templates), len(customer)).tolist()
    return _Contacts(
        customer,
        occurred,
        [f"{ENQUIRY_TOPIC_PREFIX}{PRODUCT_CODES[p]}" for p in product.tolist()],
        [
            templates[i].format(product=names[p])
            for i, p in zip(picks, product.tolist(), strict=True)
        ],
        np.full(len(customer), -1),
        np.full(len(customer), -1),
    )


def _about_holdings(
    rng: np.random.Generator,
    catalogue: Catalogue,
    texts: Texts,
    holdings: Holdings,
    purchases: Purchases,
    timeline: Timeline,
) -> _Contacts:
    category = np.array([catalogue.product(code).category for code in PRODUCT_CODES], dtype=object)[
        holdings.product
    ]
    share = np.array([_CONTACT_SHARE.get(c, _DEFAULT_CONTACT_SHARE) for c in category.tolist()])
    rows = np.flatnonzero(rng.random(len(holdings)) < share)
    as_of = timeline.as_of_instant
    closed = holdings.closed_date[rows].astype("datetime64[us]") + np.timedelta64(1, "D")
    end = np.where(np.isnat(closed), as_of, np.minimum(closed, as_of))
    occurred = random_instants_between(rng, holdings.created_at[rows] + np.timedelta64(1, "h"), end)
    by_category: dict[str, list[TopicSpec]] = {}
    for topic in texts.topics:
        by_category.setdefault(topic.category, []).append(topic)
    picks = rng.random(len(rows)).tolist()
    topics = [
        by_category[c][int(u * len(by_category[c]))]
        for c, u in zip(category[rows].tolist(), picks, strict=True)
    ]
    policy_of = np.full(len(holdings), -1)
    policy_of[purchases.holding] = purchases.manufacturer_policy
    about_warranty = np.array([t.topic == "warranty_question" for t in topics], dtype=bool)
    return _Contacts(
        holdings.customer[rows],
        occurred,
        list(topics),
        [t.summary for t in topics],
        rows,
        np.where(about_warranty, policy_of[rows], -1),
    )


def _general(
    rng: np.random.Generator, texts: Texts, created_at: np.ndarray, timeline: Timeline
) -> _Contacts:
    general = [t for t in texts.topics if t.category == "general"]
    counts = rng.poisson(_GENERAL_CONTACTS_PER_CUSTOMER, len(created_at))
    customer = np.repeat(np.arange(len(created_at)), counts)
    occurred = random_instants_between(
        rng, created_at[customer] + _HOUR, np.full(len(customer), timeline.as_of_instant)
    )
    topics = [general[i] for i in rng.integers(0, len(general), len(customer)).tolist()]
    return _Contacts(
        customer,
        occurred,
        list(topics),
        [t.summary for t in topics],
        np.full(len(customer), -1),
        np.full(len(customer), -1),
    )


def _recent_open(
    rng: np.random.Generator, texts: Texts, created_at: np.ndarray, timeline: Timeline
) -> _Contacts:
    """Contacts of the last three weeks whose tickets are still open: every desk has a queue."""
    ticketable = [t for t in texts.topics if t.ticket and t.category == "general"]
    customer = np.flatnonzero(rng.random(len(created_at)) < _OPEN_TICKET_SHARE)
    as_of = timeline.as_of_instant
    start = np.maximum(created_at[customer], as_of - np.timedelta64(21, "D")) + _HOUR
    occurred = random_instants_between(rng, start, np.full(len(customer), as_of))
    topics = [ticketable[i] for i in rng.integers(0, len(ticketable), len(customer)).tolist()]
    return _Contacts(
        customer,
        occurred,
        list(topics),
        [t.summary for t in topics],
        np.full(len(customer), -1),
        np.full(len(customer), -1),
    )


def generate_service(
    catalogue: Catalogue,
    texts: Texts,
    people: People,
    created_at: np.ndarray,
    sim: Simulation,
    holdings: Holdings,
    purchases: Purchases,
    timeline: Timeline,
    *,
    seed: int,
) -> tuple[TableData, TableData]:
    rng = stream(seed, "service")
    parts = [
        _enquiries(rng, catalogue, texts, sim, created_at, timeline),
        _about_holdings(rng, catalogue, texts, holdings, purchases, timeline),
        _general(rng, texts, created_at, timeline),
    ]
    recent = _recent_open(rng, texts, created_at, timeline)
    parts.append(recent)
    customer = np.concatenate([p.customer for p in parts])
    occurred = np.concatenate([p.occurred_at for p in parts])
    order = np.lexsort((np.arange(len(customer)), occurred, customer))
    topics = [t for p in parts for t in p.topic]
    topics = [topics[i] for i in order.tolist()]
    customer, occurred = customer[order], occurred[order]
    holding = np.concatenate([p.holding for p in parts])[order]
    policy = np.concatenate([p.policy for p in parts])[order]
    summaries = [s for p in parts for s in p.summary]
    channels = _channels(rng, people, customer)
    interactions = TableData(
        "interaction",
        {
            "id": np.arange(1, len(order) + 1),
            "customer_id": customer + 1,
            "channel": channels,
            "direction": [t.direction if isinstance(t, TopicSpec) else "inbound" for t in topics],
            "topic": [t.topic if isinstance(t, TopicSpec) else t for t in topics],
            "summary": [summaries[i] for i in order.tolist()],
            "agent": _agents(rng, catalogue, people, customer, channels),
            "occurred_at": occurred,
            "holding_id": np.ma.masked_array(holding + 1, mask=holding < 0),
            "warranty_policy_id": np.ma.masked_array(policy + 1, mask=policy < 0),
        },
    )
    from_recent = order >= len(order) - len(recent.customer)  # the last part: all get tickets
    return interactions, _tickets(
        rng, texts, topics, customer, occurred, channels, holding, policy, from_recent, timeline
    )


def _tickets(
    rng: np.random.Generator,
    texts: Texts,
    topics: list[TopicSpec | str],
    customer: np.ndarray,
    occurred: np.ndarray,
    channels: np.ndarray,
    holding: np.ndarray,
    policy: np.ndarray,
    recent: np.ndarray,
    timeline: Timeline,
) -> TableData:
    can_open = np.array(
        [isinstance(t, TopicSpec) and t.ticket and t.direction == "inbound" for t in topics],
        dtype=bool,
    )
    rows = np.flatnonzero(can_open & ((rng.random(len(topics)) < _TICKET_SHARE) | recent))
    as_of = timeline.as_of_instant
    opened = np.minimum(
        occurred[rows] + (rng.uniform(1, 30, len(rows)) * 60).astype("timedelta64[s]"),
        as_of - np.timedelta64(1, "s"),
    )
    age_days = (as_of - opened) / np.timedelta64(1, "D")
    resolved_at = opened + (rng.uniform(0.5, 14 * 24, len(rows)) * 3600).astype("timedelta64[s]")
    draw = rng.random(len(rows))
    finished = (resolved_at < as_of) & ~recent[rows] & ((age_days > 30) | (draw < 0.7))
    status = np.where(
        finished,
        np.where(
            age_days > 30,
            np.where(draw < 0.87, "closed", "resolved"),
            np.where(draw < 0.5, "resolved", "closed"),
        ),
        np.where(draw < 0.6, "open", "pending"),
    ).astype(object)
    chosen = [topics[i] for i in rows.tolist()]
    priority = np.array(_PRIORITIES, dtype=object)[choose(rng, _PRIORITY_WEIGHTS, len(rows))]
    priority = np.where([t.topic == "disputed_transaction" for t in chosen], "high", priority)
    return TableData(
        "support_ticket",
        {
            "id": np.arange(1, len(rows) + 1),
            "customer_id": customer[rows] + 1,
            "subject": [t.subject for t in chosen],
            "status": status,
            "priority": priority.tolist(),
            "channel": channels[rows],
            "opened_at": opened,
            "resolved_at": np.where(finished, resolved_at, np.datetime64("NaT")),
            "resolution": [
                t.resolution if done else None
                for t, done in zip(chosen, finished.tolist(), strict=True)
            ],
            "holding_id": np.ma.masked_array(holding[rows] + 1, mask=holding[rows] < 0),
            "warranty_policy_id": np.ma.masked_array(policy[rows] + 1, mask=policy[rows] < 0),
        },
    )
