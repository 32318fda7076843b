"""Writes of warranty policies and claims. Each is one transaction and returns the row stored.

Rules:

- Dates: ``purchase_date <= coverage_start_date < coverage_end_date``; the end date is
  the last day covered (``coverage_months`` after the start, less a day, as the demo
  data and shops count). Purchases are not in the future; coverage lasts at most
  ``MAX_COVERAGE_MONTHS`` and starts at most that long after the purchase.
- A device is its manufacturer and serial number (compared without case or surrounding
  spaces). A customer holds at most one policy of each kind on a device for any day:
  the manufacturer's warranty and an extension are two policies, a second registration
  of either is ``DUPLICATE_POLICY``. Registrations for one customer are serialised (the
  customer row is locked) so that two at once cannot both pass that check.
- A claim is filed on a policy that is not cancelled, for a defect reported inside its
  coverage period (by the UTC date of ``reported_at``), and only while no other claim on
  the policy is undecided. The coverage period decides, not the stored ``status``: a
  report dated inside the period is accepted after the period ended.
- A decision is made once. REPAIR, REPLACE and REFUND need an amount; REJECTED takes
  none. Decided amounts on one policy never sum above its coverage value. Decisions and
  claims on a policy lock the policy row, so the sum a decision checks is the sum it
  changes.
- Live updates: each write publishes its ``CustomerEvent`` inside its transaction
  (``c360.events``): WARRANTY_REGISTERED, WARRANTY_CLAIM_FILED, WARRANTY_CLAIM_DECIDED
  (with the decision and its amount). A refused write publishes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.holdings.models import Product
from c360.transactions import customer_exists, write_transaction
from c360.validation import (
    MAX_TEXT_LENGTH,
    currency_code,
    money_amount,
    now_or,
    optional_text,
    past_time,
    required_text,
)
from c360.warranty import repository
from c360.warranty.errors import WarrantyError, WarrantyErrorCode
from c360.warranty.models import (
    ClaimDecision,
    ClaimStatus,
    WarrantyKind,
    WarrantyStatus,
)

__all__ = [
    "MAX_AMOUNT",
    "MAX_COVERAGE_MONTHS",
    "decide_warranty_claim",
    "file_warranty_claim",
    "register_warranty",
]

MAX_MODEL_LENGTH = 120  # warranty_policy.product_model
MAX_MANUFACTURER_LENGTH = 80  # warranty_policy.manufacturer
MAX_SERIAL_LENGTH = 64  # warranty_policy.serial_number
MAX_COVERAGE_MONTHS = 120
# Goods under warranty; a larger figure is a typing error.
MAX_AMOUNT = Decimal("10000000.00")
EARLIEST_PURCHASE = dt.date(1970, 1, 1)

Code = WarrantyErrorCode
policy: Table = repository.policy
claim: Table = repository.claim
product: Table = Product.__table__  # type: ignore[assignment]

_OPEN_CLAIM = (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW)


async def register_warranty(
    engine: AsyncEngine,
    *,
    customer_id: int,
    product_model: str,
    serial_number: str,
    purchase_date: dt.date,
    kind: WarrantyKind,
    price_paid: Decimal,
    coverage_value: Decimal,
    currency: str,
    manufacturer: str | None = None,
    coverage_start_date: dt.date | None = None,
    coverage_end_date: dt.date | None = None,
    coverage_months: int | None = None,
    product_id: int | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """Register a policy: give either ``coverage_end_date`` or ``coverage_months``."""
    now = now_or(now)
    start, end = _coverage(
        purchase_date, coverage_start_date, coverage_end_date, coverage_months, today=now.date()
    )
    values = {
        "customer_id": customer_id,
        "product_id": product_id,
        "product_model": required_text("product_model", product_model, max_length=MAX_MODEL_LENGTH),
        "manufacturer": optional_text(
            "manufacturer", manufacturer, max_length=MAX_MANUFACTURER_LENGTH
        ),
        "serial_number": required_text(
            "serial_number", serial_number, max_length=MAX_SERIAL_LENGTH
        ),
        "purchase_date": purchase_date,
        "coverage_start_date": start,
        "coverage_end_date": end,
        "kind": WarrantyKind(kind),
        "price_paid": money_amount("price_paid", price_paid, maximum=MAX_AMOUNT),
        "coverage_value": money_amount(
            "coverage_value", coverage_value, maximum=MAX_AMOUNT, positive=True
        ),
        "currency": currency_code("currency", currency),
        "status": WarrantyStatus.ACTIVE if end >= now.date() else WarrantyStatus.EXPIRED,
        "created_at": now,
    }
    async with write_transaction(engine) as conn:
        if not await customer_exists(conn, customer_id, lock=True):
            raise WarrantyError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")
        if product_id is not None and not await _product_exists(conn, product_id):
            raise WarrantyError(Code.PRODUCT_NOT_FOUND, "no such product", field="product_id")
        await _check_not_duplicate(conn, values)
        new_id = await conn.scalar(insert(policy).values(values).returning(policy.c.id))
        registered = (await repository.policies_by_ids(conn, [int(new_id)]))[0]
        await events.publish_row(
            conn, events.EventKind.WARRANTY_REGISTERED, "WarrantyPolicy", registered, at=now
        )
        return registered


async def file_warranty_claim(
    engine: AsyncEngine,
    *,
    policy_id: int,
    defect_description: str,
    reported_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """File a claim (status SUBMITTED); ``reported_at`` defaults to now, never later."""
    now = now_or(now)
    description = required_text(
        "defect_description", defect_description, max_length=MAX_TEXT_LENGTH
    )
    reported = now if reported_at is None else past_time("reported_at", reported_at, now=now)
    async with write_transaction(engine) as conn:
        covered = await _lock_policy(conn, policy_id)
        if covered.status == WarrantyStatus.CANCELLED:
            raise WarrantyError(
                Code.POLICY_NOT_ACTIVE, "the policy was cancelled", field="policy_id"
            )
        day = reported.date()
        if not covered.coverage_start_date <= day <= covered.coverage_end_date:
            raise WarrantyError(
                Code.OUTSIDE_COVERAGE,
                f"the policy covers {covered.coverage_start_date} to "
                f"{covered.coverage_end_date}, not {day}",
                field="policy_id" if reported_at is None else "reported_at",
            )
        undecided = await conn.scalar(
            select(claim.c.id).where(
                claim.c.policy_id == policy_id, claim.c.status.in_(_OPEN_CLAIM)
            )
        )
        if undecided is not None:
            raise WarrantyError(
                Code.CLAIM_ALREADY_OPEN,
                "the policy has a claim that is not decided yet",
                field="policy_id",
            )
        values = {
            "policy_id": policy_id,
            "customer_id": covered.customer_id,
            "defect_description": description,
            "reported_at": reported,
            "status": ClaimStatus.SUBMITTED,
        }
        new_id = await conn.scalar(insert(claim).values(values).returning(claim.c.id))
        filed = (await repository.claims_by_ids(conn, [int(new_id)]))[0]
        await events.publish_row(
            conn, events.EventKind.WARRANTY_CLAIM_FILED, "WarrantyClaim", filed, at=now
        )
        return filed


async def decide_warranty_claim(
    engine: AsyncEngine,
    *,
    claim_id: int,
    decision: ClaimDecision,
    amount: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """Decide an open claim: status DECIDED, the decision, its amount and ``resolved_at``."""
    now = now_or(now)
    decision = ClaimDecision(decision)
    if decision == ClaimDecision.REJECTED and amount is not None:
        raise WarrantyError(Code.AMOUNT_NOT_ALLOWED, "a rejection takes no amount", field="amount")
    if decision != ClaimDecision.REJECTED:
        if amount is None:
            raise WarrantyError(
                Code.AMOUNT_REQUIRED, f"a {decision.name} decision needs an amount", field="amount"
            )
        amount = money_amount("amount", amount, maximum=MAX_AMOUNT, positive=True)
    async with write_transaction(engine) as conn:
        policy_id = await conn.scalar(select(claim.c.policy_id).where(claim.c.id == claim_id))
        if policy_id is None:
            raise WarrantyError(Code.CLAIM_NOT_FOUND, "no such claim", field="claim_id")
        covered = await _lock_policy(conn, policy_id)
        current = (
            await conn.execute(select(claim).where(claim.c.id == claim_id).with_for_update())
        ).one()
        if current.status not in _OPEN_CLAIM:
            raise WarrantyError(
                Code.CLAIM_NOT_OPEN, "the claim was decided already", field="claim_id"
            )
        if amount is not None:
            await _check_coverage_left(conn, covered, amount)
        await conn.execute(
            update(claim)
            .where(claim.c.id == claim_id)
            .values(
                status=ClaimStatus.DECIDED,
                decision=decision,
                amount=amount,
                resolved_at=max(now, current.reported_at),
            )
        )
        decided = (await repository.claims_by_ids(conn, [claim_id]))[0]
        await events.publish_row(
            conn,
            events.EventKind.WARRANTY_CLAIM_DECIDED,
            "WarrantyClaim",
            decided,
            at=now,
            decision=decision.name,
            # A string: JSON numbers would not keep the decimal places.
            amount=None if amount is None else str(amount),
            currency=covered.currency,
        )
        return decided


# checks ------------------------------------------------------------------------------


def _coverage(
    purchase: dt.date,
    start: dt.date | None,
    end: dt.date | None,
    months: int | None,
    *,
    today: dt.date,
) -> tuple[dt.date, dt.date]:
    """The coverage period, checked: (start, last day covered)."""
    if not EARLIEST_PURCHASE <= purchase <= today:
        raise WarrantyError(
            Code.INVALID_DATES,
            f"purchaseDate must be between {EARLIEST_PURCHASE} and today",
            field="purchase_date",
        )
    start = purchase if start is None else start
    if not purchase <= start <= add_months(purchase, MAX_COVERAGE_MONTHS):
        raise WarrantyError(
            Code.INVALID_DATES,
            "coverageStartDate must be on or after purchaseDate, "
            f"and at most {MAX_COVERAGE_MONTHS} months after it",
            field="coverage_start_date",
        )
    if (end is None) == (months is None):
        raise WarrantyError(
            Code.INVALID_INPUT,
            "give either coverageEndDate or coverageMonths",
            field="coverage_months" if end is None else "coverage_end_date",
        )
    if months is not None:
        if not 0 < months <= MAX_COVERAGE_MONTHS:
            raise WarrantyError(
                Code.INVALID_INPUT,
                f"coverageMonths must be 1 to {MAX_COVERAGE_MONTHS}",
                field="coverage_months",
            )
        end = add_months(start, months) - dt.timedelta(days=1)
    assert end is not None
    if not start < end <= add_months(start, MAX_COVERAGE_MONTHS):
        raise WarrantyError(
            Code.INVALID_DATES,
            "coverageEndDate must be after coverageStartDate, "
            f"and at most {MAX_COVERAGE_MONTHS} months after it",
            field="coverage_end_date",
        )
    return start, end


async def _check_not_duplicate(conn: AsyncConnection, values: dict[str, Any]) -> None:
    manufacturer = values["manufacturer"]
    same_maker = (
        policy.c.manufacturer.is_(None)
        if manufacturer is None
        else func.upper(policy.c.manufacturer) == func.upper(literal(manufacturer))
    )
    clash = await conn.scalar(
        select(policy.c.id)
        .where(
            policy.c.customer_id == values["customer_id"],
            # The database's upper() on both sides: Python's differs beyond ASCII ("ß").
            func.upper(policy.c.serial_number) == func.upper(literal(values["serial_number"])),
            same_maker,
            policy.c.kind == values["kind"],
            policy.c.status != WarrantyStatus.CANCELLED,
            policy.c.coverage_start_date <= values["coverage_end_date"],
            policy.c.coverage_end_date >= values["coverage_start_date"],
        )
        .limit(1)
    )
    if clash is not None:
        raise WarrantyError(
            Code.DUPLICATE_POLICY,
            f"the customer has a {values['kind'].name} policy on this device "
            "for an overlapping period",
            field="serial_number",
        )


async def _check_coverage_left(conn: AsyncConnection, covered: Row[Any], amount: Decimal) -> None:
    decided = await conn.execute(
        select(claim.c.amount).where(
            claim.c.policy_id == covered.id,
            claim.c.status == ClaimStatus.DECIDED,
            claim.c.amount.is_not(None),
        )
    )
    # Summed here, not in SQL: the Money type converts each value exactly on both databases.
    left = covered.coverage_value - sum((row.amount for row in decided), Decimal(0))
    if amount > left:
        raise WarrantyError(
            Code.AMOUNT_EXCEEDS_COVERAGE,
            f"{amount} asked, {left} {covered.currency} of coverage left",
            field="amount",
        )


async def _lock_policy(conn: AsyncConnection, policy_id: int) -> Row[Any]:
    stmt = select(policy).where(policy.c.id == policy_id).with_for_update()
    row = (await conn.execute(stmt)).one_or_none()
    if row is None:
        raise WarrantyError(Code.POLICY_NOT_FOUND, "no such warranty policy", field="policy_id")
    return row


async def _product_exists(conn: AsyncConnection, product_id: int) -> bool:
    return await conn.scalar(select(product.c.id).where(product.c.id == product_id)) is not None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return day.replace(year=year, month=month, day=min(day.day, (next_month - dt.timedelta(1)).day))
