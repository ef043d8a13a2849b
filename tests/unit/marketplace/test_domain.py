"""Marketplace rules: IBAN checking (ISO 13616 / ISO 7064 mod 97-10), dated slots from local
times across clock changes, the KYC and listing state machines, rating scores."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.marketplace import domain
from navio.marketplace.domain import KycStatus, ListingStatus, RuleError

# published examples of valid IBANs (the national banks' and the ECB's specimens)
VALID = [
    "FI21 1234 5600 0007 85",
    "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
    "NO93 8601 1117 947",
]


@pytest.mark.parametrize("iban", VALID)
def test_published_ibans_are_accepted_in_electronic_form(iban: str) -> None:
    assert domain.normalise_iban(iban.lower()) == iban.replace(" ", "")


@given(st.sampled_from(VALID), st.data())
def test_any_one_mistyped_character_is_caught(iban: str, data: st.DataObject) -> None:
    """A digit mistyped as another digit, or a letter as another letter, moves the number by
    d * 10^k with 0 < |d| < 97: never a multiple of 97, always caught."""
    electronic = iban.replace(" ", "")
    at = data.draw(st.integers(min_value=2, max_value=len(electronic) - 1))
    same_kind = string.digits if electronic[at].isdigit() else string.ascii_uppercase
    typo = data.draw(st.sampled_from(same_kind).filter(lambda c: c != electronic[at]))
    changed = electronic[:at] + typo + electronic[at + 1 :]
    with pytest.raises(RuleError):
        domain.normalise_iban(changed)


@pytest.mark.parametrize(
    ("iban", "why"),
    [
        ("FI21 1234 5600 0007 8", "18 characters"),
        ("XX21 1234 5600 0007 85", "has no IBANs"),
        ("FI2X 1234 5600 0007 85", "check digits"),
        ("FI21-1234-5600-0007-85", "letters and digits"),
    ],
)
def test_malformed_ibans_say_what_is_wrong(iban: str, why: str) -> None:
    with pytest.raises(RuleError, match=why):
        domain.normalise_iban(iban)


def test_masking_keeps_the_country_and_the_last_four() -> None:
    assert domain.mask_iban("FI2112345600000785") == "FI21 **** 0785"


HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_hour_skipped_in_spring_is_skipped_and_the_repeated_hour_is_taken_once() -> None:
    # 2027-03-28 04:00 EET -> EEST: 03:30 does not happen; 2027-10-31 03:30 happens twice
    spring = domain.plan_slots(
        date(2027, 3, 27), date(2027, 3, 29), range(7), [time(3, 30)], HELSINKI, NOW
    )
    assert spring.nonexistent == 1
    assert [s.isoformat() for s in spring.starts] == [
        "2027-03-27T01:30:00+00:00",
        "2027-03-29T00:30:00+00:00",
    ]
    autumn = domain.plan_slots(
        date(2027, 10, 31), date(2027, 10, 31), range(7), [time(3, 30)], HELSINKI, NOW
    )
    assert [s.isoformat() for s in autumn.starts] == ["2027-10-31T00:30:00+00:00"]  # EEST


ZONES = ["Europe/Helsinki", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.dates(min_value=date(2026, 11, 1), max_value=date(2028, 12, 31)),
    span=st.integers(min_value=0, max_value=60),
    weekdays=st.sets(st.integers(min_value=0, max_value=6), min_size=1),
    times=st.sets(st.times(), min_size=1, max_size=6),
)
def test_every_start_is_a_chosen_local_time_on_a_chosen_day(
    zone: str, first: date, span: int, weekdays: set[int], times: set[time]
) -> None:
    tz = ZoneInfo(zone)
    last = first + timedelta(days=span)
    plan = domain.plan_slots(first, last, weekdays, times, tz, NOW)
    assert plan.starts == sorted(set(plan.starts))
    for start in plan.starts:
        local = start.astimezone(tz)
        assert local.time().replace(tzinfo=None) in times
        assert local.weekday() in weekdays and first <= local.date() <= last
        assert start > NOW
    days = sum(1 for i in range(span + 1) if (first + timedelta(days=i)).weekday() in weekdays)
    assert len(plan.starts) + plan.nonexistent + plan.past == days * len(times)


def test_a_range_too_long_or_backwards_is_refused() -> None:
    with pytest.raises(RuleError, match="before the first"):
        domain.plan_slots(date(2027, 1, 2), date(2027, 1, 1), range(7), [time(9)], HELSINKI, NOW)
    with pytest.raises(RuleError, match="366 days"):
        domain.plan_slots(date(2027, 1, 1), date(2028, 1, 2), range(7), [time(9)], HELSINKI, NOW)
    many = [time(h, m) for h in range(24) for m in (0, 30)]
    with pytest.raises(RuleError, match="2000 slots"):
        domain.plan_slots(date(2027, 1, 1), date(2027, 3, 1), range(7), many, HELSINKI, NOW)


def test_kyc_decisions_follow_the_state_machine() -> None:
    assert domain.decide(KycStatus.PENDING, KycStatus.VERIFIED) is KycStatus.VERIFIED
    with pytest.raises(RuleError):
        domain.decide(KycStatus.VERIFIED, KycStatus.REJECTED)
    assert domain.after_change(KycStatus.VERIFIED, ["display_name"]) is KycStatus.VERIFIED
    assert domain.after_change(KycStatus.VERIFIED, ["iban"]) is KycStatus.PENDING
    assert domain.after_change(KycStatus.REJECTED, ["legal_name"]) is KycStatus.PENDING


def test_archived_listings_stay_archived() -> None:
    assert domain.move(ListingStatus.DRAFT, ListingStatus.PUBLISHED) is ListingStatus.PUBLISHED
    for to in ListingStatus:
        if to is not ListingStatus.ARCHIVED:
            with pytest.raises(RuleError):
                domain.move(ListingStatus.ARCHIVED, to)


@given(
    many=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=200),
    extra=st.integers(min_value=1, max_value=5),
)
def test_the_bayesian_score_moves_towards_the_ratings_and_stays_in_range(
    many: list[int], extra: int
) -> None:
    score = domain.bayesian_score(sum(many), len(many))
    assert 1 <= score <= 5
    after = domain.bayesian_score(sum(many) + extra, len(many) + 1)
    # one more rating moves the score towards it, never past it
    if extra >= score:
        assert score <= after <= extra
    else:
        assert extra <= after <= score


def test_one_five_star_review_does_not_outrank_a_hundred_of_four_point_eight() -> None:
    assert domain.bayesian_score(5, 1) < domain.bayesian_score(480, 100)
