"""Pricing use cases: travelers report what they paid; anyone asks what is fair where, whether
a price is, and how prices went. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from navio.iam import Principal
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.fx import EURO, EcbRates, FrozenRate, convert_at
from navio.kernel.geo import haversine_m
from navio.kernel.pagination import Cursor, Page, page_of
from navio.places import place_cards
from navio.pricing import domain
from navio.pricing.domain import ITEMS, MAX_AGE_DAYS, Item, Observation
from navio.pricing.errors import (
    DuplicatePriceReport,
    InvalidPriceQuery,
    InvalidPriceReport,
    PriceReportNotFound,
    PriceWatchLimitReached,
    PriceWatchNotFound,
    UnknownItem,
    UnknownPlace,
)
from navio.pricing.events import PriceMoved, PriceReported
from navio.pricing.models import PriceReport, PriceWatch
from navio.pricing.repository import PricingRepository, Spot
from navio.pricing.schemas import (
    Area,
    ChangeRead,
    CheckRead,
    Estimate,
    FairPriceRead,
    HistoryRead,
    ItemRead,
    MonthRead,
    ReportCreate,
    ReportRead,
    WatchCreate,
    WatchRead,
)

DEFAULT_RADIUS_KM = 2.0
MAX_RADIUS_KM = 50.0
MAX_WATCHES = 20  # per traveler


@dataclass(frozen=True, slots=True)
class Question:
    """A price question as asked: an item, the answer's currency, and where (lat/lon within
    radius_km, or a place)."""

    item: str
    currency: str = "EUR"
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    place_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """What a question is about: an item around a point, or at one place of the catalogue."""

    item: Item
    lat: float
    lon: float
    radius_km: float | None
    place_id: uuid.UUID | None

    def spot(self) -> Spot:
        radius_m = self.radius_km * 1000 if self.radius_km is not None else None
        return Spot(self.item.code, self.lat, self.lon, radius_m, self.place_id)

    def area(self) -> Area:
        return Area(lat=self.lat, lon=self.lon, radius_km=self.radius_km, place_id=self.place_id)


async def latest_fair(repo: PricingRepository, spot: Spot, today: date) -> domain.FairPrice | None:
    """The fair price (in euro minor units) from each reporter's latest day in the area (what
    `domain.fair_price` reads of them), counted with all their reports."""
    since = today - timedelta(days=MAX_AGE_DAYS)
    rows = await repo.latest_reports(spot, since)
    fair = domain.fair_price((Observation(u, a, d) for u, a, d, _ in rows), today)
    if fair is None:
        return None
    sent = {user: count for user, _, _, count in rows}
    return replace(fair, reports=sum(sent.values()))


def item_read(item: Item) -> ItemRead:
    return ItemRead(code=item.code, label=item.label, unit=item.unit)


class PricingService:
    def __init__(
        self, repo: PricingRepository, events: EventRecorder, clock: Clock, rates: EcbRates
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.rates = rates

    @staticmethod
    def items() -> list[ItemRead]:
        return [item_read(item) for item in ITEMS.values()]

    @staticmethod
    def _item(code: str) -> Item:
        item = ITEMS.get(code)
        if item is None:
            raise UnknownItem(f"{code!r} is not priced; one of: {', '.join(ITEMS)}", field="item")
        return item

    async def _place(self, place_id: uuid.UUID) -> tuple[float, float]:
        card = (await place_cards(self.repo.session, [place_id])).get(place_id)
        if card is None or card.lat is None or card.lon is None:
            raise UnknownPlace(f"no place {place_id} with a location", field="place_id")
        return card.lat, card.lon

    # ================================================================ reports
    async def report(self, principal: Principal, body: ReportCreate) -> ReportRead:
        item = self._item(body.item)
        today = self.clock.now().date()
        observed_on = body.observed_on or today
        if observed_on > today + timedelta(days=1):
            raise InvalidPriceReport("a price cannot be paid in the future", field="observed_on")
        if observed_on < today - timedelta(days=MAX_AGE_DAYS):
            raise InvalidPriceReport(
                f"reports older than {MAX_AGE_DAYS} days are not read", field="observed_on"
            )
        if body.place_id is not None:
            if body.lat is not None or body.lon is not None:
                raise InvalidPriceReport("send either place_id or lat and lon", field="place_id")
            lat, lon = await self._place(body.place_id)
        elif body.lat is None or body.lon is None:
            raise InvalidPriceReport("where was it paid: place_id, or lat and lon", field="lat")
        else:
            lat, lon = body.lat, body.lon
        cell = domain.cell(lat, lon)
        if await self.repo.same_report(principal.user_id, item.code, cell, observed_on):
            raise DuplicatePriceReport(
                "one report per item, spot and day: delete the earlier one to correct it",
                field="item",
            )
        rate = self.rates.planning_rate(body.currency, EURO, observed_on)
        row = PriceReport(
            user_id=principal.user_id,
            item=item.code,
            amount_minor=body.amount_minor,
            currency=body.currency,
            amount_eur_minor=max(convert_at(body.amount_minor, rate), 1),
            rate=str(rate.rate),
            rate_published_on=rate.published_on,
            observed_on=observed_on,
            lat=lat,
            lon=lon,
            cell=cell,
            place_id=body.place_id,
            note=body.note,
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        await self.repo.add(row)
        self.events.record(
            PriceReported(
                report_id=row.id,
                user_id=row.user_id,
                item=row.item,
                amount_minor=row.amount_minor,
                currency=row.currency,
                observed_on=row.observed_on,
            )
        )
        return ReportRead.model_validate(row)

    async def my_reports(
        self, principal: Principal, item: str | None, limit: int, cursor: str | None
    ) -> Page[ReportRead]:
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.mine(principal.user_id, item, limit, before)
        page, next_cursor = page_of(rows, limit, lambda r: Cursor(r.created_at, r.id))
        return Page(items=[ReportRead.model_validate(r) for r in page], next_cursor=next_cursor)

    async def delete_report(self, principal: Principal, report_id: uuid.UUID) -> None:
        row = await self.repo.report(report_id)
        if row is None or row.user_id != principal.user_id:
            raise PriceReportNotFound(field="report_id")
        await self.repo.delete(row)

    # ================================================================ questions
    async def _where(self, q: Question) -> Where:
        known = self._item(q.item)
        lat, lon, radius_km, place_id = q.lat, q.lon, q.radius_km, q.place_id
        if place_id is not None:
            if lat is not None or lon is not None or radius_km is not None:
                raise InvalidPriceQuery(
                    "ask about place_id, or about lat and lon within radius_km", field="place_id"
                )
            at_lat, at_lon = await self._place(place_id)
            return Where(known, at_lat, at_lon, None, place_id)
        if lat is None or lon is None:
            raise InvalidPriceQuery("where: place_id, or lat and lon", field="lat")
        return Where(known, lat, lon, radius_km or DEFAULT_RADIUS_KM, None)

    async def _latest(self, where: Where, today: date) -> domain.FairPrice | None:
        return await latest_fair(self.repo, where.spot(), today)

    async def _observations(self, where: Where, since: date) -> list[Observation]:
        rows = await self.repo.reports_in(where.spot(), since)
        return [Observation(str(user), amount, day) for user, amount, day in rows]

    def _rate(self, currency: str, today: date) -> FrozenRate:
        return self.rates.planning_rate(EURO, currency, today)

    @staticmethod
    def _estimate(fair: domain.FairPrice, rate: FrozenRate) -> Estimate:
        def money(eur_minor: int) -> int:
            return convert_at(eur_minor, rate)

        interval = fair.interval
        return Estimate(
            median_minor=money(fair.median),
            low_minor=money(fair.low),
            high_minor=money(fair.high),
            interval_minor=(money(interval[0]), money(interval[1])) if interval else None,
            reporters=fair.reporters,
            outliers=fair.outliers,
            reports=fair.reports,
            effective_reporters=fair.effective,
            confidence=fair.confidence,
            oldest=fair.oldest,
            newest=fair.newest,
        )

    @staticmethod
    def _explain(where: Where, fair: domain.FairPrice | None) -> str:
        spot = "at this place" if where.place_id is not None else f"within {where.radius_km:g} km"
        if fair is None:
            return f"Nobody has reported {where.item.label.lower()} {spot} in the last three years."
        screened = (
            f"; {fair.outliers} screened out as too far from the rest" if fair.outliers else ""
        )
        return (
            f"{fair.reporters} traveler{'s' if fair.reporters != 1 else ''} reported "
            f"{where.item.label.lower()} ({where.item.unit}) {spot} between {fair.oldest} and "
            f"{fair.newest}{screened}. Each counts once, with their latest price; recent "
            f"reports weigh more."
        )

    async def _answer(self, q: Question) -> tuple[FairPriceRead, domain.FairPrice | None]:
        today = self.clock.now().date()
        where = await self._where(q)
        rate = self._rate(q.currency, today)
        fair = await self._latest(where, today)
        answer = FairPriceRead(
            item=item_read(where.item),
            currency=q.currency,
            area=where.area(),
            estimate=self._estimate(fair, rate) if fair else None,
            explanation=self._explain(where, fair),
            rate=str(rate.rate),
            rate_published_on=rate.published_on,
        )
        return answer, fair

    async def fair_price(self, q: Question) -> FairPriceRead:
        answer, _ = await self._answer(q)
        return answer

    async def check(self, q: Question, amount_minor: int) -> CheckRead:
        answer, fair = await self._answer(q)
        verdict = percentile = versus = None
        if fair is not None:
            to_euro = self.rates.planning_rate(q.currency, EURO, self.clock.now().date())
            judged = domain.judge(max(convert_at(amount_minor, to_euro), 1), fair)
            verdict, percentile = judged.verdict, judged.percentile
            versus = round(judged.versus_median * 100, 1)
        return CheckRead(
            **answer.model_dump(),
            amount_minor=amount_minor,
            verdict=verdict,
            percentile=percentile,
            versus_median_pct=versus,
        )

    async def history(self, q: Question, months: int) -> HistoryRead:
        today = self.clock.now().date()
        where = await self._where(q)
        rate = self._rate(q.currency, today)
        index = today.year * 12 + today.month - 1 - (months - 1)
        first = date(index // 12, index % 12 + 1, 1)
        since = domain.change_start(today)
        observations = await self._observations(where, min(first, since))
        series = domain.monthly(o for o in observations if o.observed_on >= first)
        moved = domain.change(observations, today)
        return HistoryRead(
            item=item_read(where.item),
            currency=q.currency,
            area=where.area(),
            months=[
                MonthRead(
                    month=m.month,
                    median_minor=convert_at(m.median, rate),
                    low_minor=convert_at(m.low, rate),
                    high_minor=convert_at(m.high, rate),
                    reporters=m.reporters,
                )
                for m in series
            ],
            change=_change_read(moved) if moved else None,
            rate=str(rate.rate),
            rate_published_on=rate.published_on,
        )

    # ================================================================ watches
    async def watch(self, principal: Principal, body: WatchCreate) -> WatchRead:
        where = await self._where(
            Question(body.item, body.currency, body.lat, body.lon, body.radius_km, body.place_id)
        )
        if await self.repo.count_watches(principal.user_id) >= MAX_WATCHES:
            raise PriceWatchLimitReached(f"at most {MAX_WATCHES}: delete one first")
        now = self.clock.now()
        watch = PriceWatch(
            user_id=principal.user_id,
            item=where.item.code,
            lat=where.lat,
            lon=where.lon,
            radius_km=where.radius_km,
            place_id=where.place_id,
            currency=body.currency,
            direction=body.direction.value,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add_watch(watch)
        return await self._watch_read(watch)

    async def watches(self, principal: Principal) -> list[WatchRead]:
        return [await self._watch_read(w) for w in await self.repo.watches_of(principal.user_id)]

    async def unwatch(self, principal: Principal, watch_id: uuid.UUID) -> None:
        watch = await self.repo.watch(watch_id)
        if watch is None or watch.user_id != principal.user_id:
            raise PriceWatchNotFound()
        await self.repo.delete_watch(watch)

    @staticmethod
    def _watch_where(watch: PriceWatch) -> Where:
        return Where(ITEMS[watch.item], watch.lat, watch.lon, watch.radius_km, watch.place_id)

    async def _change(self, watch: PriceWatch, today: date) -> domain.Change | None:
        where = self._watch_where(watch)
        return domain.change(await self._observations(where, domain.change_start(today)), today)

    async def _watch_read(self, watch: PriceWatch) -> WatchRead:
        moved = await self._change(watch, self.clock.now().date())
        return WatchRead(
            id=watch.id,
            item=item_read(ITEMS[watch.item]),
            currency=watch.currency,
            direction=domain.Direction(watch.direction),
            area=self._watch_where(watch).area(),
            created_at=watch.created_at,
            alerted_at=watch.alerted_at,
            alerted_percent=None
            if watch.alerted_ratio is None
            else round((watch.alerted_ratio - 1) * 100, 1),
            change=_change_read(moved) if moved else None,
        )

    async def review(self, watch: PriceWatch) -> bool:
        """Run the change test for a watch; tell its traveler (PriceMoved) of a move the way
        they asked that they were not told of yet. True when they are told."""
        now = self.clock.now()
        moved = await self._change(watch, now.date())
        watch.reviewed_on = now.date()
        if domain.faded(moved, watch.alerted_ratio):
            watch.alerted_ratio = None
        if not domain.alert(moved, domain.Direction(watch.direction), watch.alerted_ratio):
            return False
        assert moved is not None
        watch.alerted_ratio, watch.alerted_at = moved.ratio, now
        where = self._watch_where(watch)
        self.events.record(
            PriceMoved(
                watch_id=watch.id,
                user_id=watch.user_id,
                item=watch.item,
                item_label=where.item.label,
                percent=round((moved.ratio - 1) * 100, 1),
                recent_reporters=moved.recent,
                before_reporters=moved.before,
                where=self._explain_area(where),
            )
        )
        return True

    async def review_reported(self, report_id: uuid.UUID) -> int:
        """A new report: review the watches whose area holds it; how many were told."""
        report = await self.repo.report(report_id)
        if report is None:
            return 0  # deleted since
        told = 0
        for watch in await self.repo.watches_over(
            report.item, report.lat, report.lon, report.place_id
        ):
            inside = watch.place_id is not None or (
                watch.radius_km is not None
                and haversine_m(watch.lat, watch.lon, report.lat, report.lon)
                <= watch.radius_km * 1000
            )
            if inside and await self.review(watch):
                told += 1
        return told

    async def review_due(self, limit: int = 200) -> int:
        """The daily review: prices move as reports age out of the windows too."""
        today = self.clock.now().date()
        told = 0
        for watch in await self.repo.watches_to_review(today, limit):
            told += int(await self.review(watch))
        return told

    @staticmethod
    def _explain_area(where: Where) -> str:
        if where.place_id is not None:
            return "at the place you watch"
        return f"within {where.radius_km:g} km of {where.lat:.4f}, {where.lon:.4f}"


def _change_read(moved: domain.Change) -> ChangeRead:
    return ChangeRead(
        ratio=moved.ratio,
        percent=round((moved.ratio - 1) * 100, 1),
        p_value=round(moved.p_value, 6),
        recent_reporters=moved.recent,
        before_reporters=moved.before,
        significant=moved.significant,
    )
