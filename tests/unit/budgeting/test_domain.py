"""Budget maths: lines add up, per-person parts sum to the total for every split, scenarios and
the optimizer move in the directions they claim, taxes apply by their rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from navio.budgeting import domain, taxes
from navio.budgeting.domain import Assumptions, Inputs, Line, PricedItem, PriceStats, SplitMethod

PEOPLE = tuple(uuid.UUID(int=i + 1) for i in range(6))


def _inputs(
    travelers: int = 3,
    items: Sequence[PricedItem] = (),
    season: float = 1.0,
    contingency: Decimal = Decimal(10),
    members: tuple[uuid.UUID, ...] = PEOPLE[:3],
) -> Inputs:
    def fees(a: Assumptions, lodging: int) -> list[Line]:
        return []

    return Inputs(
        currency="EUR",
        start=date(2027, 7, 1),
        end=date(2027, 7, 4),
        travelers=travelers,
        members=members,
        items=tuple(items),
        meal_prices=PriceStats.of([1500, 2000, 2500, 4000], "test meals"),
        night_prices=PriceStats.of([8000, 10000, 12000, 20000], "test nights"),
        recorded={"shopping": (3000, 2)},
        defaults={"misc": 500},
        default_basis="test",
        season=lambda nights: season,
        season_basis="test season",
        fees=fees,
        contingency_pct=contingency,
    )


def _item(
    n: int, amount: int, value: float = 2.0, people: tuple[uuid.UUID, ...] = ()
) -> PricedItem:
    return PricedItem(
        id=uuid.UUID(int=100 + n),
        category="activities",
        title=f"visit {n}",
        amount_minor=amount,
        day=date(2027, 7, 2),
        participants=people,
        optional=True,
        value=value,
        basis="test",
    )


def test_estimates_follow_their_stated_rules() -> None:
    budget = domain.compute(_inputs(season=1.25))
    lines = {line.key: line for line in budget.lines}
    # median_low of four nights is 10000; x1.25 season; 2 rooms for 3; 3 nights
    assert lines["estimate:lodging"].unit_minor == 12_500
    assert lines["estimate:lodging"].amount_minor == 12_500 * 2 * 3
    assert lines["estimate:food"].amount_minor == 2000 * 2 * 4 * 3
    # 3000 over 2 recorded days, 4 days
    assert lines["estimate:shopping"].amount_minor == 6000
    assert lines["estimate:misc"].amount_minor == 500 * 3 * 4
    assert budget.unestimated == ("transport", "activities", "local_transport", "fees")
    assert budget.subtotal_minor == sum(line.amount_minor for line in budget.lines)
    assert budget.contingency_minor == round(budget.subtotal_minor / 10)


@settings(max_examples=150)
@given(
    st.lists(st.integers(1, 10**7), max_size=8),
    st.sampled_from(list(SplitMethod)),
    st.lists(st.integers(0, 5), min_size=3, max_size=3),
    st.integers(0, 50),
)
def test_per_person_parts_sum_to_the_total(
    amounts: list[int], method: SplitMethod, weights: list[int], contingency: int
) -> None:
    items = [_item(n, a, people=(PEOPLE[n % 3],) if n % 2 else ()) for n, a in enumerate(amounts)]
    budget = domain.compute(
        _inputs(items=items, contingency=Decimal(contingency)),
        split=method,
        weights={p: Decimal(w) for p, w in zip(PEOPLE[:3], weights, strict=True)}
        if any(weights)
        else None,
    )
    assert sum(budget.per_person.values()) == budget.total_minor
    assert set(budget.per_person) == set(PEOPLE[:3])


def test_scenarios_move_the_way_they_say() -> None:
    inputs = _inputs(items=[_item(n, 1000 * (n + 1), value=1 + n) for n in range(3)])
    base = domain.compute(inputs)
    found = {s.name: s for s in domain.scenarios(inputs, base)}
    assert found["cheaper_lodging"].delta_minor < 0
    assert found["fewer_paid_activities"].delta_minor < 0
    assert found["one_more_traveler"].delta_minor > 0
    assert found["shift_+4w"].budget.start == inputs.start + timedelta(weeks=4)


def test_optimize_trades_down_the_least_valuable_first() -> None:
    cheap_gem = _item(1, 1000, value=3.0)  # 3.0 per 10.00
    pricey_dud = _item(2, 9000, value=1.0)  # 1.0 per 90.00: goes first
    inputs = _inputs(items=[cheap_gem, pricey_dud])
    base = domain.compute(inputs)
    cheaper = domain.compute(inputs, Assumptions(lodging_quantile="p25", meal_quantile="p25"))
    budget, steps, fits = domain.optimize(inputs, cheaper.total_minor - 1)
    assert fits and budget.total_minor < cheaper.total_minor < base.total_minor
    assert [s.value_lost for s in steps[:2]] == [0.0, 0.0]
    assert steps[2].action == "leave out visit 2"
    assert all(line.item_id != pricey_dud.id for line in budget.lines)
    assert any(line.item_id == cheap_gem.id for line in budget.lines)
    _, _, fits = domain.optimize(inputs, 1)
    assert not fits


def test_tax_table_applies_by_country_locality_and_date() -> None:
    assert [c.name for c in taxes.charges_for("JP", "Kyoto", date(2027, 4, 1))] == [
        "International Tourist Tax"
    ]
    assert taxes.charges_for("JP", None, date(2018, 4, 1)) == []
    assert [c.per for c in taxes.charges_for("NL", "Amsterdam", date(2027, 1, 1))] == [
        "lodging_pct"
    ]
    assert taxes.charges_for("NL", "Utrecht", date(2027, 1, 1)) == []
    assert taxes.charges_for(None, None, date(2027, 1, 1)) == []
