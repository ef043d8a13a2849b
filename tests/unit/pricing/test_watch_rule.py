"""Price watches' rule: a significant move the way the traveler asked, told once; again only
when it turned or went further; armed again once it faded."""

from __future__ import annotations

import pytest

from navio.pricing.domain import Change, Direction, alert, faded


# ------------------------------------------------------------------ watches
def _moved(ratio: float, significant: bool = True) -> Change:
    return Change(
        ratio=ratio,
        p_value=0.001 if significant else 0.5,
        recent=6,
        before=6,
        significant=significant,
    )


@pytest.mark.parametrize(
    ("ratio", "significant", "direction", "alerted", "told"),
    [
        (1.30, True, Direction.UP, None, True),
        (1.30, True, Direction.DOWN, None, False),
        (0.70, True, Direction.DOWN, None, True),
        (0.70, True, Direction.ANY, None, True),
        (1.30, False, Direction.ANY, None, False),  # not significant
        (1.30, True, Direction.UP, 1.30, False),  # told already
        (1.33, True, Direction.UP, 1.30, False),  # 2 % further: the same move
        (1.40, True, Direction.UP, 1.30, True),  # 7.7 % further
        (0.80, True, Direction.ANY, 1.30, True),  # it turned
    ],
)
def test_a_watch_tells_of_a_move_once(
    ratio: float, significant: bool, direction: Direction, alerted: float | None, told: bool
) -> None:
    assert alert(_moved(ratio, significant), direction, alerted) is told
    assert alert(None, direction, alerted) is False


def test_a_told_move_fades_below_half_the_threshold() -> None:
    assert faded(None, 1.3)  # nothing left to compare
    assert faded(_moved(1.02, False), 1.3)
    assert not faded(_moved(1.04, False), 1.3)  # hovering near the threshold: still told
    assert not faded(_moved(1.02, False), None)  # nothing was told
