"""Trip planning: a request and candidate places in, day-by-day schedules out.

`plan_trip` turns a `PlanRequest` (days, interests, pace, must-sees, meals ...) and a list of
`Candidate` places into a multi-day orienteering `Instance` for `navio.itinerary.solver`,
solves it and turns the `Solution` back into one `DayPlan` per day with timezone-aware times.
Every solution is re-checked by the independent `navio.itinerary.check`; a violation is a bug
and raises `PlanBugError`.  The module is pure: no database, no web, no other context
(opening hours arrive as plain weekly windows, categories as plain strings).

Units and clocks
----------------
Solver times are **minutes**.  Each day (route) has its own clock: minutes of *elapsed* time
since that day's local midnight in the trip's timezone (so a day with a DST change is still
measured in real minutes; local wall-clock times - day bounds, opening hours, meal windows -
are converted through `zoneinfo`).  Travel legs are rounded *up* to whole minutes; visit and
meal durations are whole minutes, so plans built from whole-minute inputs have whole-minute
times.  A leg the router cannot answer (non-finite) is treated as unreachable.

Score (`candidate_score`; every term is returned in `PlannedStop.why`, the score is their sum)
---------------------------------------------------------------------------------------------
==============  =========================================================================
term            value
==============  =========================================================================
``interest``    3.0 when the category belongs to one of the interests, 1.0 when it does
                not; 2.0 for everyone when the request names no interests
``rating``      2.0 x rating / 5 (an unknown rating counts as 3 / 5)
``popularity``  1.5 x popularity (clamped to 0..1)
``must_see``    5.0 for a must-see (which is also a solver must-visit node), else 0
``length``      (w - 1) x (sum of the terms above), with the length weight
                w = (visit minutes + 20) / 80 clamped to 0.4..2.0 (table minutes or the
                override, before the pace): a 10-minute artwork counts 0.4 of its terms,
                a 60-minute visit 1.0, a 90-minute museum 1.375, 150 minutes and more 2.0
==============  =========================================================================

The length term keeps the score roughly proportional to the time a visit takes, so that the
orienteering objective (total score within the day) does not fill days with ten-minute stops
at the expense of museums.  Scores are always >= 0.4.

Avoided places (by key, category or interest group) are excluded, except that a key named
explicitly as must-see, locked or in the manual order wins over an avoided *category* (the
same key both avoided and required is a `PlanError`); avoid tokens that match nothing are
ignored.

Interest groups (`INTEREST_GROUPS`; an interest may also be a single category, and
``church``/``cathedral``/``mosque``/``synagogue``/``temple`` mean ``place_of_worship``)
--------------------------------------------------------------------------------------
=================  ========================================================================
group              categories
=================  ========================================================================
``culture``        museum, gallery, historic, monument, castle, place_of_worship, artwork,
                   arts_centre
``nature``         park, nature_reserve, beach, natural_site, viewpoint
``food``           restaurant, cafe, fast_food, food_court, market
``family``         zoo, aquarium, theme_park, playground
``nightlife``      bar, pub, nightclub, casino, music_venue
``shopping``       shop, mall, market
``entertainment``  theatre, cinema, music_venue, arts_centre
``sights``         attraction, viewpoint, monument, castle, historic
``wellness``       spa
``sports``         sports
=================  ========================================================================

Which places are visits: categories in `NOT_SIGHTS` (lodging, transport, traveller services)
never are; categories in `INTEREST_ONLY` (food and drink, nightlife, shops and malls, cinemas,
sports, spas, theatres and music venues: a show, not a sight) only when an interest names them
(so restaurants and cafes serve meals unless ``food`` is an interest); everything else,
including categories this module does not know, is a sight.  A must-see, locked or manually
ordered place is always a visit.

Visit durations (`VISIT_MINUTES`, minutes; unknown categories 45)
-----------------------------------------------------------------
attraction 45, museum 90, gallery 60, artwork 10, monument 15, castle 90, historic 30,
place_of_worship 30, viewpoint 20, park 45, nature_reserve 120, beach 90, natural_site 60,
playground 30, zoo 150, aquarium 90, theme_park 180, theatre 120, cinema 120, music_venue 120,
arts_centre 60, nightclub 120, casino 90, library 30, sports 90, spa 120, restaurant 75, cafe 30,
bar 60, pub 60, fast_food 30, food_court 30, shop 20, mall 60, market 45, supermarket 15,
information 15; lodging, transport and services 30.  `Candidate.duration_minutes` replaces the
table value.

Pace (`PACE`)
-------------
* ``relaxed`` - every visit is allotted 30 extra minutes of slack (lingering, a coffee); the
  slack is part of the stop (``end = start + duration + 30``) and must fit inside the opening
  hours too.  The day still starts at the requested time (no later start is assumed).
* ``moderate`` - table durations as they are.
* At most 4 (relaxed), 6 (moderate) or 9 (packed) visits a day, meals not counted (a solver
  limit per route): without it a day fills with ten-minute stops.
* ``packed`` - table durations x 0.8 (rounded, at least 5 minutes).  An explicit
  `Candidate.duration_minutes` is not shortened (it is what the place takes).
Meal durations come from the meal windows and do not depend on the pace.

Opening hours
-------------
`Candidate.hours` are weekly windows ``(start_second_of_week, duration_seconds)`` with Monday
00:00 = 0 in local time; a window may run past Sunday midnight (it wraps around), overlapping
or touching windows are merged (so seven 24-hour windows are "always open").  ``None`` means
unknown: the place is assumed open during the whole day; an empty tuple means never open.
For each day the visit must *start* in the window and *end* by its closing, and lie within
the day: the node's window on that route is ``[max(opening, day start), min(closing, day
end) - duration]``.  When several windows meet the day (10-12 and 13-17) the one giving the
longest such start interval is taken (the earliest on a tie); the solver supports one window
per node and route.  No window long enough: the node is closed on that route.

Travel
------
One `TravelTimes.matrix` call over every point: the distinct day start/end points (hotels,
deduplicated) and every candidate that may be a visit or a meal, in ``request.mode``.  Day
``r`` runs from ``days[r].start_point`` at ``days[r].start`` to ``days[r].end_point`` by
``days[r].end``.  A day too short even for the transfer between its two points gets no visits
and a note (its return is then scheduled after the requested end).

Prefilter
---------
Candidates that are closed on every day, or cannot be reached from the day's start point,
visited and left to the day's end point within any day, are dropped; of the rest the best
``max(150, 12 x days)`` by score (ties by key) are kept, plus every must-see and locked place.

Meals (``request.meals``)
-------------------------
Restaurants are candidates of a `MEAL_CATEGORIES` category whose ``diets`` include every diet
of the request (and that are not avoided).  The trip is first solved without meals (40% of
the time limit).  Then, per day: lunch goes to the eligible restaurant nearest (great-circle)
to where the traveller is, in that first plan, at the middle of the lunch window (position
interpolated along the legs; at a place during a visit or a wait); dinner likewise at the
middle of the dinner window (at or after the last visit, or at the hotel).  A restaurant is
eligible for a meal of a day when it is open for the whole meal inside the meal window and
the day (start in ``[window start, window end - meal duration]``) and can be reached from the
day's start and left for its end in time; restaurants not yet used on the trip are preferred.
Each meal becomes its own node: must-visit, locked to its day, open only on that day with that
window and ``service = meal duration``, score 1, cost 0 (entry prices only count towards the
budget).  A restaurant chosen for a meal is not also a visit.  The trip is then solved again
from scratch with the remaining time.  If the locked meals cannot all be inserted, they stay
must-visit but unlocked.  A meal that cannot be placed is explained in the day's notes (e.g.
"no restaurant matching vegan known nearby: lunch not placed").  Dinner needs a day that
ends after the dinner window opens (the day ends back at the hotel).

Locking: ``request.locked`` maps keys to solver ``locked`` routes, ``request.order`` to
``locked_prefix`` (the day's first visits in that order; in the final solve the day's meals go
between them where the traveler takes them and the day still fits, ``_prefixes_with_meals``).
Budget: node cost = entry price x travellers, solver budget = ``budget_minor``.  Determinism:
the same inputs, seed and ``max_iterations`` give the same plan (with only a time limit, the
result depends on how many iterations fitted).
"""

from __future__ import annotations

from navio.itinerary.plan.planner import plan_trip
from navio.itinerary.plan.rules import (
    INTEREST_GROUPS,
    INTEREST_ONLY,
    MEAL_CATEGORIES,
    NOT_SIGHTS,
    PACE,
    VISIT_MINUTES,
    candidate_score,
    interest_categories,
    visit_minutes,
)
from navio.itinerary.plan.types import (
    Candidate,
    DayPlan,
    DaySpec,
    Leg,
    MealWindow,
    Plan,
    PlanBugError,
    PlanError,
    PlannedStop,
    PlanRequest,
    Totals,
)

__all__ = [
    "INTEREST_GROUPS",
    "INTEREST_ONLY",
    "MEAL_CATEGORIES",
    "NOT_SIGHTS",
    "PACE",
    "VISIT_MINUTES",
    "Candidate",
    "DayPlan",
    "DaySpec",
    "Leg",
    "MealWindow",
    "Plan",
    "PlanBugError",
    "PlanError",
    "PlanRequest",
    "PlannedStop",
    "Totals",
    "candidate_score",
    "interest_categories",
    "plan_trip",
    "visit_minutes",
]
