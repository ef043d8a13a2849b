"""Live journeys: a traveler on a trip shares their way to a destination; the people on the trip
read its state (position, distance, ETA, geofences) and get every change pushed live."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.errors import Forbidden
from navio.kernel.events import EventRecorder
from navio.kernel.pagination import Cursor, Page, page_of
from navio.tracking.domain import DESTINATION, Crossing, Fence, Fix, Progress, advance, estimate
from navio.tracking.errors import (
    InvalidPositions,
    JourneyAlreadyActive,
    JourneyNotActive,
    JourneyNotFound,
    JourneyTrackFull,
)
from navio.tracking.events import (
    GeofenceEntered,
    GeofenceExited,
    JourneyArrived,
    JourneyEnded,
    JourneyEvent,
    JourneyStarted,
    PositionRecorded,
)
from navio.tracking.models import Journey, Position
from navio.tracking.repository import TrackingRepository
from navio.tracking.schemas import (
    DestinationRead,
    GeofenceRead,
    JourneyRead,
    JourneyStart,
    PositionRead,
    PositionsIn,
    PositionsResult,
    Track,
)
from navio.trips import TripCard, TripNotFound, trip_card

# a phone's clock may run a little ahead of ours; beyond this a fix is from the future
CLOCK_SKEW = timedelta(minutes=2)
# when sharing starts, a phone first reports its last known position, a little older than the
# journey: that far back it is where the traveler starts from; older fixes are not the journey's
LAST_KNOWN = timedelta(minutes=2)
# about a day at one fix every 10 s
MAX_POSITIONS = 10_000


class TrackingService:
    def __init__(self, repo: TrackingRepository, events: EventRecorder, clock: Clock) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock

    # ---------------------------------------------------------------- access
    async def _member_card(self, principal: Principal, trip_id: uuid.UUID) -> TripCard | None:
        card = await trip_card(self.repo.session, trip_id)
        if card is None or card.role_of(principal.user_id) is None:
            return None
        return card

    async def _journey(
        self, principal: Principal, journey_id: uuid.UUID, *, for_update: bool = False
    ) -> tuple[Journey, TripCard]:
        """The journey, for anyone on its trip; to everyone else it does not exist."""
        journey = await self.repo.journey(journey_id, for_update=for_update)
        card = await self._member_card(principal, journey.trip_id) if journey else None
        if journey is None or card is None:
            raise JourneyNotFound()
        return journey, card

    # ---------------------------------------------------------------- use cases
    async def start(
        self, principal: Principal, trip_id: uuid.UUID, body: JourneyStart
    ) -> JourneyRead:
        if await self._member_card(principal, trip_id) is None:
            raise TripNotFound()
        active = await self.repo.active(trip_id, principal.user_id)
        if active is not None:
            raise JourneyAlreadyActive("end it before starting another", journey_id=str(active.id))
        now = self.clock.now()
        destination = body.destination.model_dump() | {"radius_m": body.arrival_radius_m}
        journey = Journey(
            trip_id=trip_id,
            traveler_id=principal.user_id,
            mode=body.mode,
            status="active",
            destination=destination,
            geofences=[g.model_dump() for g in body.geofences],
            progress=Progress().to_json(),
            positions=0,
            version=1,
            started_at=now,
            updated_at=now,
        )
        await self.repo.add(journey)
        read = self._read(journey)
        self._record(JourneyStarted, journey, {"journey": read.model_dump(mode="json")}, now)
        return read

    async def journeys(
        self,
        principal: Principal,
        trip_id: uuid.UUID,
        limit: int,
        cursor: str | None,
        status: str | None,
    ) -> Page[JourneyRead]:
        if await self._member_card(principal, trip_id) is None:
            raise TripNotFound()
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.journeys(trip_id, limit, before, status)
        page, next_cursor = page_of(rows, limit, lambda j: Cursor(j.started_at, j.id))
        return Page(items=[self._read(j) for j in page], next_cursor=next_cursor)

    async def journey(self, principal: Principal, journey_id: uuid.UUID) -> JourneyRead:
        journey, _ = await self._journey(principal, journey_id)
        return self._read(journey)

    async def record(
        self, principal: Principal, journey_id: uuid.UUID, body: PositionsIn
    ) -> PositionsResult:
        journey, _ = await self._journey(principal, journey_id, for_update=True)
        if journey.traveler_id != principal.user_id:
            raise Forbidden("only the traveler records the journey's positions")
        if journey.status != "active":
            raise JourneyNotActive(f"the journey is {journey.status}")
        now = self.clock.now()
        for index, position in enumerate(body.positions):
            if position.recorded_at > now + CLOCK_SKEW:
                raise InvalidPositions(
                    f"recorded_at {position.recorded_at.isoformat()} is in the future",
                    field=f"positions[{index}].recorded_at",
                )
        progress = Progress.from_json(journey.progress)
        after = progress.last.at if progress.last else journey.started_at - LAST_KNOWN
        fixes: list[Fix] = []
        for position in sorted(body.positions, key=lambda p: p.recorded_at):
            at = position.recorded_at.astimezone(UTC)
            if at > (fixes[-1].at if fixes else after):
                fixes.append(Fix(position.lat, position.lon, position.accuracy_m, at))
        ignored = len(body.positions) - len(fixes)
        if not fixes:
            return PositionsResult(journey=self._read(journey), accepted=0, ignored=ignored)
        if journey.positions + len(fixes) > MAX_POSITIONS:
            raise JourneyTrackFull(
                f"a journey holds at most {MAX_POSITIONS} positions; start a new one"
            )
        progress, crossings = advance(progress, fixes, self._fences(journey))
        await self.repo.add_positions(
            [
                Position(
                    journey_id=journey.id,
                    recorded_at=fix.at,
                    lat=fix.lat,
                    lon=fix.lon,
                    accuracy_m=fix.accuracy_m,
                )
                for fix in fixes
            ]
        )
        journey.progress = progress.to_json()
        journey.positions += len(fixes)
        arrival = next((c for c in crossings if c.fence == DESTINATION), None)
        if arrival is not None and arrival.transition == "entered":
            journey.status = "arrived"
            journey.arrived_at = arrival.at
        self._touch(journey, now)
        read = self._read(journey)
        for crossing in crossings:
            if crossing.fence != DESTINATION:
                self._record_crossing(journey, crossing, now)
        self._record(PositionRecorded, journey, {"journey": read.model_dump(mode="json")}, now)
        if journey.status == "arrived":
            self._record(JourneyArrived, journey, {"journey": read.model_dump(mode="json")}, now)
        return PositionsResult(journey=read, accepted=len(fixes), ignored=ignored)

    async def end(self, principal: Principal, journey_id: uuid.UUID) -> JourneyRead:
        journey, card = await self._journey(principal, journey_id, for_update=True)
        if principal.user_id not in (journey.traveler_id, card.owner_id):
            raise Forbidden("only the traveler or the trip's owner ends a journey")
        if journey.status != "active":
            raise JourneyNotActive(f"the journey is {journey.status}")
        now = self.clock.now()
        journey.status = "ended"
        journey.ended_at = now
        self._touch(journey, now)
        read = self._read(journey)
        self._record(JourneyEnded, journey, {"journey": read.model_dump(mode="json")}, now)
        return read

    async def track(self, principal: Principal, journey_id: uuid.UUID) -> Track:
        journey, _ = await self._journey(principal, journey_id)
        points = await self.repo.track(journey.id)
        return Track(
            geometry={"type": "LineString", "coordinates": [[p.lon, p.lat] for p in points]},
            properties={
                "journey_id": str(journey.id),
                "status": journey.status,
                "times": [p.recorded_at.isoformat() for p in points],
                "accuracy_m": [p.accuracy_m for p in points],
            },
        )

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _destination(journey: Journey) -> Fence:
        d = journey.destination
        return Fence(DESTINATION, d["lat"], d["lon"], d["radius_m"])

    def _fences(self, journey: Journey) -> list[Fence]:
        return [self._destination(journey)] + [
            Fence(g["name"], g["lat"], g["lon"], g["radius_m"]) for g in journey.geofences
        ]

    @staticmethod
    def _touch(journey: Journey, now: datetime) -> None:
        journey.version += 1
        journey.updated_at = now

    def _record(
        self,
        event: type[JourneyEvent],
        journey: Journey,
        data: dict[str, Any],
        occurred_at: datetime,
    ) -> None:
        self.events.record(
            event(
                trip_id=journey.trip_id,
                journey_id=journey.id,
                traveler_id=journey.traveler_id,
                data=data,
            ),
            occurred_at=occurred_at,
        )

    def _record_crossing(self, journey: Journey, crossing: Crossing, now: datetime) -> None:
        event = GeofenceEntered if crossing.transition == "entered" else GeofenceExited
        data = {
            "geofence": crossing.fence,
            "at": crossing.at.isoformat(),
            "lat": crossing.lat,
            "lon": crossing.lon,
        }
        # when the phone saw it is in the data; the event itself happens now, on our clock
        self._record(event, journey, data, now)

    def _read(self, journey: Journey) -> JourneyRead:
        progress = Progress.from_json(journey.progress)
        last = progress.last
        remaining: int | None = None
        speed: float | None = None
        eta: datetime | None = None
        if journey.status == "arrived":
            remaining, eta = 0, journey.arrived_at
        elif journey.status == "active":
            guess = estimate(progress, self._destination(journey), journey.mode)
            if guess is not None:
                remaining = round(guess.remaining_m)
                speed = round(guess.speed_mps, 2)
                eta = guess.eta_at
        return JourneyRead(
            id=journey.id,
            trip_id=journey.trip_id,
            traveler_id=journey.traveler_id,
            mode=journey.mode,
            status=journey.status,
            destination=DestinationRead(**journey.destination),
            geofences=[
                GeofenceRead(**g, inside=g["name"] in progress.inside) for g in journey.geofences
            ],
            started_at=journey.started_at,
            arrived_at=journey.arrived_at,
            ended_at=journey.ended_at,
            position=(
                PositionRead(
                    lat=last.lat, lon=last.lon, accuracy_m=last.accuracy_m, recorded_at=last.at
                )
                if last
                else None
            ),
            positions=journey.positions,
            travelled_m=round(progress.travelled_m),
            remaining_m=remaining,
            speed_mps=speed,
            eta_at=eta,
            version=journey.version,
        )
