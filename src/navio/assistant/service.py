"""Use cases: a traveler talks to the assistant; each message refines the trip understood so
far; once nothing required is missing, the assistant composes the whole journey (journeys) from
the catalogue, or from the options the message carries, and says what it planned or what
stands in the way."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from navio.assistant import telegram
from navio.assistant.domain import Understood, ask, describe, merge, money
from navio.assistant.errors import (
    ChatLinkNotFound,
    ConversationNotFound,
    NoJourneyYet,
    TimezoneRequired,
)
from navio.assistant.models import ChatLink, Conversation, LinkCode
from navio.assistant.nlu import Gazetteer, parse_trip_request
from navio.assistant.repository import AssistantRepository
from navio.assistant.schemas import (
    ChatLinkCode,
    ChatLinkRead,
    ConversationRead,
    ConversationSummary,
    MessageIn,
    MessageRead,
    SavedTrip,
    SaveTrip,
    UnderstoodRead,
)
from navio.iam import Principal
from navio.journeys import ComposeRequest, DayRead, JourneyRead, JourneysService
from navio.kernel.clock import Clock
from navio.kernel.db import SessionSource
from navio.kernel.errors import InvalidInput
from navio.kernel.pagination import Cursor, Page, page_of
from navio.places import CityCard, cities_in_region, cities_named, country_names, us_state_names
from navio.trips import Destination, ItemCreate, TripCreate, TripsService

# the most populous cities of a state or country toured: the composer orders and picks among them
REGION_CITIES = 8
REGION_ALL = 10_000
MAX_NGRAM = 4


def _ngrams(text: str) -> set[str]:
    """The runs of up to four words that could name a place: those starting with a capital
    (all of them in a message written in lower case)."""
    words = [w.strip(".,;:!?()\"'") for w in text.split()]
    words = [w for w in words if w]
    lower = text.islower()
    out = set()
    for n in range(1, MAX_NGRAM + 1):
        for i in range(len(words) - n + 1):
            if lower or words[i][:1].isupper():
                out.add(" ".join(words[i : i + n]))
    return out


class AssistantService:
    def __init__(
        self,
        repo: AssistantRepository,
        source: SessionSource,
        journeys: JourneysService,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.source = source
        self.journeys = journeys
        self.clock = clock

    async def start(self, principal: Principal, body: MessageIn) -> ConversationRead:
        return await self.start_for(principal.user_id, body)

    async def start_for(self, owner_id: uuid.UUID, body: MessageIn) -> ConversationRead:
        title = " ".join(body.text.split())[:120]
        conversation = await self.repo.add_conversation(owner_id, title, self.clock.now())
        await self._turn(conversation, body)
        return await self._read(conversation)

    async def say(
        self, principal: Principal, conversation_id: uuid.UUID, body: MessageIn
    ) -> ConversationRead:
        return await self.say_for(principal.user_id, conversation_id, body)

    async def say_for(
        self, owner_id: uuid.UUID, conversation_id: uuid.UUID, body: MessageIn
    ) -> ConversationRead:
        conversation = await self.repo.conversation_for_update(conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            raise ConversationNotFound()
        await self._turn(conversation, body)
        return await self._read(conversation)

    async def get(self, principal: Principal, conversation_id: uuid.UUID) -> ConversationRead:
        conversation = await self.repo.conversation(conversation_id)
        if conversation is None or conversation.owner_id != principal.user_id:
            raise ConversationNotFound()
        return await self._read(conversation)

    async def conversations(
        self, principal: Principal, cursor: str | None, limit: int
    ) -> Page[ConversationSummary]:
        before = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.conversations(principal.user_id, before, limit)
        page, next_cursor = page_of(rows, limit, lambda c: Cursor(c.created_at, c.id))
        return Page(
            items=[ConversationSummary.model_validate(c, from_attributes=True) for c in page],
            next_cursor=next_cursor,
        )

    async def save_trip(
        self,
        principal: Principal,
        conversation_id: uuid.UUID,
        body: SaveTrip,
        trips: TripsService,
    ) -> SavedTrip:
        """The conversation's latest journey as a trip of the traveler's, a trip item for every
        ride, night, meal and sight (then the planner, budgets, bookings and live journeys work
        on it as on any trip)."""
        conversation = await self.repo.conversation_for_update(conversation_id)
        if conversation is None or conversation.owner_id != principal.user_id:
            raise ConversationNotFound()
        planned = next(
            (m for m in reversed(await self.repo.messages(conversation.id)) if m.journey),
            None,
        )
        if planned is None or planned.journey is None:
            raise NoJourneyYet("ask for a journey first: nothing planned in this conversation")
        journey = JourneyRead.model_validate(planned.journey)
        visited = [p for p in journey.places if p.name in journey.cities]
        zone = body.timezone or next((p.timezone for p in visited if p.timezone), None)
        if zone is None:
            raise TimezoneRequired(
                "the journey was planned from options: give the destination's `timezone`",
                field="timezone",
            )
        origin = journey.days[0].from_city or journey.days[0].city
        title = body.title or f"{origin} → {' → '.join(journey.cities)}"
        trip = await trips.create(
            principal,
            TripCreate(
                title=title[:200],
                destinations=[
                    Destination(
                        name=p.name,
                        place_id=p.place_id,
                        country_code=p.country_code,
                        lat=p.lat,
                        lon=p.lon,
                    )
                    for p in visited
                ]
                or [Destination(name=c) for c in journey.cities],
                start_date=journey.days[0].date,
                end_date=journey.days[-1].date,
                timezone=zone,
                travelers=len(journey.cost.shares_minor),
                currency=journey.cost.currency,
            ),
        )
        zones = {p.name: p.timezone for p in journey.places}
        count = 0
        for day in journey.days:
            for item in _trip_items(day, journey, zones):
                await trips.add_item(principal, trip.id, item)
                count += 1
        now = self.clock.now()
        text = f"Saved as the trip “{trip.title}” with {count} items."
        await self.repo.add_message(conversation, "assistant", text, None, now)
        conversation.updated_at = now
        return SavedTrip(trip_id=trip.id, title=trip.title, items=count)

    # ---------------------------------------------------------------- a turn
    async def _turn(self, conversation: Conversation, body: MessageIn) -> None:
        now = self.clock.now()
        before = Understood.load(conversation.understood or {})
        known = [n for n in (before.origin, before.destination) if n]
        offered: set[str] = set()
        if body.options is not None:  # the options' places are places too, by their names
            offered = {s.city for s in body.options.stays} | {
                end for r in body.options.rides for end in (r.origin, r.destination)
            }
        gazetteer, regions = await self._gazetteer(body.text, known, offered)
        said = parse_trip_request(body.text, gazetteer, today=now.date())
        understood = merge(before, said)
        await self.repo.add_message(conversation, "traveler", body.text, None, now)
        reply, journey = await self._answer(understood, regions, body, list(said.notes))
        await self.repo.add_message(conversation, "assistant", reply, journey, now)
        conversation.understood = understood.dump()
        conversation.updated_at = now

    async def _answer(
        self,
        understood: Understood,
        regions: dict[str, list[CityCard]],
        body: MessageIn,
        notes: list[str],
    ) -> tuple[str, dict[str, object] | None]:
        heard = describe(understood)
        if notes:
            heard += " (" + "; ".join(notes) + ".)"
        missing = understood.missing()
        if missing:
            return f"{heard} {ask(missing)}", None
        assert understood.destination and understood.origin and understood.start
        assert understood.days is not None and understood.budget_minor is not None
        if understood.destination_is_region and body.options is not None:
            # the options say which of the region's cities can be planned: all of them count
            every = {c.name for c in await self._region(understood.destination, REGION_ALL)}
            offered = dict.fromkeys(s.city for s in body.options.stays)
            destinations = [
                c
                for c in offered
                if (c in every or f"{c} City" in every) and c != understood.origin
            ]
        elif understood.destination_is_region:
            cards = regions.get(understood.destination) or await self._region(
                understood.destination, REGION_CITIES
            )
            destinations = [c.name for c in cards if c.name != understood.origin]
        else:
            destinations = [understood.destination, *understood.also]
        try:
            request = ComposeRequest(
                origin=understood.origin,
                destinations=destinations or [understood.destination],
                cities=understood.cities,
                start=understood.start,
                days=understood.days,
                people=understood.people,
                budget={"amount_minor": understood.budget_minor, "currency": understood.currency},
                cuisines=understood.cuisines,
                house_rules=understood.house_rules,
                room_type=understood.room_type,
                excluded_modes=understood.excluded_modes,
                options=body.options,
            )
        except ValidationError as e:
            problems = "; ".join(str(err["msg"]) for err in e.errors())
            return f"{heard} I cannot plan that: {problems}.", None
        try:
            composed = await self.journeys.composed(
                request, {understood.destination: regions.get(understood.destination, [])}
            )
        except InvalidInput as e:
            reasons = e.extra.get("reasons")
            why = "; ".join(reasons) if isinstance(reasons, list) else e.detail
            return f"{heard} No journey fits: {why}.", None
        journey = self.journeys.read(composed)
        return f"{heard} {_summary(journey)}", journey.model_dump(mode="json")

    async def _gazetteer(
        self, text: str, known: list[str], offered: set[str]
    ) -> tuple[Gazetteer, dict[str, list[CityCard]]]:
        """Only the catalogue's cities and the regions the message names (and the places of the
        trip so far): the parser can then find no city the catalogue does not know."""
        grams = _ngrams(text) | set(known)
        # a city is often called without its "City": New York, Mexico, Kansas, Panama
        found = await cities_named(self.source, grams | {f"{g} City" for g in grams})
        aliases = {
            c.name[: -len(" City")]: c.name
            for c in found
            if c.name.endswith(" City") and c.name[: -len(" City")] in grams
        }
        folded = {g.casefold() for g in grams}
        regions = {
            name: await cities_in_region(self.source, country, admin1, REGION_CITIES)
            for name, (country, admin1) in _regions().items()
            if name.casefold() in folded
        }
        gazetteer = Gazetteer(
            cities=frozenset(c.name for c in found) | {n for n in offered if n in text},
            regions={r: frozenset(c.name for c in cards) for r, cards in regions.items()},
            aliases=aliases,
        )
        return gazetteer, regions

    async def _region(self, name: str, limit: int) -> list[CityCard]:
        where = _regions().get(name)
        return await cities_in_region(self.source, *where, limit) if where else []

    async def _read(self, conversation: Conversation) -> ConversationRead:
        messages = await self.repo.messages(conversation.id)
        understood = Understood.load(conversation.understood or {})
        return ConversationRead(
            id=conversation.id,
            title=conversation.title,
            created_at=conversation.created_at,
            understood=UnderstoodRead(
                **understood.dump(), end=understood.end, missing=understood.missing()
            ),
            messages=[MessageRead.model_validate(m, from_attributes=True) for m in messages],
        )


def _regions() -> dict[str, tuple[str, str | None]]:
    """A region a traveler may tour, by name: a US state (country, state code) or a country
    (its code, no state); a state wins over a country of the same name."""
    countries: dict[str, tuple[str, str | None]] = {
        name: (code, None) for code, name in country_names().items()
    }
    return countries | {name: ("US", code) for code, name in us_state_names().items()}


def _place_id(journey: JourneyRead, ref: str) -> uuid.UUID | None:
    """A catalogue place's id (options sent name their own things)."""
    if journey.source != "catalogue":
        return None
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def _trip_items(
    day: DayRead, journey: JourneyRead, zones: dict[str, str | None]
) -> list[ItemCreate]:
    currency = journey.cost.currency
    items = []
    if day.ride is not None:
        ride = day.ride
        ends = (
            ride.arrives if ride.departs and ride.arrives and ride.arrives > ride.departs else None
        )
        items.append(
            ItemCreate(
                kind="transport",
                title=f"{ride.mode.capitalize()} {ride.origin} → {ride.destination}"[:200],
                day=day.date,
                start_time=ride.departs,
                end_time=ends,
                timezone=zones.get(ride.origin),
                cost_minor=ride.cost_minor,
                cost_currency=currency,
                details={
                    "mode": ride.mode,
                    "ref": ride.ref,
                    "minutes": ride.minutes,
                    "km": ride.km,
                },
            )
        )
    for meal in day.meals:
        items.append(
            ItemCreate(
                kind="place",
                title=f"{meal.slot.capitalize()}: {meal.name}"[:200],
                place_id=_place_id(journey, meal.ref),
                day=day.date,
                cost_minor=meal.cost_minor,
                cost_currency=currency,
                details={"meal": meal.slot, "cuisines": meal.cuisines},
            )
        )
    for sight in day.sights:
        located = sight.lat is not None and sight.lon is not None
        items.append(
            ItemCreate(
                kind="place",
                title=sight.name[:200],
                place_id=_place_id(journey, sight.ref),
                lat=sight.lat if located else None,
                lon=sight.lon if located else None,
                day=day.date,
            )
        )
    if day.stay is not None:
        stay = day.stay
        items.append(
            ItemCreate(
                kind="lodging",
                title=stay.name[:200],
                place_id=_place_id(journey, stay.ref),
                day=day.date,
                cost_minor=stay.cost_minor,
                cost_currency=currency,
                details={"room_type": stay.room_type, "rooms": stay.rooms, "nights": 1},
            )
        )
    return items


