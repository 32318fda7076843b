"""A typed view of ``db/demo/catalogue.toml`` and ``db/demo/texts.toml``.

The TOML files hold what a product owner might tune (products, countries, branches, the
loyalty program, texts); the code that draws from them holds the rules.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from c360.customers.models import Education
from c360.resources import db_dir


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    category: str
    description: str
    expected_annual_value: Decimal
    balance: str  # deposit | overdraft | credit_line | loan | none
    balance_median_eur: float
    limit_median_eur: float
    term_months: tuple[int, int] | None
    monthly_close_rate: float
    points_per_eur: int


@dataclass(frozen=True)
class RetailModel:
    model: str
    manufacturer: str
    price_eur: int


@dataclass(frozen=True)
class RetailSpec:
    manufacturer_warranty_months: int
    extended_warranty_months: tuple[int, ...]
    extended_share: float
    extended_price_share: float
    points_per_eur: int
    models: dict[str, tuple[RetailModel, ...]]


@dataclass(frozen=True)
class CitySpec:
    name: str
    region: str
    branch: str
    branches: int
    weight: float
    postal_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class CountrySpec:
    code: str
    locale: str
    language: str
    currency: str
    weight: float
    eur_rate: float
    price_level: float
    dialling_code: str
    national_number_length: int
    mobile_prefixes: tuple[str, ...]
    email_domains: tuple[str, ...]
    cities: tuple[CitySpec, ...]


@dataclass(frozen=True)
class TierSpec:
    code: str
    name: str
    rank: int
    threshold_points: int


@dataclass(frozen=True)
class LoyaltySpec:
    code: str
    name: str
    launched_on: dt.date
    points_validity_months: int
    enrolment_share_persons: float
    enrolment_share_organisations: float
    tiers: tuple[TierSpec, ...]


@dataclass(frozen=True)
class OccupationSpec:
    name: str
    min_education: Education
    pay: float


@dataclass(frozen=True)
class InterestSpec:
    tag: str
    share: float
    younger: float
    older: float
    income_slope: float


@dataclass(frozen=True)
class PartnerSpec:
    code: str
    name: str


@dataclass(frozen=True)
class Catalogue:
    products: tuple[ProductSpec, ...]
    retail: RetailSpec
    loyalty: LoyaltySpec
    partners: tuple[PartnerSpec, ...]
    countries: tuple[CountrySpec, ...]
    occupations: tuple[OccupationSpec, ...]
    interests: tuple[InterestSpec, ...]
    business_parties: tuple[str, ...]  # partners and suppliers that are customers too

    @property
    def product_codes(self) -> tuple[str, ...]:
        return tuple(product.code for product in self.products)

    def product(self, code: str) -> ProductSpec:
        return next(product for product in self.products if product.code == code)


@dataclass(frozen=True)
class TopicSpec:
    category: str
    topic: str
    direction: str
    summary: str
    ticket: bool
    subject: str | None
    resolution: str | None


@dataclass(frozen=True)
class AttachmentSpec:
    kind: str
    file_name: str
    media_type: str
    size_bytes: tuple[int, int]


@dataclass(frozen=True)
class Texts:
    topics: tuple[TopicSpec, ...]
    enquiry_summaries: tuple[str, ...]
    ticket_open_notes: tuple[str, ...]
    defects: dict[str, tuple[str, ...]]
    rewards: tuple[str, ...]
    attachments: tuple[AttachmentSpec, ...]


def _read(name: str) -> dict[str, Any]:
    with (db_dir() / "demo" / name).open("rb") as file:
        return tomllib.load(file)


def _product(raw: dict[str, Any]) -> ProductSpec:
    term = raw.get("term_months")
    return ProductSpec(
        code=raw["code"],
        name=raw["name"],
        category=raw["category"],
        description=raw["description"],
        expected_annual_value=Decimal(raw["expected_annual_value"]),
        balance=raw["balance"],
        balance_median_eur=float(raw.get("balance_median_eur", 0)),
        limit_median_eur=float(raw.get("limit_median_eur", 0)),
        term_months=(int(term[0]), int(term[1])) if term else None,
        monthly_close_rate=float(raw.get("monthly_close_rate", 0.0)),
        points_per_eur=int(raw.get("points_per_eur", 0)),
    )


def _country(code: str, raw: dict[str, Any]) -> CountrySpec:
    cities = tuple(
        CitySpec(
            name=city["name"],
            region=city["region"],
            branch=city["branch"],
            branches=int(city["branches"]),
            weight=float(city["weight"]),
            postal_prefixes=tuple(city["postal_prefixes"]),
        )
        for city in raw["cities"]
    )
    return CountrySpec(
        code=code,
        locale=raw["locale"],
        language=raw["language"],
        currency=raw["currency"],
        weight=float(raw["weight"]),
        eur_rate=float(raw["eur_rate"]),
        price_level=float(raw["price_level"]),
        dialling_code=raw["dialling_code"],
        national_number_length=int(raw["national_number_length"]),
        mobile_prefixes=tuple(raw["mobile_prefixes"]),
        email_domains=tuple(raw["email_domains"]),
        cities=cities,
    )


@cache
def load_catalogue() -> Catalogue:
    raw = _read("catalogue.toml")
    retail = raw["retail"]
    loyalty = raw["loyalty"]
    return Catalogue(
        products=tuple(_product(product) for product in raw["products"]),
        retail=RetailSpec(
            manufacturer_warranty_months=int(retail["manufacturer_warranty_months"]),
            extended_warranty_months=tuple(retail["extended_warranty_months"]),
            extended_share=float(retail["extended_share"]),
            extended_price_share=float(retail["extended_price_share"]),
            points_per_eur=int(retail["points_per_eur"]),
            models={
                code: tuple(RetailModel(**model) for model in models)
                for code, models in retail["models"].items()
            },
        ),
        loyalty=LoyaltySpec(
            code=loyalty["code"],
            name=loyalty["name"],
            launched_on=loyalty["launched_on"],
            points_validity_months=int(loyalty["points_validity_months"]),
            enrolment_share_persons=float(loyalty["enrolment_share_persons"]),
            enrolment_share_organisations=float(loyalty["enrolment_share_organisations"]),
            tiers=tuple(
                TierSpec(tier["code"], tier["name"], rank, int(tier["threshold_points"]))
                for rank, tier in enumerate(loyalty["tiers"])
            ),
        ),
        partners=tuple(PartnerSpec(**partner) for partner in raw["partners"]),
        countries=tuple(_country(code, country) for code, country in raw["countries"].items()),
        occupations=tuple(
            OccupationSpec(item["name"], Education(item["min_education"]), float(item["pay"]))
            for item in raw["occupations"]
        ),
        interests=tuple(InterestSpec(**interest) for interest in raw["interests"]),
        business_parties=tuple(raw["business_parties"]),
    )


@cache
def load_texts() -> Texts:
    raw = _read("texts.toml")
    return Texts(
        topics=tuple(
            TopicSpec(
                category=topic["category"],
                topic=topic["topic"],
                direction=topic["direction"],
                summary=topic["summary"],
                ticket=bool(topic["ticket"]),
                subject=topic.get("subject"),
                resolution=topic.get("resolution"),
            )
            for topic in raw["topics"]
        ),
        enquiry_summaries=tuple(raw["enquiry"]["summaries"]),
        ticket_open_notes=tuple(raw["tickets"]["open_notes"]),
        defects={code: tuple(lines) for code, lines in raw["defects"].items()},
        rewards=tuple(raw["loyalty"]["rewards"]),
        attachments=tuple(
            AttachmentSpec(
                kind=item["kind"],
                file_name=item["file_name"],
                media_type=item["media_type"],
                size_bytes=(int(item["size_bytes"][0]), int(item["size_bytes"][1])),
            )
            for item in raw["attachments"]
        ),
    )
