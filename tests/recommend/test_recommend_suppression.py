"""The suppression windows and the cap per contact, one rule at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from c360.customers.models import Channel
from c360.recommend.eligibility import load_rules, parse_rules
from c360.recommend.models import OfferResponseKind as Kind
from c360.recommend.suppression import RecentResponse, SuppressionPolicy

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
POLICY = SuppressionPolicy(
    rejected_days=90,
    accepted_days=30,
    ignored_limit=3,
    contact_period_days=30,
    max_offers_per_channel=4,
)


def _response(code: str, kind: Kind, days_ago: float, channel: Channel = Channel.BRANCH):
    return RecentResponse(code, kind, channel, NOW - dt.timedelta(days=days_ago))


def test_a_rejection_rests_the_product_for_the_window_only() -> None:
    assert POLICY.suppressed([_response("mortgage", Kind.REJECTED, 89)], NOW) == {"mortgage"}
    assert POLICY.suppressed([_response("mortgage", Kind.REJECTED, 91)], NOW) == set()


def test_an_acceptance_rests_the_product_for_its_shorter_window() -> None:
    assert POLICY.suppressed([_response("laptop", Kind.ACCEPTED, 29)], NOW) == {"laptop"}
    assert POLICY.suppressed([_response("laptop", Kind.ACCEPTED, 31)], NOW) == set()


def test_a_product_ignored_often_enough_in_the_period_rests() -> None:
    twice = [_response("laptop", Kind.IGNORED, d) for d in (1, 2)]
    assert POLICY.suppressed(twice, NOW) == set()
    assert POLICY.suppressed([*twice, _response("laptop", Kind.IGNORED, 3)], NOW) == {"laptop"}
    assert POLICY.suppressed([*twice, _response("laptop", Kind.IGNORED, 40)], NOW) == set()


def test_the_allowance_counts_recent_offers_on_the_channel_or_on_all() -> None:
    responses = [
        _response("a", Kind.IGNORED, 1, Channel.PHONE),
        _response("b", Kind.ACCEPTED, 2, Channel.PHONE),
        _response("c", Kind.REJECTED, 3, Channel.BRANCH),
        _response("d", Kind.IGNORED, 45, Channel.PHONE),  # before the period
    ]
    assert POLICY.allowance(responses, NOW, Channel.PHONE) == 2
    assert POLICY.allowance(responses, NOW, Channel.BRANCH) == 3
    assert POLICY.allowance(responses, NOW, Channel.WEB) == 4
    assert POLICY.allowance(responses, NOW, None) == 1
    assert POLICY.allowance(responses * 3, NOW, None) == 0


def test_the_shipped_settings_are_read_from_eligibility_toml() -> None:
    policy = load_rules().suppression
    assert (policy.rejected_days, policy.max_offers_per_channel) == (90, 6)


@pytest.mark.parametrize(
    "suppression", [{"rejected_days": -1}, {"rejected_days": "90"}, {"reject_days": 90}]
)
def test_bad_settings_are_refused_at_load(suppression: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="suppression"):
        parse_rules({"products": {}, "suppression": suppression})