def _summary(journey: JourneyRead) -> str:
    cost = journey.cost
    route = " → ".join(journey.cities)
    modes = sorted({d.ride.mode for d in journey.days if d.ride})
    return (
        f"Planned: {route} by {' and '.join(modes)}, {len(journey.days)} days, "
        f"{money(cost.total_minor, cost.currency)} of {money(cost.budget_minor, cost.currency)} "
        f"(transport {money(cost.transport_minor, cost.currency)}, "
        f"lodging {money(cost.lodging_minor, cost.currency)}, "
        f"meals {money(cost.meals_minor, cost.currency)})."
    )


LINK_TTL = timedelta(minutes=15)


class ChatsService:
    """The assistant in a messaging app (Telegram): a signed-in traveler gets a one-time code,
    sends it to the bot, and from then on talks to the assistant there. Never commits."""

    def __init__(
        self, repo: AssistantRepository, assistant: AssistantService, clock: Clock
    ) -> None:
        self.repo = repo
        self.assistant = assistant
        self.clock = clock

    async def link_code(self, principal: Principal, bot_username: str) -> ChatLinkCode:
        code = telegram.new_code()
        expires = self.clock.now() + LINK_TTL
        await self.repo.new_code(
            LinkCode(
                code=code, user_id=principal.user_id, channel=telegram.CHANNEL, expires_at=expires
            )
        )
        return ChatLinkCode(
            code=code, url=f"https://t.me/{bot_username}?start={code}", expires_at=expires
        )

    async def links(self, principal: Principal) -> list[ChatLinkRead]:
        return [
            ChatLinkRead.model_validate(row) for row in await self.repo.links(principal.user_id)
        ]

    async def unlink(self, principal: Principal, link_id: uuid.UUID) -> None:
        row = await self.repo.link(link_id)
        if row is None or row.user_id != principal.user_id:
            raise ChatLinkNotFound()
        await self.repo.remove(row)

    async def telegram_update(self, update: Any) -> dict[str, Any]:
        """The answer to one Telegram update (an empty one: nothing to say)."""
        found = telegram.inbound(update)
        now = self.clock.now()
        if found is None or not await self.repo.first_time(telegram.CHANNEL, found.update_id, now):
            return {}
        chat = found.chat_id
        if not found.private:
            return telegram.reply(chat, telegram.PRIVATE_ONLY)
        if found.text is None:
            return telegram.reply(chat, telegram.NOT_TEXT)
        said = telegram.command(found.text)
        link = await self.repo.link_of_chat(telegram.CHANNEL, str(chat))
        if said.name == "start" and said.argument:
            return telegram.reply(chat, await self._link(chat, link, said.argument.upper(), now))
        if link is None:
            return telegram.reply(chat, telegram.HOW_TO_LINK)
        if said.name == "stop":
            await self.repo.remove(link)
            return telegram.reply(chat, "Unlinked: this chat is no longer yours on Navio.")
        if said.name in ("new", "start"):
            link.conversation_id = None
            return telegram.reply(chat, "A new conversation: where would you like to go?")
        if said.name:
            return telegram.reply(chat, telegram.COMMANDS)
        try:
            body = MessageIn(text=said.argument)
        except ValidationError as exc:
            return telegram.reply(chat, exc.errors()[0]["msg"])
        if link.conversation_id is None:
            answered = await self.assistant.start_for(link.user_id, body)
            link.conversation_id = answered.id
        else:
            answered = await self.assistant.say_for(link.user_id, link.conversation_id, body)
        return telegram.reply(chat, answered.messages[-1].text)

    async def _link(self, chat: int, link: ChatLink | None, code: str, now: datetime) -> str:
        user_id = await self.repo.take_code(telegram.CHANNEL, code, now)
        if user_id is None:
            return telegram.EXPIRED
        if link is not None:
            link.user_id, link.conversation_id, link.linked_at = user_id, None, now
        else:
            await self.repo.add_link(
                ChatLink(
                    user_id=user_id, channel=telegram.CHANNEL, chat_id=str(chat), linked_at=now
                )
            )
        return (
            "Linked to your Navio account. Tell me about the journey you want: from where to "
            "where, when, for how many, and your budget. /new starts afresh, /stop unlinks."
        )
